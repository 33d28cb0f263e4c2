/**
 * Why a request cost what it did, as text for the request-log detail and the CSV: each token kind
 * × its rate, the band, each multiplier, each fee, the total. Pure (no server imports) so the
 * portal's client components use the very same parts; the words come in (`ExplanationWords`, the
 * portal passes its language's, the CSV the English ones). Amounts are exact decimals, never floats.
 */
import type { CostExplanation, CostFee } from "./request";
import type { TokenUsage } from "~/ledger/types";

/** The words of an explanation (catalog ids, model names, fields, numbers and units stay as they are). */
export interface ExplanationWords {
  price: string;
  secondarySource: string;
  band: string;
  none: string;
  kinds: Record<keyof TokenUsage, string>;
  /** "× 2 on input, output" */
  on: string;
  fees: Record<CostFee["kind"], string>;
  unmatched: string;
  total: string;
  rounded: string;
}

export const ENGLISH_EXPLANATION_WORDS: ExplanationWords = {
  price: "price",
  secondarySource: "secondary source",
  band: "band",
  none: "none",
  kinds: { input: "input", output: "output", cacheWrite5m: "cache write 5m", cacheWrite1h: "cache write 1h", cacheRead: "cache read" },
  on: "on",
  fees: { web_search: "fee web search" },
  unmatched: "reported; no price rule for this model (standard rates)",
  total: "total",
  rounded: "rounded once to the micro-dollar",
};

/** n / 10^scale as an exact decimal string without trailing zeros, e.g. (1500000, 6) → "1.5". */
export function exactDecimal(n: bigint, scale: number): string {
  const neg = n < 0n;
  const abs = neg ? -n : n;
  const base = 10n ** BigInt(scale);
  const whole = abs / base;
  const frac = (abs % base).toString().padStart(scale, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

/** Micro-dollars per million tokens as dollars per MTok: 3000000 → "$3". */
export const ratePerMTok = (micros: number): string => `$${exactDecimal(BigInt(micros), 6)}/MTok`;
/** An exact, possibly fractional, dollar amount from µ$ × tokens / 1e6: kept to the pico-dollar. */
/** tokens × rate (µ$/MTok) × an exact decimal factor ("2", "1.1", "0.55"), in dollars, exactly. */
function lineDollars(tokens: number, rateMicrosPerMTok: number, factor: string | undefined): string {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(factor ?? "1");
  const digits = m ? m[1]! + (m[2] ?? "") : "1";
  const scale = m ? (m[2] ?? "").length : 0;
  return `$${exactDecimal(BigInt(tokens) * BigInt(rateMicrosPerMTok) * BigInt(digits), 12 + scale)}`;
}

export interface ExplanationPart {
  label: string;
  detail: string;
}

/** The explanation as labelled parts, in the order the cost is built. */
export function explanationParts(e: CostExplanation, w: ExplanationWords = ENGLISH_EXPLANATION_WORDS): ExplanationPart[] {
  const kind = (k: string) => w.kinds[k as keyof TokenUsage] ?? k;
  const parts: ExplanationPart[] = [
    { label: w.price, detail: e.entryId + (e.secondary ? ` (${w.secondarySource})` : "") + (e.sourceUrl ? ` ${e.sourceUrl}` : "") },
  ];
  parts.push({ label: w.band, detail: e.band ?? w.none });
  for (const line of e.lines) {
    if (line.tokens === 0) continue;
    parts.push({
      label: kind(line.kind),
      detail:
        `${line.tokens} × ${ratePerMTok(line.ratePerMTokMicros)}` +
        (line.factor && line.factor !== "1" ? ` × ${line.factor}` : "") +
        ` = ${lineDollars(line.tokens, line.ratePerMTokMicros, line.factor)}`,
    });
  }
  for (const m of e.multipliers) {
    parts.push({ label: `× ${m.field} ${m.value}`, detail: `× ${m.factor} ${w.on} ${m.appliesTo.map(kind).join(", ")}` });
  }
  for (const f of e.fees) {
    parts.push({
      label: w.fees[f.kind] ?? `fee ${String(f.kind).replace("_", " ")}`,
      detail: `${f.count} × $${exactDecimal(BigInt(f.perThousandMicros), 6)}/1000 = $${exactDecimal(BigInt(f.count) * BigInt(f.perThousandMicros), 9)}`,
    });
  }
  for (const u of e.unmatchedModifiers ?? []) {
    parts.push({ label: `${u.field} ${u.value}`, detail: w.unmatched });
  }
  parts.push({ label: w.total, detail: `$${exactDecimal(BigInt(e.totalMicros), 6)} (${w.rounded})` });
  return parts;
}

/** One line for a CSV cell. */
export function explanationText(e: CostExplanation | null, unpricedReason = "not priced"): string {
  if (!e) return unpricedReason;
  return explanationParts(e)
    .map((p) => `${p.label}: ${p.detail}`)
    .join("; ");
}
