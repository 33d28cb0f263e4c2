/**
 * Validated configuration. Parsed once, on first use; `instrumentation.ts` touches it at start-up
 * so a missing or bad variable stops the server with a message naming it.
 */
import { z } from "zod";
import { parseCidr, parseHostPattern } from "./net/address";
import { checkUrlShape } from "./net/url";

const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
const int = (def: number) => z.coerce.number().int().nonnegative().default(def);
const optionalUrl = z.url().optional().or(z.literal("").transform(() => undefined));
/** A deployment upstream: trusted as to where it points, but shaped like any base URL (no credentials, query or fragment). */
const upstreamBaseUrl = (def: string) =>
  z
    .url()
    .default(def)
    .superRefine((v, ctx) => {
      const checked = checkUrlShape(v, "upstream");
      if (!checked.ok) ctx.addIssue({ code: "custom", message: checked.message });
    });
/** Comma-separated list whose every entry `check` accepts (it throws a message otherwise). */
const commaList = (check: (entry: string) => unknown) =>
  z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      for (const entry of (v ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
        try {
          check(entry);
        } catch (err) {
          ctx.addIssue({ code: "custom", message: err instanceof Error ? err.message : String(err) });
        }
      }
    });

export const envSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  DATABASE_URL: z.url().default("postgresql://postgres@127.0.0.1:5432/metergate"),
  /** Optional read replica for dashboards and reports. */
  DATABASE_REPLICA_URL: optionalUrl,
  REDIS_URL: z.url().default("redis://127.0.0.1:6379"),
  /** Comma-separated host:port list; when set, ioredis Cluster is used instead of REDIS_URL. */
  REDIS_CLUSTER_NODES: z.string().optional(),
  /** Prefix of every Redis key, so several deployments (or test runs) can share one Redis. */
  REDIS_PREFIX: z.string().regex(/^[a-zA-Z0-9:_-]*$/).default("mg:"),
  NEXTAUTH_SECRET: z.string().min(32, "NEXTAUTH_SECRET must be at least 32 characters"),
  NEXTAUTH_URL: z.url().default("http://localhost:3000"),
  /** 32 bytes, hex or base64: encrypts upstream credentials at rest (AES-256-GCM). */
  ENCRYPTION_KEY: z
    .string()
    .refine((v) => decodeKey(v)?.length === 32, "ENCRYPTION_KEY must be 32 bytes as hex (64 chars) or base64"),
  UPSTREAM_ANTHROPIC_BASE_URL: upstreamBaseUrl("https://api.anthropic.com"),
  UPSTREAM_ANTHROPIC_API_KEY: z.string().optional(),
  UPSTREAM_OPENAI_BASE_URL: upstreamBaseUrl("https://api.openai.com"),
  UPSTREAM_OPENAI_API_KEY: z.string().optional(),
  /**
   * Tenant upstreams and webhooks may not reach loopback, private, link-local, CGNAT, ULA,
   * multicast or this server's addresses. Comma-separated CIDRs (or single addresses) that may be
   * reached anyway, e.g. "10.20.0.0/16" for providers on a private network.
   */
  EGRESS_ALLOW_CIDRS: commaList(parseCidr),
  /** Comma-separated host names ("llm.corp.example", "*.corp.example") whose addresses are not range-checked. */
  EGRESS_ALLOW_HOSTS: commaList(parseHostPattern),
  RELAY_MAX_BODY_BYTES: int(32 * 1024 * 1024),
  RELAY_CONNECT_TIMEOUT_MS: int(10_000),
  RELAY_IDLE_TIMEOUT_MS: int(300_000),
  /** How long the relay trusts a cached key / tenant upstream list before reading Postgres again. */
  KEY_CACHE_TTL_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /**
   * While Postgres is unreachable, keys and upstreams read at most this long ago keep being served
   * (revocations still apply through Redis); 0 = refuse at once. At most a day: the Redis key-state
   * markers that carry revocations through an outage live longer than that.
   */
  KEY_CACHE_STALE_MAX_MS: z.coerce.number().int().min(0).max(86_400_000).default(600_000),
  /** Output tokens reserved at admission for a request that sets no max_tokens (unset: DEFAULT_MAX_OUTPUT_TOKENS, src/relay/reservation.ts). */
  RESERVE_DEFAULT_MAX_OUTPUT_TOKENS: z.coerce.number().int().min(1).max(1_000_000).optional(),
  FLUSH_INTERVAL_MS: int(2_000),
  /** TTL of a shard's flush lock; the holder renews it every third of it while it works. */
  FLUSH_LOCK_TTL_MS: z.coerce.number().int().min(500).default(5_000),
  /**
   * TTL of a request's lease (its concurrency slot and reservation). The relay process renews the
   * leases of its live requests every LEASE_HEARTBEAT_MS; a dead process's leases expire after
   * this and the flush job records them as orphaned.
   */
  LEASE_TTL_MS: z.coerce.number().int().min(1_000).default(15_000),
  /** 0 = a third of LEASE_TTL_MS. */
  LEASE_HEARTBEAT_MS: int(0),
  /** On SIGTERM: how long open requests may run before they are cut and recorded. */
  RELAY_DRAIN_TIMEOUT_MS: int(25_000),
  /** Local journal of records that could not reach Redis (replayed when it is back). */
  LEDGER_JOURNAL_DIR: z.string().min(1).default(".data/ledger-journal"),
  /** Bytes the journal may hold; beyond it, records are dropped (counted, logged). */
  LEDGER_JOURNAL_MAX_BYTES: int(256 * 1024 * 1024),
  /** Run the flush job inside each server process (a lease lock keeps one runner active). */
  FLUSH_IN_PROCESS: bool.default(true),
  /** Request-log rows older than this are deleted in batches (rollups are kept); 0 keeps them forever. */
  REQUEST_LOG_RETENTION_DAYS: int(90),
  LEDGER_SHARDS: z.coerce.number().int().min(1).max(1024).default(16),
  LOOKUP_RATE_LIMIT_PER_MINUTE: int(30),
  /** Platform default for models without a price (tenants may set their own): refuse_when_capped | allow. */
  UNPRICED_MODEL_POLICY: z.enum(["refuse_when_capped", "allow"]).default("refuse_when_capped"),
  /** Add api_key_id / tenant_id labels to relay metrics (one series per key: mind cardinality). */
  METRICS_KEY_LABELS: bool.default(false),
  /** When set, GET /api/metrics requires `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: z.string().min(16).optional(),
  /** Per-check timeout of /api/ready. */
  READY_TIMEOUT_MS: int(2_000),
  /**
   * Reverse proxies of ours in front of the server, each appending to X-Forwarded-For. 0: the
   * client address is the socket's peer and X-Forwarded-For is ignored (src/net/client-ip.ts).
   */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /** Account sign-ups per client IP per hour; 0 disables the limit. */
  SIGNUP_RATE_LIMIT_PER_HOUR: int(10),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  LOG_FORMAT: z.enum(["json", "pretty"]).default("json"),
});

export type Env = z.infer<typeof envSchema>;

export function decodeKey(value: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, "hex");
  const b = Buffer.from(value, "base64");
  return b.length > 0 ? b : undefined;
}

export class EnvError extends Error {}

export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  // Empty strings mean "unset" so that a blank line in .env falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new EnvError(`Invalid environment configuration:\n${lines.join("\n")}`);
  }
  return result.data;
}

let cached: Env | undefined;

/** The validated environment; throws EnvError naming each bad variable. */
export const env: Env = new Proxy({} as Env, {
  get(_target, prop: string) {
    cached ??= parseEnv();
    return cached[prop as keyof Env];
  },
});

/** For tests that change process.env between cases. */
export function resetEnvCache(): void {
  cached = undefined;
}
