import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decryptCredential, encryptCredential } from "~/relay/credentials";
import { Cooldown, upstreamUrl } from "~/relay/upstream";

describe("upstream credentials at rest", () => {
  const key = randomBytes(32);
  it("round-trips and never stores the plaintext", () => {
    const enc = encryptCredential("sk-ant-secret-value", key);
    expect(enc).not.toContain("sk-ant");
    expect(encryptCredential("sk-ant-secret-value", key)).not.toBe(enc); // fresh IV each time
    expect(decryptCredential(enc, key)).toBe("sk-ant-secret-value");
  });
  it("rejects tampering and the wrong key", () => {
    const enc = encryptCredential("secret", key);
    const parts = enc.split(".");
    parts[3] = Buffer.from("SECRET").toString("base64url");
    expect(() => decryptCredential(parts.join("."), key)).toThrow();
    expect(() => decryptCredential(enc, randomBytes(32))).toThrow();
    expect(() => decryptCredential("garbage", key)).toThrow();
  });
});

describe("upstream helpers", () => {
  it("joins base URLs without doubling /v1", () => {
    expect(upstreamUrl("https://api.anthropic.com", "/v1/messages", "")).toBe("https://api.anthropic.com/v1/messages");
    expect(upstreamUrl("https://host/openai/v1/", "/v1/chat/completions", "?x=1")).toBe("https://host/openai/v1/chat/completions?x=1");
  });
  it("cooled-down upstreams go last until the cool-down ends", () => {
    let t = 0;
    const c = new Cooldown(1000, () => t);
    const targets = [{ id: "a" }, { id: "b" }, { id: "c" }];
    c.mark("a");
    expect(c.order(targets).map((x) => x.id)).toEqual(["b", "c", "a"]);
    t = 1001;
    expect(c.order(targets).map((x) => x.id)).toEqual(["a", "b", "c"]);
  });
});
