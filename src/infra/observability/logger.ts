/**
 * Structured logs (pino). LOG_FORMAT=json (default): one JSON object per line, for collectors.
 * LOG_FORMAT=pretty: one human line per record ("12:00:01.234 INFO  request model=… cost=$0.0158"),
 * formatted here without pino-pretty or worker threads. LOG_LEVEL as in pino (default info).
 *
 * Secrets never reach a log line: credentials and key material are redacted by path, and free
 * text that may echo an upstream or client message (errors, user agents) is scrubbed of anything
 * shaped like an API key, a bearer token or a URL password.
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";

export type LogFormat = "json" | "pretty";
const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LEVELS)[number];

function levelFromEnv(value: string | undefined): LogLevel {
  return (LEVELS as readonly string[]).includes(value ?? "") ? (value as LogLevel) : "info";
}
function formatFromEnv(value: string | undefined): LogFormat {
  return value === "pretty" ? "pretty" : "json";
}

/** Paths whose values are replaced by "[redacted]" wherever they appear (one level deep too). */
export const REDACT_PATHS = [
  "authorization",
  "apiKey",
  "api_key",
  "password",
  "secret",
  "token",
  "credential",
  "cookie",
  "headers.authorization",
  'headers["x-api-key"]',
  "headers.cookie",
  "*.authorization",
  "*.apiKey",
  "*.api_key",
  "*.password",
  "*.secret",
  "*.token",
  "*.credential",
  "*.cookie",
  '*["x-api-key"]',
];

const SECRET_PATTERNS: Array<[RegExp, string]> = [
  // Bearer / Basic credentials in echoed headers.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, "$1 [redacted]"],
  // Provider and Metergate keys: sk-…, sk-ant-…, mg-…
  [/\b(sk|mg)-[A-Za-z0-9_-]{8,}/g, "$1-[redacted]"],
  // user:password@ in URLs.
  [/(\w+:\/\/)[^\s/:@]+:[^\s/@]+@/g, "$1[redacted]@"],
];

/** Removes anything shaped like a credential from free text (and caps its length). */
export function scrubSecrets(text: string, maxLength = 500): string {
  let out = text;
  for (const [re, by] of SECRET_PATTERNS) out = out.replace(re, by);
  return out.length > maxLength ? `${out.slice(0, maxLength)}…` : out;
}

const LEVEL_NAMES: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };
const OMIT_IN_PRETTY = new Set(["level", "time", "msg", "pid", "hostname", "service"]);

function prettyValue(v: unknown): string {
  if (typeof v === "string") return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v !== null && typeof v === "object") {
    // Flat objects (tokens) read better as a:1 b:2 than as JSON.
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.every(([, x]) => x === null || typeof x !== "object")) {
      return entries.map(([k, x]) => `${k}:${typeof x === "string" ? x : JSON.stringify(x)}`).join(",");
    }
    return JSON.stringify(v);
  }
  return String(v);
}

/** Turns one pino JSON line into one human line. Lines that are not JSON pass through unchanged. */
export function formatPretty(line: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith("\n") ? line : `${line}\n`;
  }
  const t = typeof rec.time === "string" || typeof rec.time === "number" ? new Date(rec.time) : new Date();
  const time = Number.isNaN(t.getTime()) ? "" : t.toISOString().slice(11, 23);
  const lvl = typeof rec.level === "number" ? (LEVEL_NAMES[rec.level] ?? String(rec.level)) : String(rec.level ?? "").toUpperCase();
  const parts = [time, lvl.padEnd(5), String(rec.msg ?? "")];
  for (const [k, v] of Object.entries(rec)) {
    if (OMIT_IN_PRETTY.has(k) || v === undefined) continue;
    if (k === "err" && v && typeof v === "object") {
      const e = v as { type?: string; message?: string; stack?: string };
      parts.push(`err=${JSON.stringify(`${e.type ?? "Error"}: ${e.message ?? ""}`)}`);
      if (e.stack) parts.push(`\n${e.stack}`);
      continue;
    }
    parts.push(`${k}=${prettyValue(v)}`);
  }
  return `${parts.filter((p) => p !== "").join(" ")}\n`;
}

/** A destination that writes pretty lines to a sink (stdout by default). */
export function prettyDestination(write: (s: string) => void = (s) => void process.stdout.write(s)): DestinationStream {
  return { write: (line: string) => write(formatPretty(line)) };
}

export interface LoggerConfig {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go; default stdout (json: pino's fast destination). */
  destination?: DestinationStream;
}

export function createLogger(config: LoggerConfig = {}): Logger {
  const level = config.level ?? levelFromEnv(process.env.LOG_LEVEL);
  const format = config.format ?? formatFromEnv(process.env.LOG_FORMAT);
  const options: LoggerOptions = {
    level,
    base: { service: "metergate" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
  };
  if (format === "pretty") {
    // The pretty formatter reads numeric or named levels; keep the name for consistency.
    const dest = config.destination;
    return pino(options, dest ? prettyDestination((s) => void dest.write(s)) : prettyDestination());
  }
  // Lines are gathered up to 4 KB (or 100 ms) per write: one write per line was one thread-pool hop
  // and one syscall per relayed request. pino flushes what is left on exit; a SIGKILL can lose the
  // last 100 ms of log lines (only log lines: the ledger never goes through the log).
  return pino(options, config.destination ?? pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 }));
}

type PinoInternals = Record<symbol, unknown> & Logger;
const { lsCacheSym, timeSym, chindingsSym, endSym, streamSym } = pino.symbols;

/**
 * Writes one line whose fields are already JSON (`props`: `,"a":1,"b":"x"`, built by the caller from
 * values that carry no secrets), with the logger's level, time, bindings and destination, exactly as
 * `log[level](fields, msg)` would. For the relay's per-request line: pino's redaction applies its
 * wildcard paths to every field of every line, a third of the logging cost, for fields that can
 * never hold a credential. Free text (errors, user agents) must go through scrubSecrets first.
 */
export function writePreserialized(log: Logger, level: "info" | "warn", props: string, msg: string): void {
  if (!log.isLevelEnabled(level)) return;
  const l = log as PinoInternals;
  const head = (l[lsCacheSym] as Record<number, string>)[log.levels.values[level]!]!;
  const time = (l[timeSym] as () => string)();
  const line = `${head}${time}${l[chindingsSym] as string}${props},"msg":${JSON.stringify(msg)}${l[endSym] as string}`;
  (l[streamSym] as DestinationStream).write(line);
}

const GLOBAL_KEY = Symbol.for("metergate.logger");
const globalStore = globalThis as unknown as { [GLOBAL_KEY]?: Logger };

/** The process-wide logger. */
export const logger: Logger = (globalStore[GLOBAL_KEY] ??= createLogger());

/** A child logger for one component: logger.child({ component }). */
export function componentLogger(component: string): Logger {
  return logger.child({ component });
}
