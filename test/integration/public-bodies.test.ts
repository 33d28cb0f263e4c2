/** Public non-relay routes read bodies only up to a small limit: 413 past it, without reading it all. */
import { describe, expect, it } from "vitest";
import { NextRequest } from "next/server";
import { POST as nextAuthPost } from "~/app/api/auth/[...nextauth]/route";
import { POST as lookupPost } from "~/app/api/lookup/route";
import { POST as trpcPost } from "~/app/api/trpc/[trpc]/route";

/** A body stream of `total` bytes that counts how much of it was pulled. */
function hugeBody(total: number): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let sent = 0;
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, pulled: () => sent };
}

const FORTY_MB = 40 * 1024 * 1024;

function post(url: string, body: ReadableStream<Uint8Array>, type = "application/json"): NextRequest {
  const init = { method: "POST", headers: { "content-type": type }, body, duplex: "half" };
  return new NextRequest(url, init as ConstructorParameters<typeof NextRequest>[1]);
}

describe("public body limits", () => {
  it("POST /api/lookup: 413 for a 40 MB body, reading at most a few KB of it", async () => {
    const big = hugeBody(FORTY_MB);
    const res = await lookupPost(post("http://localhost/api/lookup", big.stream));
    expect(res.status).toBe(413);
    expect(big.pulled()).toBeLessThan(256 * 1024);
  });

  it("POST /api/lookup: 413 from the declared length alone", async () => {
    const req = new Request("http://localhost/api/lookup", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(FORTY_MB) },
      body: "{}",
    });
    expect((await lookupPost(req)).status).toBe(413);
  });

  it("POST /api/auth/callback/credentials (sign-in): 413 for a 40 MB body", async () => {
    const big = hugeBody(FORTY_MB);
    const res = await nextAuthPost(post("http://localhost/api/auth/callback/credentials", big.stream, "application/x-www-form-urlencoded"), {
      params: Promise.resolve({ nextauth: ["callback", "credentials"] }),
    });
    expect(res.status).toBe(413);
    expect(big.pulled()).toBeLessThan(512 * 1024);
  });

  it("POST /api/trpc/auth.signUp: 413 for a 40 MB body", async () => {
    const big = hugeBody(FORTY_MB);
    const res = await trpcPost(post("http://localhost/api/trpc/auth.signUp", big.stream));
    expect(res.status).toBe(413);
    expect(big.pulled()).toBeLessThan(512 * 1024);
  });
});
