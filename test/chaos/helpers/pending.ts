/**
 * A fault test that shows a known bug outside the tests: skipped (pending) with the reason
 * printed, until the bug is fixed. RUN_PENDING_FAULTS=1 runs it anyway, to check a fix.
 */
export function pendingUntilFixed(suite: Mocha.Context, bug: string | undefined): void {
  if (!bug || process.env.RUN_PENDING_FAULTS === "1") return;
  console.warn(`      PENDING (known bug, RUN_PENDING_FAULTS=1 runs it): ${bug}`);
  suite.skip();
}
