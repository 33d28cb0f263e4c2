/** Fixed-window rate limits in Redis: one INCR (+ EXPIRE) per hit, shared by every instance. */
import { env } from "~/infra/env";
import { redis as defaultRedis, type RedisClient } from "~/infra/redis";

export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the current window ends. */
  retryAfterSeconds: number;
}

export interface FixedWindowOptions {
  /** Names the limit, e.g. "lookup". */
  bucket: string;
  /** Who is limited, e.g. a client IP. */
  subject: string;
  /** Hits allowed per window; 0 disables the limit. */
  limit: number;
  windowSeconds: number;
  redis?: RedisClient;
  now?: number;
}

export async function hitFixedWindow(opts: FixedWindowOptions): Promise<RateLimitResult> {
  const now = opts.now ?? Date.now();
  const windowMs = opts.windowSeconds * 1000;
  const windowIndex = Math.floor(now / windowMs);
  const retryAfterSeconds = Math.max(1, Math.ceil(((windowIndex + 1) * windowMs - now) / 1000));
  if (opts.limit <= 0) return { allowed: true, limit: 0, remaining: 0, retryAfterSeconds: 0 };
  const key = `${env.REDIS_PREFIX}rl:${opts.bucket}:${opts.subject}:${windowIndex}`;
  const client = opts.redis ?? defaultRedis;
  let count: number;
  try {
    const results = await client.multi().incr(key).expire(key, opts.windowSeconds + 1).exec();
    const incr = results?.[0];
    if (!incr || incr[0]) throw incr?.[0] ?? new Error("rate limit: empty MULTI result");
    count = Number(incr[1]);
  } catch {
    // Redis unavailable: fail open. The limit protects against probing, not against overload.
    return { allowed: true, limit: opts.limit, remaining: opts.limit, retryAfterSeconds };
  }
  return {
    allowed: count <= opts.limit,
    limit: opts.limit,
    remaining: Math.max(0, opts.limit - count),
    retryAfterSeconds,
  };
}

/** The public lookup limit per client IP (LOOKUP_RATE_LIMIT_PER_MINUTE). */
export function hitLookupLimit(clientIp: string | null): Promise<RateLimitResult> {
  return hitFixedWindow({
    bucket: "lookup",
    subject: clientIp ?? "unknown",
    limit: env.LOOKUP_RATE_LIMIT_PER_MINUTE,
    windowSeconds: 60,
  });
}
