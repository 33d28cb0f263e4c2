/** Webhook retry schedule (pure, no I/O). */
export const BACKOFF_BASE_MS = 10_000;
export const BACKOFF_CAP_MS = 3_600_000;

/**
 * Delay before the attempt after `attempt` failed ones: 10 s, 20 s, 40 s … doubled each time,
 * ±25 % jitter, never above 1 h.
 */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const exp = BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1);
  const jittered = Math.min(exp, BACKOFF_CAP_MS) * (0.75 + 0.5 * random());
  return Math.round(Math.min(jittered, BACKOFF_CAP_MS));
}
