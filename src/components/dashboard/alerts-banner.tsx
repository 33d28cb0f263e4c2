import { getT } from "~/i18n/server";
import { serverCaller } from "~/trpc/server";

/**
 * Spend alerts of the running periods (80 % / 100 % of a key's cap or the tenant's budget). A
 * server component reading them through the tenant.alerts procedure (membership checked there).
 */
export async function AlertsBanner({ tenantId }: { tenantId: string }) {
  const [alerts, { t, f }] = await Promise.all([serverCaller().then((caller) => caller.tenant.alerts({ tenantId })), getT()]);
  if (alerts.length === 0) return null;
  const severe = alerts.some((a) => a.threshold >= 100);
  return (
    <section
      role="status"
      aria-label={t("alerts.title")}
      data-testid="alerts-banner"
      className={
        severe
          ? "rounded-2xl border border-red-200 bg-red-50 p-4 text-sm text-red-900 dark:border-red-900/70 dark:bg-red-950/50 dark:text-red-200"
          : "rounded-2xl border border-amber-200 bg-amber-50 p-4 text-sm text-amber-900 dark:border-amber-900/70 dark:bg-amber-950/50 dark:text-amber-200"
      }
    >
      <h2 className="font-semibold">{t("alerts.title")}</h2>
      <ul className="mt-1.5 list-disc space-y-1 pl-5">
        {alerts.map((a) => {
          const vars = { percent: a.threshold, spent: f.cost(a.spentMicros), cap: f.cost(a.capMicros) };
          return (
            <li key={a.id} data-alert-kind={a.kind} data-threshold={a.threshold}>
              {a.kind === "tenant_budget"
                ? t("alerts.budget", vars)
                : t("alerts.keyCap", { ...vars, key: a.keyName ?? t("usage.topKeys.deleted"), period: t(`alerts.period.${a.kind}`) })}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
