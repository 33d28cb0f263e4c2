/**
 * Public routes that are not the relay (sign-in, sign-up and the rest of tRPC, lookup) take small
 * bodies: they are read up to a limit while streaming (the relay's reader, never buffering more)
 * and refused with 413 past it, so a 40 MB body costs the server no more than the limit.
 */
import { NextRequest } from "next/server";
import { readLimitedBody, RelayError } from "~/relay";

/** Enough for any portal form or tRPC batch; far below anything that costs memory. */
export const PUBLIC_BODY_MAX_BYTES = 64 * 1024;

export function payloadTooLarge(maxBytes: number): Response {
  return Response.json({ error: `Request body is larger than the limit of ${maxBytes} bytes` }, { status: 413, headers: { "cache-control": "no-store" } });
}

/** The body's bytes, or null when it is larger than `maxBytes`. */
export async function readBoundedBody(req: Request, maxBytes: number = PUBLIC_BODY_MAX_BYTES): Promise<Uint8Array | null> {
  try {
    return await readLimitedBody(req, maxBytes);
  } catch (error) {
    if (error instanceof RelayError && error.statusFor("openai") === 413) return null;
    throw error;
  }
}

/**
 * `req` with its body already read within the limit (a handler that reads bodies itself, such as
 * next-auth or tRPC, gets this copy), or the 413 answer.
 */
export async function withBoundedBody(req: NextRequest, maxBytes: number = PUBLIC_BODY_MAX_BYTES): Promise<NextRequest | Response> {
  if (req.method === "GET" || req.method === "HEAD") return req;
  const body = await readBoundedBody(req, maxBytes);
  if (body === null) return payloadTooLarge(maxBytes);
  return new NextRequest(req.url, { method: req.method, headers: req.headers, body: body.byteLength > 0 ? new Uint8Array(body) : undefined });
}
