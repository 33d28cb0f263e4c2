"use client";

/**
 * Locale for client components: <I18nProvider locale> (in the root layout) and
 * `const t = useT()`, `const f = useFormat()`, `useLocale()`.
 */
import { createContext, useContext, useMemo, type ReactNode } from "react";
import { DEFAULT_LOCALE, type Locale } from "./config";
import { createFormatters, createT, type Formatters, type TFunction } from "./messages";

interface I18nValue {
  locale: Locale;
  t: TFunction;
  f: Formatters;
}

const I18nContext = createContext<I18nValue>({
  locale: DEFAULT_LOCALE,
  t: createT(DEFAULT_LOCALE),
  f: createFormatters(DEFAULT_LOCALE),
});

export function I18nProvider({ locale, children }: { locale: Locale; children: ReactNode }) {
  const value = useMemo(() => ({ locale, t: createT(locale), f: createFormatters(locale) }), [locale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useT(): TFunction {
  return useContext(I18nContext).t;
}

export function useFormat(): Formatters {
  return useContext(I18nContext).f;
}

export function useLocale(): Locale {
  return useContext(I18nContext).locale;
}
