/**
 * The store cannot write for now (DATA_DIR read-only or full, the embedded store's files
 * unusable; a PostgreSQL server that does not serve, postgres-unavailable.ts): a passing state of
 * the gateway, not a fault of the request. Whatever asked for the
 * write was not confirmed stored: the caller answers "try again later" (HTTP 503
 * `store.unavailable` with Retry-After), and a terminal re-sends the same request under the same
 * idempotency key (a request that did reach the disk is then answered as a duplicate).
 */
export class StoreUnavailableError extends Error {
  constructor(
    /** What failed, for the logs (a file operation's error; no request data). */
    readonly reason: string,
    /** When a retry may succeed: the store tries to reopen (or to connect) about this often. */
    readonly retryAfterSeconds: number,
  ) {
    super(`the store cannot write: ${reason}`);
    this.name = "StoreUnavailableError";
  }
}
