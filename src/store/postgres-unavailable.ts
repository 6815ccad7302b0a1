/**
 * When a PostgreSQL store's statement failed because the server did not serve it (the connection
 * was refused, reset or terminated, the server is shutting down or starting up, out of
 * connections, memory, disk or I/O), not because of the statement: such a failure is a passing
 * state of the gateway, answered like the embedded store's (503 `store.unavailable` with
 * Retry-After), and the terminal sends the same request again. A constraint violation, a
 * serialization failure or a programming error is the statement's own and stays what it is.
 */
import { StoreUnavailableError } from "./store-unavailable";

/** The Retry-After of an unavailable server: the pool opens a fresh connection for the next statement. */
export const POSTGRES_RETRY_AFTER_SECONDS = 1;

/**
 * SQLSTATEs of the server, not the statement: class 08 (connection exception), 53 (insufficient
 * resources), 58 (system error), 57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now.
 */
const SERVER_SQLSTATE = /^(08|53|58)...$|^57P0[123]$/;

/** Node's socket errors of a connection that cannot be made or was lost. */
const SOCKET_CODES: ReadonlySet<string> = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);

/**
 * node-postgres's own errors of a lost or unobtainable connection: "Connection terminated"
 * (unexpectedly, or due to connection timeout), the pool's acquisition timeout
 * (connectionTimeoutMillis), and a client whose connection already failed.
 */
const DRIVER_MESSAGES: readonly RegExp[] = [
  /^Connection terminated\b/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
];

/** Whether `err`, from node-postgres, says the server did not serve the statement (see the module comment). */
export function isServerUnavailable(err: unknown): boolean {
  if (!err || typeof err !== "object") return false;
  const { code, message, errors } = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === "string") {
    if (SERVER_SQLSTATE.test(code)) return true;
    if (SOCKET_CODES.has(code)) return true;
  }
  // A host name with several addresses fails once per address, together (an AggregateError).
  if (Array.isArray(errors) && errors.length > 0 && errors.every(isServerUnavailable)) return true;
  return typeof message === "string" && typeof code !== "string" && DRIVER_MESSAGES.some((m) => m.test(message));
}

/** `err` as StoreUnavailableError when the server did not serve the statement; else `err` itself. */
export function unavailableOr(err: unknown): unknown {
  if (err instanceof StoreUnavailableError || !isServerUnavailable(err)) return err;
  const { code, message } = err as { code?: unknown; message?: unknown };
  const reason = `${typeof code === "string" ? `${code}: ` : ""}${typeof message === "string" ? message : "PostgreSQL failed"}`;
  return new StoreUnavailableError(`PostgreSQL did not serve the statement (${reason})`, POSTGRES_RETRY_AFTER_SECONDS);
}
