/**
 * A flush runner in its own process, for fault injection: with CRASH_AT=read|committed|acked it
 * SIGKILLs itself at that step of the protocol (no finally blocks, no lock release: a real crash).
 */
import { flushOnce } from "~/ledger";

const crashAt = process.env.CRASH_AT;
const loops = Number(process.env.FLUSH_LOOPS ?? 1);
// Unset: the ledger's default (env FLUSH_LOCK_TTL_MS), as a real flush worker runs.
const lockTtlMs = process.env.FLUSH_LOCK_TTL_MS ? Number(process.env.FLUSH_LOCK_TTL_MS) : undefined;
let total = 0;
for (let i = 0; i < loops; i++) {
  const r = await flushOnce({
    ...(lockTtlMs === undefined ? {} : { lockTtlMs }),
    batchSize: Number(process.env.FLUSH_BATCH ?? 2000),
    onStep: (step) => {
      if (step === crashAt) process.kill(process.pid, "SIGKILL");
    },
  });
  total += r.inserted;
  if (loops > 1) await new Promise((r) => setTimeout(r, 20));
}
process.stdout.write(JSON.stringify({ inserted: total }));
process.exit(0);
