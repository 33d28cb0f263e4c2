import { createHash } from "node:crypto";
import type { RedisClient } from "~/infra/redis";

/** A Lua script run by EVALSHA, loaded on first NOSCRIPT (after a Redis restart, too). */
export class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(client: RedisClient, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      // One array argument, not a spread: scripts may take tens of thousands of arguments.
      return await client.call("EVALSHA", [this.sha, keys.length, ...keys, ...args]);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith("NOSCRIPT")) throw err;
      return client.call("EVAL", [this.source, keys.length, ...keys, ...args]);
    }
  }
}
