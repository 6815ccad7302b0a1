/** The gateway's store: one schema and one migration set over PGlite or PostgreSQL. */
export { openDb, openPglite, openPostgres, type Db, type DbOptions } from "./db";
export { migrate, loadMigrations, MIGRATIONS_DIR, type Migration } from "./migrate";
export {
  enqueueSubmission,
  getSubmission,
  lockDue,
  markSent,
  getBatch,
  type NewSubmission,
  type Submission,
  type SubmissionKind,
  type SubmissionStatus,
  type DueSubmission,
  type SignedLedgerTx,
} from "./outbox";
