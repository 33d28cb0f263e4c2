/**
 * Whether an error means "Postgres cannot be reached right now" (refused, reset, timed out, shut
 * down, pool exhausted) as opposed to an answer from a working database (a missing row, a
 * constraint, bad SQL). Only the first kind may be papered over with cached data.
 */

/** Prisma error codes of the connection kind (P1001 unreachable, P1002/P1008 timeouts, P1017 closed, P2024 pool timeout, P2037 too many connections). */
const PRISMA_CONNECTION_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2037"]);
/** Driver-adapter error kinds of the same meaning (meta.driverAdapterError.cause.kind). */
const ADAPTER_CONNECTION_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
/** Socket-level codes from node / pg. */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ENOTFOUND"]);
/** SQLSTATEs: class 08 (connection exception), 57P01-57P03 (shutdown, cannot connect now). */
const SQLSTATE_CONNECTION = /^(08...|57P0[123])$/;
const CONNECTION_MESSAGES = /Connection terminated|Can't reach database server|Server has closed the connection|timeout exceeded when trying to connect/i;

type Inspectable = { code?: unknown; kind?: unknown; originalCode?: unknown; message?: unknown; meta?: unknown; cause?: unknown };

export function isDatabaseUnreachable(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 6 && typeof e === "object" && e !== null; depth++) {
    const x = e as Inspectable;
    const code = typeof x.code === "string" ? x.code : null;
    if (code && (PRISMA_CONNECTION_CODES.has(code) || SOCKET_CODES.has(code) || SQLSTATE_CONNECTION.test(code))) return true;
    if (typeof x.kind === "string" && ADAPTER_CONNECTION_KINDS.has(x.kind)) return true;
    if (typeof x.originalCode === "string" && SQLSTATE_CONNECTION.test(x.originalCode)) return true;
    if (typeof x.message === "string" && CONNECTION_MESSAGES.test(x.message)) return true;
    const adapter = (x.meta as { driverAdapterError?: unknown } | undefined)?.driverAdapterError;
    e = adapter ?? x.cause;
  }
  return false;
}
