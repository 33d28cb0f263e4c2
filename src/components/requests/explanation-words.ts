import type { TFunction } from "~/i18n";
import type { ExplanationWords } from "~/pricing/explanation-text";

/** The cost explanation's words in the page's language (the CSV keeps ENGLISH_EXPLANATION_WORDS). */
export function explanationWords(t: TFunction): ExplanationWords {
  return {
    price: t("explanation.price"),
    secondarySource: t("explanation.secondarySource"),
    band: t("explanation.band"),
    none: t("explanation.none"),
    kinds: {
      input: t("explanation.kind.input"),
      output: t("explanation.kind.output"),
      cacheWrite5m: t("explanation.kind.cacheWrite5m"),
      cacheWrite1h: t("explanation.kind.cacheWrite1h"),
      cacheRead: t("explanation.kind.cacheRead"),
    },
    on: t("explanation.on"),
    fees: { web_search: t("explanation.fee.webSearch") },
    unmatched: t("explanation.unmatched"),
    total: t("explanation.total"),
    rounded: t("explanation.rounded"),
  };
}
