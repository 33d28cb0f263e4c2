/** The one client-address rule (src/net/client-ip.ts): only entries our own proxies wrote count. */
import { describe, expect, it } from "vitest";
import { redactApiKeys } from "~/keys";
import { clientIpFrom } from "~/net/client-ip";

const h = (xff?: string, extra: Record<string, string> = {}) => new Headers({ ...(xff ? { "x-forwarded-for": xff } : {}), ...extra });

describe("clientIpFrom", () => {
  it("with 0 trusted hops, is the socket address whatever the headers claim", () => {
    expect(clientIpFrom(h("6.6.6.6", { "x-real-ip": "7.7.7.7" }), "10.0.0.5", 0)).toBe("10.0.0.5");
    expect(clientIpFrom(h(), "::ffff:127.0.0.1", 0)).toBe("127.0.0.1");
  });

  it("without a socket, takes the last X-Forwarded-For entry (the socket hop appended it)", () => {
    expect(clientIpFrom(h("6.6.6.6, 198.51.100.2"), null, 0)).toBe("198.51.100.2");
    expect(clientIpFrom(h("6.6.6.6"), null, 0)).toBe("6.6.6.6");
    expect(clientIpFrom(h(), null, 0)).toBeNull();
  });

  it("with N trusted hops, takes the entry N places left of the peer, never one further left", () => {
    // client claims 6.6.6.6; our proxy saw 203.0.113.9 and connected from 10.0.0.2
    expect(clientIpFrom(h("6.6.6.6, 203.0.113.9"), "10.0.0.2", 1)).toBe("203.0.113.9");
    expect(clientIpFrom(h("6.6.6.6, 5.5.5.5, 203.0.113.9, 10.0.0.3"), "10.0.0.2", 2)).toBe("203.0.113.9");
    // A chain shorter than the hops: the oldest entry, not undefined.
    expect(clientIpFrom(h("203.0.113.9"), "10.0.0.2", 3)).toBe("203.0.113.9");
  });

  it("reads every X-Forwarded-For line and normalises addresses; garbage is unknown", () => {
    const headers = new Headers();
    headers.append("x-forwarded-for", "6.6.6.6");
    headers.append("x-forwarded-for", "[2001:DB8::1]");
    expect(clientIpFrom(headers, null, 0)).toBe("2001:db8::1");
    expect(clientIpFrom(h("6.6.6.6, 192.0.2.1:5555"), null, 0)).toBe("192.0.2.1");
    expect(clientIpFrom(h("6.6.6.6, unknown"), null, 0)).toBeNull();
  });
});

describe("redactApiKeys", () => {
  it("removes key-like tokens and leaves the rest of a User-Agent", () => {
    const key = "mg-" + "A1b2_C3d-".repeat(5);
    expect(redactApiKeys(`curl/8.5 (key ${key})`)).toBe("curl/8.5 (key mg-[redacted])");
    expect(redactApiKeys(`x${key}${key}`)).not.toContain(key.slice(3, 20));
    expect(redactApiKeys("my-app/1.0 mg-short")).toBe("my-app/1.0 mg-short");
    expect(redactApiKeys(null)).toBeNull();
  });
});
