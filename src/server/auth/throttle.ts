/**
 * Sign-in throttling in Redis, per account (the email tried, known or not, so it reveals nothing)
 * and per client IP, with growing back-off. Every attempt is counted *before* the password is
 * checked, in one script call, so parallel guesses cannot slip past the count. After `maxAttempts`
 * within `windowMs` the subject is locked for baseLockMs, doubling with each further lockout (up
 * to maxLockMs); the lockout level is remembered for a day of quiet. A successful sign-in clears
 * the account's state and gives the IP its attempt back (so a busy office is not locked out by
 * its own successful sign-ins). Redis down: attempts are not throttled (logged), never refused.
 */
import { createHash } from "node:crypto";
import { env } from "~/infra/env";
import { redis as defaultRedis, type RedisClient } from "~/infra/redis";

export interface ThrottlePolicy {
  maxAttempts: number;
  windowMs: number;
  baseLockMs: number;
  maxLockMs: number;
  /** How long the state (and the lockout level) survives without attempts. */
  memoryMs: number;
}

export const ACCOUNT_POLICY: ThrottlePolicy = { maxAttempts: 5, windowMs: 15 * 60_000, baseLockMs: 30_000, maxLockMs: 60 * 60_000, memoryMs: 86_400_000 };
export const IP_POLICY: ThrottlePolicy = { maxAttempts: 30, windowMs: 15 * 60_000, baseLockMs: 60_000, maxLockMs: 60 * 60_000, memoryMs: 86_400_000 };

// KEYS[1] state hash; ARGV now, maxAttempts, windowMs, baseLockMs, maxLockMs, memoryMs.
// Returns {allowed 0|1, retryAfterMs, newLockout 0|1, level}.
const ATTEMPT_SCRIPT = `
local k = KEYS[1]
local now = tonumber(ARGV[1])
local s = redis.call('HMGET', k, 'n', 'first', 'until', 'level')
local n = tonumber(s[1]) or 0
local first = tonumber(s[2]) or now
local lockedUntil = tonumber(s[3]) or 0
local level = tonumber(s[4]) or 0
if lockedUntil > now then return {0, lockedUntil - now, 0, level} end
if now - first > tonumber(ARGV[3]) then n = 0; first = now end
n = n + 1
if n > tonumber(ARGV[2]) then
  level = level + 1
  local lock = math.min(tonumber(ARGV[4]) * math.pow(2, level - 1), tonumber(ARGV[5]))
  lock = math.floor(lock)
  redis.call('HSET', k, 'n', 0, 'first', now, 'until', now + lock, 'level', level)
  redis.call('PEXPIRE', k, tonumber(ARGV[6]))
  return {0, lock, 1, level}
end
redis.call('HSET', k, 'n', n, 'first', first)
redis.call('PEXPIRE', k, tonumber(ARGV[6]))
return {1, 0, 0, level}
`;

// Gives one attempt back (never below zero).
const REFUND_SCRIPT = `
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if n > 0 then redis.call('HSET', KEYS[1], 'n', n - 1) end
return n
`;

export type ThrottleSubject = { kind: "account"; email: string } | { kind: "ip"; ip: string };

export interface AttemptVerdict {
  allowed: boolean;
  retryAfterSeconds: number;
  /** This attempt started a lockout (audit it). */
  lockedNow: boolean;
  level: number;
}

function stateKey(subject: ThrottleSubject): string {
  // Hashed: emails and addresses do not appear in Redis key names.
  const id = createHash("sha256").update(subject.kind === "account" ? subject.email : subject.ip).digest("hex").slice(0, 32);
  return `${env.REDIS_PREFIX}signin:${subject.kind}:${id}`;
}

export class SignInThrottle {
  constructor(
    private readonly redis: RedisClient = defaultRedis,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one attempt for `subject` and says whether it may proceed. */
  async attempt(subject: ThrottleSubject, policy: ThrottlePolicy): Promise<AttemptVerdict> {
    try {
      const [allowed, retryMs, lockedNow, level] = (await this.redis.eval(
        ATTEMPT_SCRIPT,
        1,
        stateKey(subject),
        this.now(),
        policy.maxAttempts,
        policy.windowMs,
        policy.baseLockMs,
        policy.maxLockMs,
        policy.memoryMs,
      )) as [number, number, number, number];
      return { allowed: allowed === 1, retryAfterSeconds: Math.ceil(retryMs / 1000), lockedNow: lockedNow === 1, level };
    } catch (error) {
      console.error("sign-in throttle: Redis unavailable, attempt not throttled", error);
      return { allowed: true, retryAfterSeconds: 0, lockedNow: false, level: 0 };
    }
  }

  /** A successful sign-in: the account starts over, the IP gets this attempt back. */
  async succeeded(email: string, ip: string | null): Promise<void> {
    try {
      await this.redis.del(stateKey({ kind: "account", email }));
      if (ip) await this.redis.eval(REFUND_SCRIPT, 1, stateKey({ kind: "ip", ip }));
    } catch (error) {
      console.error("sign-in throttle: Redis unavailable, state not cleared", error);
    }
  }
}
