/**
 * Fault tests only: with CREDENCE_FAILPOINT=submitter:<phase> (claimed, signed, broadcast or
 * mined), the first ledger transaction of this gateway that reaches that phase logs "failpoint
 * reached" (warn, with the phase) and pauses CREDENCE_FAILPOINT_MS (default 5 s) there, so a test
 * can kill the process at exactly that moment of a batch (as src/chain/node.ts does for state dumps):
 *
 * - claimed: inside the claim transaction, its rows locked, nothing signed or stored yet;
 * - signed: the transaction signed and stored with its claim (committed), not yet broadcast;
 * - broadcast: handed to the node, its receipt not yet awaited;
 * - mined: its receipt read, its outcomes not yet recorded.
 */
import type { Logger } from "pino";

export type SubmitterPhase = "claimed" | "signed" | "broadcast" | "mined";

let hit = false;

export async function submitterFailpoint(phase: SubmitterPhase, log: Logger, tx?: string): Promise<void> {
  if (hit || process.env.CREDENCE_FAILPOINT !== `submitter:${phase}`) return;
  hit = true;
  log.warn({ failpoint: phase, tx }, "failpoint reached");
  await new Promise<void>((resolve) => setTimeout(resolve, Number(process.env.CREDENCE_FAILPOINT_MS ?? 5000)));
}
