/**
 * Every catalog entry as a row a human reads: model, provider, effectiveFrom, rates in dollars per
 * MTok, bands, multipliers, fees, source and, for entries that are not priced, why.
 * `npm run prices:update -- --list` prints it.
 */
import { formatRational, multiplierInEffect, type PriceCatalog, type RateSet } from "./catalog";

export interface CatalogListingRow {
  model: string;
  aliases: readonly string[];
  provider: string;
  effectiveFrom: string;
  priced: boolean;
  /** "in $x / out $y / 5m $z / 1h $w / read $v" per MTok; null when not priced. */
  rates: string | null;
  bands: string[];
  multipliers: string[];
  fees: string[];
  sourceUrl: string;
  readOn: string;
  secondary: boolean;
  /** Why it is not priced (null when priced). */
  notPricedReason: string | null;
  note: string | null;
}

/** µ$/MTok → "$0.125" (exact; trailing zeros trimmed, at least two decimals). */
export function dollarsPerMTok(micros: number): string {
  const s = formatRational({ num: BigInt(micros), den: 1_000_000n });
  const [w, f = ""] = s.split(".");
  return `$${w}.${f.padEnd(2, "0")}`;
}

function rateText(r: RateSet): string {
  return [
    `in ${dollarsPerMTok(r.input)}`,
    `out ${dollarsPerMTok(r.output)}`,
    `5m ${dollarsPerMTok(r.cacheWrite5m)}`,
    `1h ${dollarsPerMTok(r.cacheWrite1h)}`,
    `read ${dollarsPerMTok(r.cacheRead)}`,
  ].join(" / ");
}

export function catalogListing(catalog: PriceCatalog): CatalogListingRow[] {
  const rows: CatalogListingRow[] = [];
  for (const model of [...catalog.models.keys()].sort()) {
    for (const e of catalog.models.get(model) ?? []) {
      const base = {
        model: e.model,
        aliases: e.aliases,
        provider: e.provider,
        effectiveFrom: e.effectiveFrom,
        sourceUrl: e.sourceUrl,
        readOn: e.readOn,
        note: e.note ?? null,
      };
      if (e.kind === "notPriced") {
        rows.push({ ...base, priced: false, rates: null, bands: [], multipliers: [], fees: [], secondary: false, notPricedReason: e.reason });
        continue;
      }
      rows.push({
        ...base,
        priced: true,
        rates: rateText(e.rates),
        bands: e.bands.map((b) => `${b.countedKinds.join("+")} > ${b.thresholdTokens}: ${rateText(b.rates)}`),
        multipliers: e.multipliers.map((m) => {
          const from = Number.isFinite(m.fromMs) ? ` from ${new Date(m.fromMs).toISOString().slice(0, 10)}` : "";
          const until = Number.isFinite(m.untilMs) ? ` until ${new Date(m.untilMs).toISOString().slice(0, 10)}` : "";
          const now = multiplierInEffect(m, Date.now()) ? "" : " (not in effect now)";
          const kinds = m.appliesTo.length === 5 ? "" : ` on ${m.appliesTo.join("+")}`;
          return `${m.field}=${m.value} ×${m.factorText}${kinds}${from}${until}${now}`;
        }),
        fees: e.fees.map((f) => `${f.kind} ${dollarsPerMTok(f.perThousandMicros)} per 1,000`),
        secondary: e.secondary,
        notPricedReason: null,
      });
    }
  }
  return rows;
}

/** The listing as Markdown: priced entries, then what is not priced and why. */
export function formatCatalogListing(catalog: PriceCatalog): string {
  const rows = catalogListing(catalog);
  const priced = rows.filter((r) => r.priced);
  const notPriced = rows.filter((r) => !r.priced);
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  const out = [
    `Price catalog (read ${catalog.data.readOn}; ${priced.length} priced entries, ${notPriced.length} not priced). Rates in $ per MTok.`,
    "",
    "| model (aliases) | provider | from | rates | bands | multipliers | fees | source | secondary |",
    "|---|---|---|---|---|---|---|---|---|",
    ...priced.map((r) =>
      [
        `${r.model}${r.aliases.length ? ` (${r.aliases.join(", ")})` : ""}`,
        r.provider,
        r.effectiveFrom,
        r.rates ?? "",
        r.bands.join("; ") || "—",
        r.multipliers.join("; ") || "—",
        r.fees.join("; ") || "—",
        `${r.sourceUrl} (read ${r.readOn})`,
        r.secondary ? "yes" : "no",
      ]
        .map(cell)
        .join(" | ")
        .replace(/^/, "| ")
        .concat(" |"),
    ),
    "",
    "Not priced:",
    "",
    "| model (aliases) | provider | from | why | source |",
    "|---|---|---|---|---|",
    ...notPriced.map((r) =>
      `| ${cell(`${r.model}${r.aliases.length ? ` (${r.aliases.join(", ")})` : ""}`)} | ${r.provider} | ${r.effectiveFrom} | ${cell(r.notPricedReason ?? "")} | ${r.sourceUrl} |`,
    ),
  ];
  return out.join("\n");
}
