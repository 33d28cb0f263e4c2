/**
 * Messages the server sends to the portal (tRPC errors, validation) in the caller's language.
 * Server code keeps throwing its English text; each such text is a `server.*` entry of the
 * reference dictionary (en.ts), `{placeholders}` standing for the variable parts. Here a message
 * is matched against those entries and rendered in the locale with the same values. A message
 * without an entry passes unchanged (and src/i18n/server-messages.test.ts fails for the literal
 * messages of src/server that have none). Zod's own messages come from zod's locale.
 */
import { z } from "zod";
import { DEFAULT_LOCALE, LOCALE_COOKIE, resolveLocale, type Locale } from "./config";
import { en, type MessageKey } from "./en";
import { createT } from "./messages";

interface Pattern {
  key: MessageKey;
  regex: RegExp;
  names: string[];
}

let patterns: Pattern[] | undefined;

function serverPatterns(): Pattern[] {
  patterns ??= (Object.entries(en) as [MessageKey, string][])
    .filter(([key]) => key.startsWith("server."))
    .map(([key, text]) => {
      const names: string[] = [];
      const source = text
        .split(/(\{\w+\})/)
        .map((part) => {
          const name = /^\{(\w+)\}$/.exec(part)?.[1];
          if (name) {
            names.push(name);
            return "(.+?)";
          }
          return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        })
        .join("");
      return { key, regex: new RegExp(`^${source}$`), names };
    });
  return patterns;
}

/** The dictionary entry and values of a server message, or null when it has none. */
export function matchServerMessage(message: string): { key: MessageKey; vars: Record<string, string> } | null {
  for (const p of serverPatterns()) {
    const m = p.regex.exec(message);
    if (m) return { key: p.key, vars: Object.fromEntries(p.names.map((n, i) => [n, m[i + 1] ?? ""])) };
  }
  return null;
}

const ERROR_CODE_KEYS: Partial<Record<string, MessageKey>> = {
  UNAUTHORIZED: "server.code.UNAUTHORIZED",
  FORBIDDEN: "server.code.FORBIDDEN",
  NOT_FOUND: "server.code.NOT_FOUND",
  BAD_REQUEST: "server.code.BAD_REQUEST",
  TOO_MANY_REQUESTS: "server.code.TOO_MANY_REQUESTS",
  INTERNAL_SERVER_ERROR: "server.code.INTERNAL_SERVER_ERROR",
  CONFLICT: "server.code.CONFLICT",
};

/** A server message in the locale; a bare error code (tRPC's message when none was given) as words. */
export function localizeServerMessage(message: string, locale: Locale): string {
  const t = createT(locale);
  const codeKey = ERROR_CODE_KEYS[message];
  if (codeKey) return t(codeKey);
  if (locale === DEFAULT_LOCALE) return message;
  const match = matchServerMessage(message);
  return match ? t(match.key, match.vars) : message;
}

const ZOD_LOCALES: Partial<Record<Locale, () => { localeError: z.core.$ZodErrorMap }>> = { "zh-CN": z.locales.zhCN };

/** A validation issue's message in the locale: our own texts by the dictionary, zod's by zod's locale. */
export function localizeIssue(issue: z.core.$ZodIssue, locale: Locale): string {
  if (locale === DEFAULT_LOCALE) return issue.message;
  if (matchServerMessage(issue.message)) return localizeServerMessage(issue.message, locale);
  // A check's own explanation (egress URL rules, …) without an entry says more than a generic text.
  if (issue.code === "custom") return issue.message;
  const zodLocale = ZOD_LOCALES[locale]?.();
  const local = zodLocale?.localeError(issue as unknown as z.core.$ZodRawIssue);
  const text = typeof local === "string" ? local : local?.message;
  return text ?? issue.message;
}

/** The locale of a request: the mg-locale cookie, else Accept-Language (as the pages pick it). */
export function requestLocale(headers: Headers | undefined): Locale {
  if (!headers) return DEFAULT_LOCALE;
  const cookie = headers.get("cookie") ?? "";
  const value = new RegExp(`(?:^|;\\s*)${LOCALE_COOKIE}=([^;]*)`).exec(cookie)?.[1];
  return resolveLocale(value ? decodeURIComponent(value) : undefined, headers.get("accept-language"));
}
