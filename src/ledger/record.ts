import { costOf } from "~/pricing";
import { redis as defaultRedis, type RedisClient } from "~/server/redis";
import { LuaScript } from "./lua";
import { pendingDeltas, type StoredEvent } from "./event";
import { ledgerKeys, shardOf } from "./redis-keys";
import type { RequestEvent } from "./types";

/**
 * Appends the event to its shard's stream and adds its usage to the tenant's unflushed deltas,
 * atomically, in one round trip. Both keys share the shard's hash tag.
 */
const recordScript = new LuaScript(`
redis.call('XADD', KEYS[1], '*', 'e', ARGV[1])
for i = 2, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
end
return 1
`);

export interface RecordResult {
  costMicros: number;
  priced: boolean;
}

export async function recordRequest(event: RequestEvent, client: RedisClient = defaultRedis): Promise<RecordResult> {
  const { costMicros, priced } = costOf(event.model, event.usage);
  const stored: StoredEvent = {
    ...event,
    latencyMs: Math.max(0, Math.round(event.latencyMs)),
    ttfbMs: event.ttfbMs === null ? null : Math.max(0, Math.round(event.ttfbMs)),
    costMicros,
    priced,
  };
  const shard = shardOf(event.tenantId);
  const args: Array<string | number> = [JSON.stringify(stored)];
  for (const [field, delta] of pendingDeltas(stored)) args.push(field, delta);
  await recordScript.run(client, [ledgerKeys.events(shard), ledgerKeys.pending(shard, event.tenantId)], args);
  return { costMicros, priced };
}
