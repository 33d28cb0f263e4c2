/**
 * Stub upstream + the relay on the lean Node server, wired to the test database for keys and to
 * an in-memory recorder, so tests can assert exactly what the relay would give the ledger.
 */
import type { RequestEvent } from "~/ledger/types";
import { createRelay, createUpstreamFetch, type RelayDeps } from "~/relay";
import { prismaKeyLookup } from "~/server/relay/default";
import { startRelayServer, type RelayServer } from "~/relay/node-server";
import { startStubUpstream, type StubUpstream } from "../../stub/upstream";

export const UPSTREAM_ANTHROPIC_KEY = "sk-ant-upstream-secret";
export const UPSTREAM_OPENAI_KEY = "sk-openai-upstream-secret";

export interface RelayHarness {
  stub: StubUpstream;
  relay: RelayServer;
  recorded: RequestEvent[];
  /** Every request that reached the relay ("METHOD /path"), retries included. */
  arrived: string[];
  /** Resolves with the next recorded event (or one already recorded since the last call). */
  nextRecord(timeoutMs?: number): Promise<RequestEvent>;
  close(): Promise<void>;
}

export async function startRelayHarness(over: Partial<RelayDeps> = {}): Promise<RelayHarness> {
  const stub = await startStubUpstream();
  const recorded: RequestEvent[] = [];
  const arrived: string[] = [];
  let consumed = 0;
  const waiters: Array<() => void> = [];
  const handler = createRelay({
    record: async (event) => {
      recorded.push(event);
      for (const w of waiters.splice(0)) w();
    },
    // No cache: tests revoke and suspend keys between requests.
    lookupKey: prismaKeyLookup,
    // The stub stands for the deployment's own upstream (env): trusted, like envTargets.
    targets: (_key, provider) => [
      {
        id: `stub:${provider}`,
        provider,
        baseUrl: stub.url,
        credential: provider === "ANTHROPIC" ? UPSTREAM_ANTHROPIC_KEY : UPSTREAM_OPENAI_KEY,
        trusted: true,
      },
    ],
    fetchUpstream: createUpstreamFetch({ connectTimeoutMs: 2_000, idleTimeoutMs: 10_000 }),
    maxBodyBytes: 64 * 1024,
    ...over,
  });
  const relay = await startRelayServer((request, ctx) => {
    arrived.push(`${request.method} ${new URL(request.url).pathname}`);
    return handler(request, ctx);
  });
  return {
    stub,
    relay,
    recorded,
    arrived,
    async nextRecord(timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      while (recorded.length <= consumed) {
        if (Date.now() > deadline) throw new Error(`no request recorded within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return recorded[consumed++]!;
    },
    async close() {
      await relay.close();
      await stub.close();
    },
  };
}

export async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
