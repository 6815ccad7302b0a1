/**
 * Every code a submission's status can carry in `reason`, in one table: the statuses it comes
 * with, why, what the terminal does, and whether sending the work again under a new nonce is the
 * way to get it done. The submitter writes only these codes (a code missing from the table does
 * not compile), and `npm run docs:errors` writes the table into docs/error-codes.md ("Submission
 * outcomes"). Codes are stable strings a terminal switches on: never rename one.
 *
 * Some codes are the submitter's own (a paused ledger, a lost receipt): they never answer an HTTP
 * request. The others are also problem codes of the error catalogue (the ledger's rejection
 * reasons, the refund and redemption refusals, a contract's custom error): their why and what to
 * do are the catalogue's.
 */
import { CONTRACT_ERROR_NAMES, ERROR_CATALOGUE, type ContractErrorCode, type RejectionReasonCode } from "./error-catalogue";
import { REJECTION_CODES } from "../../packages/terminal-sdk/src/constants";

/** A status a submission can have with a reason (`submitted` never has one). */
export type OutcomeStatus = "queued" | "rejected" | "confirmed";

/** One code of the table. */
export interface OutcomeEntry {
  /** The statuses the code comes with: `queued` waits and is not final, `rejected` and `confirmed` are. */
  statuses: readonly OutcomeStatus[];
  /**
   * Whether the terminal, to get the work done, sends it again signed under a new nonce (once the
   * cause is fixed). False when the work is done, waits in the queue, or must not be sent again.
   */
  newNonce: boolean;
  /** Why the submission carries it. */
  why: string;
  /** What the terminal (or the operator) does about it. */
  action: string;
}

const outcome = (statuses: readonly OutcomeStatus[], newNonce: boolean, why: string, action: string): OutcomeEntry => ({ statuses, newNonce, why, action });

const WAIT = "Wait for the final status: do not send it again (the same body answers as a duplicate; a new nonce would record the work twice).";

/** The submitter's own codes: never a problem of an HTTP answer. */
const SUBMITTER_OUTCOMES = {
  "ledger.paused": outcome(["queued"], false, "The bank paused the ledger: the submission waits in the queue and goes out once the ledger is unpaused.", WAIT),
  "ledger.unavailable": outcome(["queued"], false, "A settlement batch's transaction reverted and the node did not answer the dry run that reads why: the batch is queued again (retried in 2 s).", WAIT),
  "ledger.reverted": outcome(
    ["queued", "rejected"],
    true,
    "The ledger call reverted with no custom error the gateway reads: a settlement batch is queued again (retried in 2 s), a refund or redemption is rejected.",
    "Queued: wait. Rejected: report it to the operator with the submission ID, and send the work again under a new nonce once the cause is fixed.",
  ),
  "ledger.no_outcome": outcome(
    ["rejected"],
    true,
    "The settlement's batch was mined, but its logs give no outcome for it (neither PointsEarned nor SettlementRejected): it was not recorded.",
    "Report it to the operator with the submission ID; send the settlement again under a new nonce.",
  ),
  "ledger.rejection_unknown": outcome(
    ["rejected"],
    false,
    "The ledger rejected the settlement for a RejectionReason this gateway does not know (the ledger is newer than the gateway).",
    "Report it; operator: upgrade the gateway. Send the work again only once the reason is known.",
  ),
  "ledger.receipt_lost": outcome(
    ["confirmed"],
    false,
    "The ledger recorded the settlement (its terminal nonce is used on chain), but the node lost the transaction's receipt: its points and credit points are unknown to the gateway (null).",
    "Done: never send it again. Its points are on the ledger (the card's history); a refund of it cannot be proven (refund.order_unprovable).",
  ),
  "gateway.unauthorized": outcome(
    ["queued"],
    false,
    "The gateway's key lacks the ledger's gateway role (LedgerUnauthorized): settlements, refunds and redemptions stay queued, and nothing is sent until the registry says the key holds the role again.",
    `${WAIT} Operator: have governance grant the gateway role to GATEWAY_KEY (scheduled, then granted after the delay).`,
  ),
  "refund.order_not_settled": outcome(["rejected"], false, "The refunded settlement was rejected by the ledger: there is nothing to refund.", "Do not refund it; settle the order first if points are owed."),
  "refund.order_unprovable": outcome(
    ["rejected"],
    false,
    "The refunded settlement is on the ledger, but its transaction's receipt was lost (ledger.receipt_lost): the gateway cannot prove the order to the ledger.",
    "Do not send it again: ask the bank to void the order's points with a correction.",
  ),
  "refund.proof_invalid": outcome(
    ["rejected"],
    false,
    "The ledger refused the refund's proof of its order (LedgerProofInvalid): the gateway's record of the order's batch differs from the ledger's.",
    "Report it to the operator with the submission ID (a gateway fault); do not send it again until they say.",
  ),
} as const satisfies Record<string, OutcomeEntry>;

/** The submitter's own codes. */
export type SubmitterOutcomeCode = keyof typeof SUBMITTER_OUTCOMES;

/** Refusals of a refund or redemption that the ledger answers with an error of its own. */
export const LEDGER_REFUSAL_CODES = ["points.insufficient", "refund.exceeds_order", "refund.order_mismatch"] as const;

/** The codes that are also problem codes of the error catalogue. */
export type CataloguedOutcomeCode = RejectionReasonCode | (typeof LEDGER_REFUSAL_CODES)[number] | ContractErrorCode;

/** Every code a submission's `reason` can hold. */
export type SubmissionOutcomeCode = SubmitterOutcomeCode | CataloguedOutcomeCode;

/** A final refusal whose why and what to do are the error catalogue's: fix the cause, send again under a new nonce. */
const fromCatalogue = (code: CataloguedOutcomeCode, statuses: readonly OutcomeStatus[]): [CataloguedOutcomeCode, OutcomeEntry] => [
  code,
  outcome(statuses, true, ERROR_CATALOGUE[code].why, ERROR_CATALOGUE[code].action),
];

const CATALOGUED_OUTCOMES = Object.fromEntries([
  ...REJECTION_CODES.filter((code): code is RejectionReasonCode => code !== "none").map((code) => fromCatalogue(code, ["rejected"])),
  ...LEDGER_REFUSAL_CODES.map((code) => fromCatalogue(code, ["rejected"])),
  // A batch that reverts with a contract error is queued again; a refund or redemption is rejected.
  ...CONTRACT_ERROR_NAMES.map((name) => fromCatalogue(`contract.${name}`, ["queued", "rejected"])),
]) as Record<CataloguedOutcomeCode, OutcomeEntry>;

/** The one table of submission outcomes: code -> statuses, new nonce or not, why, what to do. */
export const SUBMISSION_OUTCOMES: Readonly<Record<SubmissionOutcomeCode, OutcomeEntry>> = { ...CATALOGUED_OUTCOMES, ...SUBMITTER_OUTCOMES };

/** The submitter's own codes, in the table's order (the ones docs/error-codes.md lists in full). */
export const SUBMITTER_OUTCOME_CODES = Object.keys(SUBMITTER_OUTCOMES) as SubmitterOutcomeCode[];

/** Whether `code` is a code of the table. */
export function isSubmissionOutcome(code: string): code is SubmissionOutcomeCode {
  return Object.prototype.hasOwnProperty.call(SUBMISSION_OUTCOMES, code);
}
