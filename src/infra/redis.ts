import "server-only";
import { Cluster, Redis } from "ioredis";
import { env } from "~/infra/env";

export type RedisClient = Redis | Cluster;

/** A Redis connection from env: a Cluster when REDIS_CLUSTER_NODES is set, else REDIS_URL. */
export function createRedis(): RedisClient {
  if (env.REDIS_CLUSTER_NODES) {
    const nodes = env.REDIS_CLUSTER_NODES.split(",").map((hp) => {
      const [host, port] = hp.trim().split(":");
      return { host: host ?? "127.0.0.1", port: Number(port ?? 6379) };
    });
    return new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: 2 }, enableAutoPipelining: true });
  }
  return new Redis(env.REDIS_URL, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
}

const globalForRedis = globalThis as unknown as { redis?: RedisClient };

/** The process-wide Redis connection. */
export const redis: RedisClient = (globalForRedis.redis ??= createRedis());
