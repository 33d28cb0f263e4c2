import type { RouterOutputs } from "~/trpc/types";
import { StatCard } from "../dashboard/stat-card";
import { getT } from "~/i18n/server";
import { Card, CardHeader } from "../ui/card";
import { LookupDetails } from "./lookup-details";

/** What the lookup shows for one key, as the lookup.byApiId procedure answers it. */
type KeyLookup = RouterOutputs["lookup"]["byApiId"];

export async function LookupResult({ lookup }: { lookup: KeyLookup }) {
  const { t: tr, f } = await getT();
  // Unknown and revoked IDs: one text, nothing of the key (no "No limits", no "Expires never").
  if (!lookup.found) {
    return (
      <div data-testid="lookup-no-data">
        <Card>
          <CardHeader title={tr("lookup.noData.title")} description={tr("lookup.noData.description")} />
          <p className="break-all font-mono text-xs text-zinc-600 dark:text-zinc-400">{lookup.apiId}</p>
        </Card>
      </div>
    );
  }
  const formatCount = f.count;
  const formatCost = f.cost;
  const t = lookup.totals;
  return (
    <div className="space-y-6" data-testid="lookup-result">
      <div className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
        <StatCard testId="stat-requests" label={tr("usage.stat.requests")} value={formatCount(t.requests)} hint={tr("usage.stat.errors", { count: t.errorCount })} />
        <StatCard testId="stat-input" label={tr("usage.stat.input")} value={formatCount(t.inputTokens)} />
        <StatCard testId="stat-output" label={tr("usage.stat.output")} value={formatCount(t.outputTokens)} />
        <StatCard
          testId="stat-cache-write"
          label={tr("usage.stat.cacheWrite")}
          value={formatCount(t.cacheWrite5mTokens + t.cacheWrite1hTokens)}
          hint={`5m ${formatCount(t.cacheWrite5mTokens)} · 1h ${formatCount(t.cacheWrite1hTokens)}`}
        />
        <StatCard testId="stat-cache-read" label={tr("usage.stat.cacheRead")} value={formatCount(t.cacheReadTokens)} />
        <StatCard testId="stat-cost" label={tr("usage.stat.cost")} value={formatCost(t.costMicros)} />
      </div>
      <LookupDetails lookup={lookup} />
    </div>
  );
}
