/**
 * The CLI's key-limit flags, derived from KEY_LIMITS: each flag's text becomes the same input the
 * portal sends and is validated by the same schema (same bounds, same messages). "none" clears a
 * nullable limit (and empties the allowed-models list).
 */
import { KEY_LIMITS, LIMIT_COLUMNS, keyLimitsInputSchema, toLimitColumns, type KeyLimitsColumns } from "./limits";

export class LimitArgError extends Error {}

/** `--flag` for every limit settable from the CLI, for parseArgs options. */
export const LIMIT_FLAGS = LIMIT_COLUMNS.flatMap((c) => {
  const flag = KEY_LIMITS[c].flag;
  return flag === null ? [] : [flag];
});

type Flags = Record<string, string | boolean | string[] | undefined>;

function inputValue(kind: (typeof KEY_LIMITS)[keyof typeof KEY_LIMITS]["kind"], text: string, flag: string): unknown {
  if (text === "none") {
    if (kind === "models") return [];
    if (kind === "choice") throw new LimitArgError(`--${flag} cannot be "none"`);
    return null;
  }
  switch (kind) {
    case "count":
    case "bigCount":
    case "choice":
      if (!/^\d+$/.test(text)) throw new LimitArgError(`--${flag} must be a whole number${kind === "choice" ? "" : ' or "none"'}`);
      return Number(text);
    case "date": {
      const d = new Date(text);
      if (Number.isNaN(d.getTime())) throw new LimitArgError(`--${flag} is not a date: "${text}"`);
      return d;
    }
    case "models":
      return text.split(",").map((m) => m.trim()).filter(Boolean);
    default:
      return text;
  }
}

/** The ApiKey columns the flags set; throws LimitArgError naming the flag. */
export function parseKeyLimitArgs(flags: Flags): KeyLimitsColumns {
  const input: Record<string, unknown> = {};
  const flagOf = new Map<string, string>();
  for (const column of LIMIT_COLUMNS) {
    const d = KEY_LIMITS[column];
    if (d.flag === null) continue;
    const text = flags[d.flag];
    if (typeof text !== "string") continue;
    input[d.input] = inputValue(d.kind, text.trim(), d.flag);
    flagOf.set(d.input, d.flag);
  }
  const parsed = keyLimitsInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? "");
    throw new LimitArgError(`--${flagOf.get(field) ?? field}: ${issue.message}`);
  }
  return toLimitColumns(parsed.data);
}
