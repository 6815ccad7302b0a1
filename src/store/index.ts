/** The gateway's store: one schema and one migration set over PGlite or PostgreSQL. */
export { openDb, openPglite, openPostgres, type Db, type DbOptions } from "./db";
export { migrate, loadMigrations, MIGRATIONS_DIR, type Migration } from "./migrate";
export {
  enqueueSubmission,
  getSubmission,
  claimBatch,
  requeue,
  markConfirmed,
  markRejected,
  getBatch,
  type NewSubmission,
  type Submission,
  type SubmissionKind,
  type SubmissionStatus,
  type ConfirmedBatch,
} from "./outbox";
