/**
 * The egress policy without I/O: every refused address form (in every spelling the URL parser
 * accepts), the URL shape rules, safe joining, redaction, the hop header and the env allowlist.
 */
import { networkInterfaces } from "node:os";
import { describe, expect, it } from "vitest";
import { classifyAddress, parseCidr, parseIp } from "~/infra/net/address";
import { addressRefusal, checkEgressUrl, egressPolicy, interfaceAddresses } from "~/egress/policy";
import { hopRefusal, outgoingHops } from "~/egress/hop";
import { checkUrlShape, joinUpstreamUrl, redactUrl } from "~/infra/net/url";
import { EnvError, parseEnv } from "~/infra/env";

const OFF = egressPolicy({ selfAddresses: () => [] });

/** Hosts as a tenant admin would type them, and why each is refused. */
const REFUSED_HOSTS: Array<[string, RegExp]> = [
  ["127.0.0.1", /loopback/],
  ["127.0.0.2", /loopback/],
  ["127.1", /loopback/],
  ["0x7f000001", /loopback/],
  ["0x7f.0.0.1", /loopback/],
  ["2130706433", /loopback/],
  ["0177.0.0.1", /loopback/],
  ["017700000001", /loopback/],
  ["%31%32%37.0.0.1", /loopback/],
  ["[::1]", /loopback/],
  ["[0:0:0:0:0:0:0:1]", /loopback/],
  ["[::ffff:127.0.0.1]", /loopback/],
  ["[::ffff:7f00:1]", /loopback/],
  ["[::127.0.0.1]", /loopback/],
  ["[64:ff9b::127.0.0.1]", /loopback/],
  ["[64:ff9b::a9fe:a9fe]", /link-local/],
  ["[2002:7f00:1::]", /loopback/],
  ["[64:ff9b:1::1]", /NAT64/],
  ["169.254.169.254", /link-local/],
  ["0xa9fea9fe", /link-local/],
  ["2852039166", /link-local/],
  ["[::ffff:169.254.169.254]", /link-local/],
  ["[fd00:ec2::254]", /unique-local/],
  ["10.0.0.1", /private/],
  ["172.16.0.1", /private/],
  ["172.31.255.255", /private/],
  ["192.168.1.1", /private/],
  ["100.64.0.1", /CGNAT/],
  ["100.127.255.254", /CGNAT/],
  ["[fc00::1]", /unique-local/],
  ["[fe80::1]", /link-local/],
  ["224.0.0.1", /multicast/],
  ["[ff02::1]", /multicast/],
  ["0.0.0.0", /unspecified/],
  ["0", /unspecified/],
  ["[::]", /unspecified/],
  ["255.255.255.255", /reserved/],
  ["[2001::1]", /Teredo/],
];

describe("egress addresses", () => {
  it.each(REFUSED_HOSTS)("refuses %s at save time", (host, why) => {
    const checked = checkEgressUrl(`http://${host}:8080`, "upstream", OFF);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.message).toMatch(why);
    expect(checkEgressUrl(`https://${host}/hooks`, "webhook", OFF).ok).toBe(false);
  });

  it("accepts public addresses and names", () => {
    for (const host of ["api.anthropic.com", "8.8.8.8", "[2606:4700::1111]", "[::ffff:8.8.8.8]", "[64:ff9b::808:808]", "100.128.0.1", "172.32.0.1"]) {
      expect(checkEgressUrl(`https://${host}`, "upstream", OFF)).toMatchObject({ ok: true });
    }
  });

  it("refuses loopback names, unless allowlisted", () => {
    for (const host of ["localhost", "LOCALHOST", "api.localhost", "localhost."]) {
      expect(checkEgressUrl(`http://${host}:3000`, "upstream", OFF).ok).toBe(false);
    }
    expect(checkEgressUrl("http://localhost:3000", "upstream", egressPolicy({ allowHosts: "localhost" })).ok).toBe(true);
    expect(checkEgressUrl("http://localhost:3000", "upstream", egressPolicy({ allowCidrs: "127.0.0.0/8" })).ok).toBe(true);
  });

  it("an allowlisted range opens only that range; this server's own addresses stay closed", () => {
    const self = parseIp("192.0.2.2")!;
    const policy = egressPolicy({ allowCidrs: "10.20.0.0/16, 192.0.2.0/24", selfAddresses: () => [self] });
    expect(addressRefusal(parseIp("10.20.3.4")!, policy)).toBeNull();
    expect(addressRefusal(parseIp("::ffff:10.20.3.4")!, policy)).toBeNull();
    expect(addressRefusal(parseIp("10.21.0.1")!, policy)).toMatch(/private/);
    expect(addressRefusal(parseIp("192.0.2.3")!, policy)).toBeNull();
    expect(addressRefusal(parseIp("192.0.2.2")!, policy)).toMatch(/this server/);
    expect(addressRefusal(parseIp("::ffff:192.0.2.2")!, policy)).toMatch(/this server/);
    // A host allowlist entry skips the range check, not the self check.
    expect(addressRefusal(parseIp("192.0.2.2")!, policy, true)).toMatch(/this server/);
    expect(addressRefusal(parseIp("172.16.0.9")!, policy, true)).toBeNull();
  });

  it("this server's own addresses are its non-loopback interface addresses, refused by default", () => {
    const expected = Object.values(networkInterfaces())
      .flat()
      .filter((e) => e && !e.internal)
      .map((e) => e!.address.split("%")[0]);
    // Even with everything allowlisted.
    const policy = egressPolicy({ allowCidrs: "0.0.0.0/0,::/0" });
    expect(interfaceAddresses()).toHaveLength(expected.length);
    for (const address of expected) {
      expect(addressRefusal(parseIp(address!)!, policy), address).toMatch(/this server/);
    }
  });

  it("parses CIDRs strictly", () => {
    expect(parseCidr("10.0.0.0/8")).toMatchObject({ family: 4, prefix: 8 });
    expect(parseCidr("fd00::/8")).toMatchObject({ family: 6, prefix: 8 });
    expect(parseCidr("10.1.2.3")).toMatchObject({ prefix: 32 });
    for (const bad of ["10.0.0.0/33", "10.0.0/8", "example.com", "::1/129", "10.0.0.0/8/1", "0x7f000001"]) expect(() => parseCidr(bad)).toThrow();
    expect(classifyAddress(parseIp("8.8.8.8")!)).toBeNull();
  });
});

describe("egress URL shape", () => {
  it("refuses credentials, query, fragment, other schemes and path tricks in a base URL", () => {
    const cases: Array<[string, RegExp]> = [
      ["https://user:pw@api.example.com", /Credentials/],
      ["https://user@api.example.com", /Credentials/],
      ["https://@api.example.com", /Credentials/],
      ["http://127.0.0.1:8080/_stats#", /fragment/],
      ["https://api.example.com/v1#x", /fragment/],
      ["https://api.example.com/v1?x=1", /query/],
      ["https://api.example.com/?", /query/],
      ["https://api.example.com/a/../_stats", /segments/],
      ["https://api.example.com/a/%2e%2e/_stats", /segments/],
      ["https://api.example.com/a%2f..%2f_stats", /segments/],
      ["https://api.example.com\\@evil.example", /Backslash/],
      ["https://api.example.com/\tx", /spaces or control/],
      ["ftp://api.example.com", /http and https/],
      ["file:///etc/passwd", /http and https/],
      ["api.example.com", /valid URL/],
    ];
    for (const [url, why] of cases) {
      const checked = checkUrlShape(url, "upstream");
      expect(checked.ok, url).toBe(false);
      if (!checked.ok) expect(checked.message, url).toMatch(why);
    }
  });

  it("webhooks may carry a query, never credentials or a fragment", () => {
    expect(checkUrlShape("https://hooks.example.com/x?code=abc", "webhook").ok).toBe(true);
    expect(checkUrlShape("https://u:p@hooks.example.com/x", "webhook").ok).toBe(false);
    expect(checkUrlShape("https://hooks.example.com/x#y", "webhook").ok).toBe(false);
  });

  it("joins base and endpoint path under the base's origin and path", () => {
    expect(joinUpstreamUrl("https://api.anthropic.com", "/v1/messages", "")).toBe("https://api.anthropic.com/v1/messages");
    expect(joinUpstreamUrl("https://host/openai/v1/", "/v1/chat/completions", "?x=1#frag")).toBe("https://host/openai/v1/chat/completions?x=1");
    expect(joinUpstreamUrl("https://host/prefix", "/v1/models", "?a=%2F..%2F")).toBe("https://host/prefix/v1/models?a=%2F..%2F");
    // Rows saved before the rules are refused at use time.
    expect(() => joinUpstreamUrl("http://127.0.0.1:9/_stats#", "/v1/models", "")).toThrow(/fragment/);
    expect(() => joinUpstreamUrl("http://u:p@host", "/v1/models", "")).toThrow(/Credentials/);
    expect(() => joinUpstreamUrl("http://host/x?", "/v1/models", "")).toThrow(/query/);
    expect(() => joinUpstreamUrl("http://host", "//evil.example/v1", "")).toThrow();
    expect(() => joinUpstreamUrl("http://host", "/../x", "")).toThrow();
  });

  it("redacts credentials and query values for logs and the audit log", () => {
    expect(redactUrl("https://admin:hunter2@hooks.example/x?token=abc&b=1#f")).toBe("https://[redacted]@hooks.example/x?token=[redacted]&b=[redacted]");
    expect(redactUrl("https://hooks.example/x?token=abc", { keepQuery: true })).toBe("https://hooks.example/x?token=abc");
    expect(redactUrl("https://u:p@hooks.example/x?token=abc", { keepQuery: true })).toBe("https://[redacted]@hooks.example/x?token=abc");
    expect(redactUrl("https://api.openai.com")).toBe("https://api.openai.com");
    expect(redactUrl("not a url user:pw")).toBe("[unparsable URL]");
  });
});

describe("hop header", () => {
  it("refuses a request that already passed this deployment, or too many gateways", () => {
    const self = "a".repeat(16);
    const other = "b".repeat(16);
    expect(hopRefusal(null, self)).toBeNull();
    expect(hopRefusal(other, self)).toBeNull();
    expect(hopRefusal(`${other}, ${self}`, self)).toMatch(/already passed/);
    expect(hopRefusal(`${self.toUpperCase()}`, self)).toMatch(/already passed/);
    expect(hopRefusal(["1", "2", "3", "4", "5"].map((d) => d.repeat(16)).join(","), self)).toMatch(/5 gateways/);
    expect(outgoingHops(null, self)).toBe(self);
    expect(outgoingHops(`${other}, <script>, ${"x".repeat(5000)}`, self)).toBe(`${other}, ${self}`);
  });
});

describe("egress env", () => {
  const base = { NEXTAUTH_SECRET: "x".repeat(32), ENCRYPTION_KEY: "0".repeat(64) };
  it("validates the allowlists and the deployment upstream URLs", () => {
    expect(parseEnv({ ...base, EGRESS_ALLOW_CIDRS: "10.0.0.0/8, fd00::/8", EGRESS_ALLOW_HOSTS: "llm.corp.example,*.corp.example" })).toMatchObject({
      EGRESS_ALLOW_CIDRS: "10.0.0.0/8, fd00::/8",
    });
    expect(() => parseEnv({ ...base, EGRESS_ALLOW_CIDRS: "10.0.0.0/33" })).toThrow(/EGRESS_ALLOW_CIDRS/);
    expect(() => parseEnv({ ...base, EGRESS_ALLOW_HOSTS: "http://x" })).toThrow(/EGRESS_ALLOW_HOSTS/);
    expect(() => parseEnv({ ...base, UPSTREAM_OPENAI_BASE_URL: "https://u:p@proxy.example" })).toThrow(EnvError);
    expect(() => parseEnv({ ...base, UPSTREAM_ANTHROPIC_BASE_URL: "https://proxy.example/_x#" })).toThrow(/UPSTREAM_ANTHROPIC_BASE_URL/);
    // Trusted as configured: loopback is fine for the deployment's own upstream.
    expect(parseEnv({ ...base, UPSTREAM_ANTHROPIC_BASE_URL: "http://127.0.0.1:4010" }).UPSTREAM_ANTHROPIC_BASE_URL).toBe("http://127.0.0.1:4010");
  });
});
