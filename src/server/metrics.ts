/**
 * Every metric of a process, put together for /api/metrics: the store error counters (infra), the
 * relay's and the ledger's sets, all on the one process registry. A scrape registers every set
 * first, so a series shows (at zero, or the flush backlog measured now) before its first event.
 */
import type { Registry } from "prom-client";
import { createRegistry, processMetricSet, processRegistry, StoreMetrics, storeMetrics } from "~/infra/observability/metrics";
import { LedgerMetrics, ledgerMetrics, type FlushBacklog } from "~/ledger/metrics";
import type { PriceTable } from "~/pricing";
import { RelayMetrics, relayMetrics } from "~/relay/metrics";

export interface Metrics {
  readonly registry: Registry;
  readonly store: StoreMetrics;
  readonly relay: RelayMetrics;
  readonly ledger: LedgerMetrics;
  /** Prometheus text exposition of every metric. */
  text(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsOptions {
  /** Add api_key_id / tenant_id labels (default: env METRICS_KEY_LABELS=true). */
  keyLabels?: boolean;
  /** Collect Node process metrics (default true). */
  defaultMetrics?: boolean;
  /** Measures the flush backlog on scrape; default reads the ledger streams in Redis. */
  backlog?: () => Promise<FlushBacklog>;
  table?: PriceTable;
}

function assemble(registry: Registry, store: StoreMetrics, relay: RelayMetrics, ledger: LedgerMetrics): Metrics {
  return {
    registry,
    store,
    relay,
    ledger,
    text: () => registry.metrics(),
    get contentType() {
      return registry.contentType;
    },
  };
}

/** A separate set of every metric on its own registry (tests, other sinks). */
export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = createRegistry({ defaultMetrics: opts.defaultMetrics });
  // Registered in this order so a scrape's backlog failure shows in that same scrape's error count.
  const relay = new RelayMetrics(registry, { keyLabels: opts.keyLabels, table: opts.table });
  const ledger = new LedgerMetrics(registry, {
    backlog: opts.backlog,
    onBacklogError: () => store.observeRedisError("metrics_backlog"),
  });
  const store = new StoreMetrics(registry);
  return assemble(registry, store, relay, ledger);
}

/** The process-wide metrics (each set created on first use, all on the process registry). */
export function metrics(): Metrics {
  return processMetricSet("all", () => {
    const relay = relayMetrics();
    const ledger = ledgerMetrics();
    return assemble(processRegistry(), storeMetrics(), relay, ledger);
  });
}

/** Prometheus text exposition of every metric of the process. */
export const metricsText = (): Promise<string> => metrics().text();
export const metricsContentType = (): string => metrics().contentType;
