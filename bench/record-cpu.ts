// Record-path CPU per event (sanitize, price, serialise the script call) with a Redis stand-in that
// answers at once: process CPU time, so other load on the machine barely moves it. For A/B runs
// against another checkout: `npx tsx --tsconfig tsconfig.json bench/record-cpu.ts` in each.
import { randomUUID } from "node:crypto";
Object.assign(process.env, { NEXTAUTH_SECRET: "bench-secret-bench-secret-bench-secret-01", ENCRYPTION_KEY: "0".repeat(64), LOG_LEVEL: "silent", REDIS_PREFIX: "mgmicro11:" });
const { recordRequest } = await import("~/ledger");
type RequestEvent = import("~/ledger").RequestEvent;
let bytes = 0, argc = 0, calls = 0;
const fake = { call: async (_c: string, a: Array<string | number>) => { calls++; argc += a.length; for (const x of a) bytes += typeof x === "string" ? x.length : 8; return 1; } } as never;
const keys = Array.from({ length: 200 }, () => ({ id: randomUUID(), tenantId: `t${Math.random()}` }));
const models = ["claude-sonnet-4-5", "claude-haiku-4-5", "gpt-4o", "gpt-4.1-mini"];
const ids = Array.from({ length: 100_000 }, () => randomUUID());
const event = (i: number): RequestEvent => {
  const k = keys[i % 200]!;
  return {
    id: ids[i % ids.length]!, apiKeyId: k.id, tenantId: k.tenantId, model: models[i % models.length]!, provider: "ANTHROPIC",
    endpoint: "/v1/messages", stream: true, status: 200,
    usage: { input: 400 + (i % 100), output: 80 + (i % 50), cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 1000 },
    usageSource: "UPSTREAM", startedAt: Date.now(), latencyMs: 300, ttfbMs: 40, clientIp: "10.0.0.1", userAgent: "bench", error: null,
  };
};
const N = 200_000;
const rounds: number[] = [];
for (let r = 0; r < 7; r++) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await recordRequest(event(i), null, { redis: fake });
  const c = process.cpuUsage(c0);
  rounds.push((c.user + c.system) / N);
}
const s = [...rounds].sort((a, b) => a - b);
console.log(`CPU us/event median ${s[3]!.toFixed(3)} min ${s[0]!.toFixed(3)} | args/call ${(argc / calls).toFixed(1)} bytes/call ${(bytes / calls).toFixed(0)}`);
process.exit(0);
