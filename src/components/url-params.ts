/**
 * Page state kept in the URL's query string (range, bucket, filters, sort), so a reload or a shared
 * link shows the same view: one parameter per piece, each with a codec; what does not parse is the
 * default, and the default is left out of the URL. Pure: server pages read the same parameters to
 * prefetch what the client will ask for. The hook is useUrlParam (./url-state).
 */
import { z } from "zod";
import { rangeInputSchema, type RangeInput } from "~/lib/range";

export interface ParamCodec<T> {
  /** undefined: absent or invalid (the default applies). */
  parse: (raw: string) => T | undefined;
  format: (value: T) => string;
}

export function readParam<T>(raw: string | string[] | null | undefined, codec: ParamCodec<NonNullable<T>>, fallback: T): T {
  const text = Array.isArray(raw) ? raw[0] : raw;
  return text ? (codec.parse(text) ?? fallback) : fallback;
}

/** "7d", "today", "month", or "2026-11-01_2026-11-30" for a custom range. */
export const rangeCodec: ParamCodec<RangeInput> = {
  parse: (raw) => {
    const [from, to] = raw.split("_");
    const parsed = rangeInputSchema.safeParse(to === undefined ? { kind: raw } : { kind: "custom", from, to });
    return parsed.success ? parsed.data : undefined;
  },
  format: (r) => (r.kind === "custom" ? `${r.from}_${r.to}` : r.kind),
};

/** One of a fixed set of strings ("hour" | "day", a sort column…). */
export function enumCodec<const T extends string>(values: readonly T[]): ParamCodec<T> {
  return { parse: (raw) => (values as readonly string[]).includes(raw) ? (raw as T) : undefined, format: (v) => v };
}

/** One of a fixed set of integers (?days=30). */
export function intCodec<const T extends number>(values: readonly T[]): ParamCodec<T> {
  return { parse: (raw) => (values as readonly number[]).find((v) => String(v) === raw) as T | undefined, format: String };
}

/**
 * A whole filter object as one JSON parameter (?log={"statusClass":"errors","from":"2026-…"}), read
 * through the filter's own zod schema: a field added to the schema travels in the URL with no
 * change here. Dates are ISO strings in the URL.
 */
export function jsonCodec<S extends z.ZodType>(schema: S): ParamCodec<z.output<S>> {
  return {
    parse: (raw) => {
      try {
        const parsed = schema.safeParse(JSON.parse(raw));
        return parsed.success ? parsed.data : undefined;
      } catch {
        return undefined;
      }
    },
    format: (value) => JSON.stringify(value),
  };
}

export interface SortState<K extends string> {
  key: K;
  dir: "asc" | "desc";
}

/** A table's sort: ?sort=cost (descending) or ?sort=name.asc */
export function sortCodec<const K extends string>(keys: readonly K[]): ParamCodec<SortState<K>> {
  return {
    parse: (raw) => {
      const [key, dir = "desc"] = raw.split(".");
      return (keys as readonly string[]).includes(key ?? "") && (dir === "asc" || dir === "desc") ? { key: key as K, dir } : undefined;
    },
    format: (s) => (s.dir === "desc" ? s.key : `${s.key}.asc`),
  };
}

/** A page number, 1 or more (?page=2). */
export const pageCodec: ParamCodec<number> = {
  parse: (raw) => {
    const n = z.coerce.number().int().min(1).max(100_000).safeParse(raw);
    return n.success ? n.data : undefined;
  },
  format: String,
};

export const bucketCodec = enumCodec(["hour", "day"]);

/** The overview query's input for a range and bucket: the page's server prefetch and the client ask the same. */
export function overviewInput(tenantId: string, range: RangeInput, bucket: "hour" | "day" | undefined) {
  return bucket === undefined ? { tenantId, range } : { tenantId, range, bucket };
}
