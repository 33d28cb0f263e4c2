/**
 * The egress policy: which addresses a tenant-chosen destination (upstream base URL, webhook) may
 * reach. Refused: every non-public range (address.ts) and this server's own interface addresses,
 * unless the operator allowlists a range (EGRESS_ALLOW_CIDRS) or a host name (EGRESS_ALLOW_HOSTS).
 * The deployment's own upstreams from env never pass through here: they are trusted as configured.
 */
import { networkInterfaces } from "node:os";
import { env } from "~/infra/env";
import {
  classifyAddress,
  embeddedIpv4,
  formatIp,
  inCidr,
  normalizeHost,
  parseCidr,
  parseHostPattern,
  parseIp,
  sameAddress,
  type Cidr,
  type IpAddress,
} from "~/infra/net/address";
import { checkUrlShape, type EgressUrlKind, type UrlCheck } from "~/infra/net/url";

export interface EgressPolicy {
  /** Ranges that may be reached although they are not public (private provider networks). */
  allowCidrs: readonly Cidr[];
  /** Host names whose addresses are not checked against the ranges: "llm.corp.example" or "*.corp.example". */
  allowHosts: readonly string[];
  /** Addresses of this server (refused even inside an allowlisted range, loopback excepted). */
  selfAddresses(): readonly IpAddress[];
}

export interface EgressPolicyInput {
  allowCidrs?: readonly string[] | string;
  allowHosts?: readonly string[] | string;
  selfAddresses?: () => readonly IpAddress[];
}

const list = (v: readonly string[] | string | undefined): string[] =>
  (typeof v === "string" ? v.split(",") : (v ?? [])).map((s) => s.trim()).filter((s) => s !== "");

let interfaceCache: { at: number; addresses: IpAddress[] } | null = null;

/** Non-loopback addresses of this machine's interfaces, re-read every 30 s (interfaces change). */
export function interfaceAddresses(): readonly IpAddress[] {
  if (interfaceCache && Date.now() - interfaceCache.at < 30_000) return interfaceCache.addresses;
  const addresses: IpAddress[] = [];
  for (const entries of Object.values(networkInterfaces())) {
    for (const e of entries ?? []) {
      const ip = e.internal ? null : parseIp(e.address);
      if (ip) addresses.push(ip);
    }
  }
  interfaceCache = { at: Date.now(), addresses };
  return addresses;
}

export function egressPolicy(input: EgressPolicyInput = {}): EgressPolicy {
  return {
    allowCidrs: list(input.allowCidrs).map(parseCidr),
    allowHosts: list(input.allowHosts).map(parseHostPattern),
    selfAddresses: input.selfAddresses ?? interfaceAddresses,
  };
}

let envCache: { key: string; policy: EgressPolicy } | null = null;

/** The policy configured in env (re-read when env changes, e.g. between tests). */
export function envEgressPolicy(): EgressPolicy {
  const cidrs = env.EGRESS_ALLOW_CIDRS ?? "";
  const hosts = env.EGRESS_ALLOW_HOSTS ?? "";
  const key = `${cidrs}|${hosts}`;
  if (envCache?.key !== key) envCache = { key, policy: egressPolicy({ allowCidrs: cidrs, allowHosts: hosts }) };
  return envCache.policy;
}

export function isHostAllowlisted(host: string, policy: EgressPolicy): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return policy.allowHosts.some((a) => (a.startsWith("*.") ? h.endsWith(a.slice(1)) : h === a));
}

/**
 * Why `ip` may not be connected to, or null when it may. `hostAllowlisted`: the name it came
 * from is in EGRESS_ALLOW_HOSTS (its ranges are then not checked; this server's addresses still are).
 */
export function addressRefusal(ip: IpAddress, policy: EgressPolicy, hostAllowlisted = false): string | null {
  const v4 = embeddedIpv4(ip);
  const forms = v4 ? [ip, v4] : [ip];
  const shown = formatIp(ip);
  if (forms.some((f) => policy.selfAddresses().some((s) => sameAddress(s, f)))) return `${shown} is an address of this server`;
  if (hostAllowlisted || forms.some((f) => policy.allowCidrs.some((c) => inCidr(f, c)))) return null;
  const kind = classifyAddress(ip);
  return kind === null ? null : `${shown} is a ${kind} address`;
}

/** RFC 6761: these names always mean loopback, whatever DNS says. */
const LOOPBACK_NAMES = /(^|\.)localhost\.?$/i;

/**
 * What can be known without DNS, at save time and again before each use: the URL's shape, and
 * the host when it is an IP literal (in any spelling the URL parser accepts) or a loopback name.
 * Names are checked again, with the addresses they resolve to, when the connection is made.
 */
export function checkEgressUrl(raw: string, kind: EgressUrlKind, policy: EgressPolicy = envEgressPolicy()): UrlCheck {
  const shape = checkUrlShape(raw, kind);
  if (!shape.ok) return shape;
  const host = normalizeHost(shape.url.hostname);
  if (host === null) return { ok: false, message: "The URL has no valid host" };
  const allowHint = "; an operator can allow it with EGRESS_ALLOW_CIDRS or EGRESS_ALLOW_HOSTS";
  const ip = parseIp(host);
  if (ip) {
    const refusal = addressRefusal(ip, policy);
    return refusal ? { ok: false, message: `This gateway does not connect there: ${refusal}${allowHint}` } : shape;
  }
  if (LOOPBACK_NAMES.test(host) && !isHostAllowlisted(host, policy)) {
    const loopback = addressRefusal(parseIp("127.0.0.1")!, policy);
    if (loopback) return { ok: false, message: `This gateway does not connect there: ${host} is a loopback name${allowHint}` };
  }
  return shape;
}
