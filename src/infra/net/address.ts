/**
 * IP addresses as bytes, CIDR ranges, and the ranges a tenant-chosen destination may not reach.
 * Pure (no env, no I/O) so src/infra/env.ts can validate the allowlist with it.
 *
 * Embedded IPv4 forms (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96,
 * 6to4 2002::/16) are judged by the IPv4 address they carry, so ::ffff:127.0.0.1 is loopback.
 */
import { isIP } from "node:net";

export interface IpAddress {
  family: 4 | 6;
  bytes: Uint8Array;
}

export interface Cidr {
  family: 4 | 6;
  bytes: Uint8Array;
  prefix: number;
  /** As written by the operator, for messages. */
  text: string;
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    bytes[i] = n;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | null {
  let s = text;
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  // A trailing dotted quad is the last 32 bits.
  let tail: Uint8Array | null = null;
  const lastColon = s.lastIndexOf(":");
  if (s.slice(lastColon + 1).includes(".")) {
    tail = parseIpv4(s.slice(lastColon + 1));
    if (!tail) return null;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const group = (h: string): number[] | null => {
    if (h === "") return [];
    const out: number[] = [];
    for (const g of h.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = group(halves[0]!);
  const rest = halves.length === 2 ? group(halves[1]!) : [];
  if (!head || !rest) return null;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  if (tail) bytes.set(tail, 12);
  return bytes;
}

/**
 * A canonical IP literal ("127.0.0.1", "::1", "[::1]") as bytes; null for anything else. Host
 * names are not IP literals here: non-canonical IPv4 forms (0x7f000001, 2130706433, 0177.0.0.1,
 * 127.1) are normalised by the WHATWG URL parser first (see normalizeHost).
 */
export function parseIp(text: string): IpAddress | null {
  const s = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const kind = isIP(s.split("%")[0]!);
  if (kind === 4) {
    const bytes = parseIpv4(s);
    return bytes ? { family: 4, bytes } : null;
  }
  if (kind === 6) {
    const bytes = parseIpv6(s);
    return bytes ? { family: 6, bytes } : null;
  }
  return null;
}

/**
 * The host as every HTTP client here will see it: the WHATWG URL parser turns every IPv4
 * spelling (hex, octal, decimal, dotted shorthand, percent-encoded) into a dotted quad and
 * lower-cases names. Returns the bracket-free form; null if it is not a valid host.
 */
export function normalizeHost(host: string): string | null {
  try {
    const h = new URL(`http://${host.includes(":") && !host.startsWith("[") ? `[${host}]` : host}/`).hostname;
    return h.startsWith("[") ? h.slice(1, -1) : h;
  } catch {
    return null;
  }
}

/** A host allowlist entry: a name, or "*." and a suffix; lower-cased. Throws with a message on bad input. */
export function parseHostPattern(entry: string): string {
  const wildcard = entry.startsWith("*.");
  const host = normalizeHost(wildcard ? entry.slice(2) : entry);
  if (!host || parseIp(host) || !/^[a-z0-9-]+(\.[a-z0-9-]+)*\.?$/.test(host)) throw new Error(`"${entry}" is not a host name or *.suffix`);
  return wildcard ? `*.${host.replace(/\.$/, "")}` : host.replace(/\.$/, "");
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return Array.from(ip.bytes).join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip.bytes[i]! << 8) | ip.bytes[i + 1]!).toString(16));
  // The URL parser writes the canonical (RFC 5952) form.
  return new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1);
}

/** "10.0.0.0/8", "fd00::/8" or a single address ("10.1.2.3" = /32). Throws with a message on bad input. */
export function parseCidr(text: string): Cidr {
  const [addr, prefixText, extra] = text.trim().split("/");
  if (extra !== undefined || !addr) throw new Error(`"${text}" is not an address or CIDR range`);
  const ip = parseIp(addr);
  if (!ip) throw new Error(`"${text}" is not an address or CIDR range`);
  const max = ip.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) throw new Error(`"${text}": prefix must be 0-${max}`);
  return { family: ip.family, bytes: ip.bytes, prefix, text: text.trim() };
}

export function inCidr(ip: IpAddress, cidr: Cidr): boolean {
  if (ip.family !== cidr.family) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip.bytes[i]! & mask) !== (cidr.bytes[i]! & mask)) return false;
  }
  return true;
}

export const sameAddress = (a: IpAddress, b: IpAddress): boolean =>
  a.family === b.family && a.bytes.every((x, i) => x === b.bytes[i]);

/** Why a range is refused: the words the error message uses. */
export type AddressClass =
  | "unspecified"
  | "loopback"
  | "private"
  | "link-local"
  | "shared (CGNAT)"
  | "unique-local"
  | "multicast"
  | "reserved"
  | "documentation"
  | "local NAT64"
  | "Teredo";

const V4_RANGES: Array<[string, AddressClass]> = [
  ["0.0.0.0/8", "unspecified"],
  ["10.0.0.0/8", "private"],
  ["100.64.0.0/10", "shared (CGNAT)"],
  ["127.0.0.0/8", "loopback"],
  // Includes the cloud metadata address 169.254.169.254.
  ["169.254.0.0/16", "link-local"],
  ["172.16.0.0/12", "private"],
  // IETF protocol assignments, incl. 192.0.0.170/171 (NAT64 discovery).
  ["192.0.0.0/24", "reserved"],
  ["192.0.2.0/24", "documentation"],
  ["192.88.99.0/24", "reserved"],
  ["192.168.0.0/16", "private"],
  ["198.18.0.0/15", "reserved"],
  ["198.51.100.0/24", "documentation"],
  ["203.0.113.0/24", "documentation"],
  ["224.0.0.0/4", "multicast"],
  // 240/4 and the broadcast address.
  ["240.0.0.0/4", "reserved"],
];

const V6_RANGES: Array<[string, AddressClass]> = [
  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  ["64:ff9b:1::/48", "local NAT64"],
  ["100::/64", "reserved"],
  ["2001::/32", "Teredo"],
  ["2001:2::/48", "reserved"],
  ["2001:10::/28", "reserved"],
  ["2001:20::/28", "reserved"],
  ["2001:db8::/32", "documentation"],
  ["3fff::/20", "documentation"],
  ["5f00::/16", "reserved"],
  ["fc00::/7", "unique-local"],
  ["fe80::/10", "link-local"],
  // Deprecated site-local.
  ["fec0::/10", "private"],
  ["ff00::/8", "multicast"],
];

const compile = (list: Array<[string, AddressClass]>) => list.map(([c, k]) => [parseCidr(c), k] as const);
const V4 = compile(V4_RANGES);
const V6 = compile(V6_RANGES);
const V6_EXACT = V6.filter(([c]) => c.prefix === 128);

/** Prefixes whose last 32 bits (or bits 16-48 for 6to4) are an IPv4 address the packet ends up at. */
const MAPPED = parseCidr("::ffff:0:0/96");
const COMPATIBLE = parseCidr("::/96");
const NAT64 = parseCidr("64:ff9b::/96");
const SIX_TO_FOUR = parseCidr("2002::/16");

/** The IPv4 address an IPv6 address stands for, if it is one of the embedding forms. */
export function embeddedIpv4(ip: IpAddress): IpAddress | null {
  if (ip.family !== 6) return null;
  if (inCidr(ip, MAPPED) || inCidr(ip, NAT64) || inCidr(ip, COMPATIBLE)) {
    return { family: 4, bytes: ip.bytes.slice(12, 16) };
  }
  if (inCidr(ip, SIX_TO_FOUR)) return { family: 4, bytes: ip.bytes.slice(2, 6) };
  return null;
}

/**
 * The refused class of an address, or null when it is a public unicast address. Embedded IPv4
 * forms are classified by the IPv4 address they carry.
 */
export function classifyAddress(ip: IpAddress): AddressClass | null {
  // :: and ::1 are themselves, not the IPv4-compatible 0.0.0.0 / 0.0.0.1.
  for (const [cidr, kind] of V6_EXACT) if (inCidr(ip, cidr)) return kind;
  const v4 = embeddedIpv4(ip);
  if (v4) return classifyAddress(v4);
  for (const [cidr, kind] of ip.family === 4 ? V4 : V6) if (inCidr(ip, cidr)) return kind;
  return null;
}
