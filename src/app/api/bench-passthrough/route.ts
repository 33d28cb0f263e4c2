/**
 * Next's own ceiling for `npm run bench:relay`: a trivial route handler passing the body to the
 * Anthropic upstream with undici, no auth and no metering. Answers 404 unless the server was
 * started with METERGATE_BENCH_PASSTHROUGH=1 (only bench/relay.ts does that), so production never
 * serves an unauthenticated proxy.
 */
import { Agent, fetch } from "undici";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const enabled = process.env.METERGATE_BENCH_PASSTHROUGH === "1";
const agent = enabled ? new Agent({ keepAliveTimeout: 30_000 }) : null;

export async function POST(request: Request): Promise<Response> {
  if (!agent) return new Response(null, { status: 404 });
  const base = process.env.UPSTREAM_ANTHROPIC_BASE_URL ?? "http://127.0.0.1:4010";
  const upstream = await fetch(`${base}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "sk-bench" },
    body: await request.arrayBuffer(),
    dispatcher: agent,
  });
  return new Response(upstream.body as ReadableStream<Uint8Array> | null, {
    status: upstream.status,
    headers: { "content-type": upstream.headers.get("content-type") ?? "application/json" },
  });
}
