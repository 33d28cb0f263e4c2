/**
 * Locale for React Server Components and route handlers: the `mg-locale` cookie, else the
 * browser's Accept-Language, else English. `const { t, f } = await getT();`
 */
import { cookies, headers } from "next/headers";
import { cache } from "react";
import { LOCALE_COOKIE, resolveLocale, type Locale } from "./config";
import { createFormatters, createT, type Formatters, type TFunction } from "./messages";

export const getLocale = cache(async (): Promise<Locale> => {
  const [jar, h] = await Promise.all([cookies(), headers()]);
  return resolveLocale(jar.get(LOCALE_COOKIE)?.value, h.get("accept-language"));
});

export async function getT(): Promise<{ t: TFunction; f: Formatters; locale: Locale }> {
  const locale = await getLocale();
  return { t: createT(locale), f: createFormatters(locale), locale };
}
