import type { KeyLookup } from "~/server/api/lib/key-lookup";
import { StatCard } from "../dashboard/stat-card";
import { ModelCostTable } from "../dashboard/model-cost-table";
import { formatCost, formatCount, formatDateTime } from "../format";
import { Card, CardHeader } from "../ui/card";

export function LookupResult({ lookup }: { lookup: KeyLookup }) {
  const t = lookup.totals;
  return (
    <div className="space-y-6" data-testid="lookup-result">
      <div className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
        <StatCard testId="stat-requests" label="Requests" value={formatCount(t.requests)} hint={`${formatCount(t.errorCount)} errors`} />
        <StatCard testId="stat-input" label="Input tokens" value={formatCount(t.inputTokens)} />
        <StatCard testId="stat-output" label="Output tokens" value={formatCount(t.outputTokens)} />
        <StatCard
          testId="stat-cache-write"
          label="Cache write"
          value={formatCount(t.cacheWrite5mTokens + t.cacheWrite1hTokens)}
          hint={`5m ${formatCount(t.cacheWrite5mTokens)} · 1h ${formatCount(t.cacheWrite1hTokens)}`}
        />
        <StatCard testId="stat-cache-read" label="Cache read" value={formatCount(t.cacheReadTokens)} />
        <StatCard testId="stat-cost" label="Cost" value={formatCost(t.costMicros)} />
      </div>
      <Card>
        <CardHeader
          title="Cost by model"
          description={
            <>
              All time, as of {formatDateTime(new Date(lookup.asOf))}. Scripts can read the same data from{" "}
              <a className="font-mono underline" href={`/api/lookup?id=${lookup.apiId}`}>
                /api/lookup?id=…
              </a>
            </>
          }
        />
        <ModelCostTable rows={lookup.models} emptyText="No usage recorded for this API ID." />
      </Card>
    </div>
  );
}
