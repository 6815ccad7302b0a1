/**
 * Every problem code the gateway can answer with, in one table: its kind (the HTTP layer maps a
 * kind to a status, src/http/problem.ts), a title, why it happens and what to do. `DomainError`
 * takes its code from here (a code missing from the table does not compile), and
 * `npm run docs:errors` writes docs/error-codes.md from it. Codes are stable strings a terminal or
 * a console switches on: never rename one.
 *
 * A contract's custom error answers as `contract.<ErrorName>` unless a caller's table gives it a
 * code of its own (src/api/step-problems.ts, src/api/operations/corrections.ts); its "why" is the
 * error's NatSpec in contracts/.
 */
import { REJECTION_CODES } from "../../packages/terminal-sdk/src/constants";

/** What went wrong, independent of the transport: the HTTP layer alone picks the status. */
export type ProblemKind =
  | "invalid"
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "too_large"
  | "unsupported_media_type"
  | "unprocessable"
  | "rate_limited"
  | "headers_too_large"
  | "internal"
  | "unavailable";

/** One code of the catalogue. */
export interface CatalogueEntry {
  kind: ProblemKind;
  /** Short, human-readable summary, the same for every occurrence (the problem's `title`). */
  title: string;
  /** Why the gateway answers with it. */
  why: string;
  /** What the caller (or the operator) does about it. */
  action: string;
}

const entry = (kind: ProblemKind, title: string, why: string, action: string): CatalogueEntry => ({ kind, title, why, action });

const SIGN_AGAIN = "Sign a new step (fresh draft) and send it again.";
const NEW_DRAFT = "Ask for a new draft and sign that.";

/** The codes of the gateway's own checks (everything but the contracts' custom errors). */
const GATEWAY_ERRORS = {
  // ---- request: the HTTP request itself ----
  "request.invalid": entry("invalid", "Invalid request", "A field of the body, query or path does not match the operation's schema (`errors` lists them), or a required field is missing.", "Fix the fields `errors` names; the OpenAPI document at /openapi.json gives each operation's schema."),
  "request.text_unstorable": entry("unprocessable", "Text cannot be stored", "A text field holds U+0000, which the store cannot hold.", "Remove the NUL characters from the fields `errors` names."),
  "request.malformed_path": entry("invalid", "Malformed URL path", "A path segment is not valid percent-encoding (\"/v1/cards/%ZZ\").", "Percent-encode the path correctly."),
  "request.malformed_json": entry("invalid", "Malformed JSON body", "The body is not valid JSON.", "Send a well-formed JSON body with content-type application/json."),
  "request.too_large": entry("too_large", "Request body too large", "The body is larger than the gateway accepts (`detail` gives the limit).", "Send less: split a batch into several requests."),
  "request.headers_too_large": entry("headers_too_large", "Request headers too large", "The request line and headers together pass Node's limit (16 kB): the gateway answers before any route sees the request.", "Shorten the URL (query) or drop large headers (cookies)."),
  "request.unsupported_encoding": entry("unsupported_media_type", "Unsupported content encoding", "The body's content-encoding or charset is one the gateway does not read.", "Send the body uncompressed (or gzip/deflate) in UTF-8."),
  "request.rejected": entry("invalid", "Request rejected", "The body could not be read (aborted, or its length differs from content-length).", "Send the request again, whole."),
  "route.not_found": entry("not_found", "Not found", "No operation has this method and path.", "Check the method and path against /openapi.json."),
  "web.not_built": entry("not_found", "Not found", "The portal or console was asked for, but the web app is not built on this gateway.", "Operator: run `npm run build:web` and restart the gateway."),
  internal: entry("internal", "Internal error", "An unexpected fault in the gateway; the detail is logged under the request ID, never sent.", "Retry later; if it persists, give the operator the response's x-request-id."),

  // ---- gateway ----
  "gateway.not_ready": entry("unavailable", "Not ready", "The node or the store does not answer, or this gateway lost its lease to another.", "Retry after a short wait; a load balancer routes to a ready gateway."),
  "store.unavailable": entry("unavailable", "Store unavailable", "The store cannot write now: the embedded store cannot write to DATA_DIR (read-only or full), or the PostgreSQL server does not serve (connection refused or lost, shutting down, out of resources); nothing of the request was confirmed stored.", "Send the same request again (same idempotency key) after Retry-After; operator: free or remount DATA_DIR, or bring the PostgreSQL server back."),
  "relayer.not_configured": entry("unavailable", "No relayer", "A signed operator step must be relayed, but the gateway has no relayer key.", "Operator: set RELAYER_KEY, or send the signed step to the chain yourself."),
  "credit.not_deployed": entry("unavailable", "Credit center not deployed", "The deployment has no credit contracts.", "Operator: deploy the credit center, or do not call credit operations on this deployment."),
  "operators.not_deployed": entry("unavailable", "No credentials contract", "The deployment has no operator-credentials contract.", "Operator: deploy afresh with operator credentials."),

  // ---- operator sessions ----
  "session.required": entry("unauthenticated", "Sign-in required", "The operation needs an operator session and the request has no session cookie.", "Sign in with a passkey (POST /v1/session/...)."),
  "session.ended": entry("unauthenticated", "Session ended", "The session cookie names a session that expired or was signed out.", "Sign in again."),
  "session.challenge_unknown": entry("unauthenticated", "Unknown or expired challenge", "The sign-in assertion answers a challenge the gateway does not hold (expired or used).", "Ask for new sign-in options and sign their challenge."),
  "session.assertion_refused": entry("unauthenticated", "Sign-in refused", "No active credential of this passkey verifies the assertion.", "Use a passkey that is enrolled and not removed."),
  "session.origin_mismatch": entry("forbidden", "Forbidden origin", "A request carrying a session cookie came from another origin than the gateway's own (CSRF guard).", "Send session requests from the gateway's own origin."),
  "session.wrong_institution": entry("forbidden", "Forbidden", "The operation is for operators of the other institution.", "Sign in as an operator of the institution the operation names."),
  "session.rate_limited": entry("rate_limited", "Too many sign-in attempts", "Too many failed sign-ins from this client.", "Wait (Retry-After) and try again."),
  "auth.forbidden": entry("forbidden", "Forbidden", "The signed-in institution may not run this operation (only the bank issues activation codes).", "Sign in as an operator of the bank."),

  // ---- signed operator steps (relayed to the chain) ----
  "operator_step.already_used": entry("conflict", "This signed step was performed already", "The step's digest was used on chain: a signature works once.", NEW_DRAFT),
  "operator_step.expired": entry("unprocessable", "The signed step is past its notAfter", "The step reached the chain after its notAfter.", SIGN_AGAIN),
  "operator_step.wrong_institution": entry("unprocessable", "Signed by a credential of the wrong institution", "The signing credential belongs to an institution the step does not accept.", "Sign with a credential of the institution the step needs."),
  "operator_step.credential_not_active": entry("unprocessable", "The signing credential is unknown or removed", "The credential that signed is not an active credential on chain.", "Sign with an enrolled, active credential."),
  "operator_step.reserved_kind": entry("unprocessable", "This kind of step is not performed here", "This kind of step runs only through the credentials contract's own functions.", "Use the operation made for it (enrolment, removal)."),
  "operator_step.signature_malformed": entry("unprocessable", "Malformed signature", "The signature or passkey assertion could not be parsed (wrong length or encoding).", "Send the authenticator's assertion (or the HSM's 65-byte signature) unaltered."),
  "operator_step.wrong_client_data_type": entry("unprocessable", "Not a webauthn.get assertion", "The passkey's clientData is not of type webauthn.get.", "Sign with navigator.credentials.get, not create."),
  "operator_step.wrong_challenge": entry("unprocessable", "The assertion was made over another challenge", "The assertion signs another challenge than the step's digest.", "Sign the draft's challenge as given."),
  "operator_step.user_not_verified": entry("unprocessable", "The authenticator did not verify the user", "The assertion's flags say the user was not verified (no PIN or biometric).", "Sign again with user verification."),
  "operator_step.invalid_backup_state": entry("unprocessable", "Invalid backup flags", "The authenticator's backup flags are inconsistent (backed up but not eligible).", "Use a conforming authenticator."),
  "operator_step.high_s": entry("unprocessable", "Malleable (high-s) signature", "The signature's s is in the upper half of the curve order.", "Normalise the signature to low-s."),
  "operator_step.invalid_signature": entry("unprocessable", "The signature does not verify", "The signature does not verify against the credential's key for this step.", "Sign the draft's digest with the credential named."),

  // ---- enrolment and removal of operator credentials ----
  "enrolment.quorum_not_met": entry("unprocessable", "Not enough operators signed", "Fewer distinct operators of the institution signed than its quorum.", "Collect more operators' signatures on the draft."),
  "enrolment.duplicate_operator": entry("unprocessable", "Two signatures of one operator", "Two signatures of the quorum come from the same operator.", "Have distinct operators sign."),
  "enrolment.key_already_registered": entry("conflict", "This key was registered before", "The passkey or HSM key was enrolled before (perhaps since removed).", "Enrol a new key."),
  "enrolment.operator_of_other_institution": entry("unprocessable", "The operator belongs to the other institution", "The operator ID is an operator of the other institution.", "Use an operator ID of the enrolling institution."),
  "enrolment.too_many_credentials": entry("unprocessable", "The institution has its most credentials", "The institution has as many active credentials as it may.", "Remove a credential first."),
  "enrolment.no_code": entry("conflict", "The institution has no open enrolment code", "The institution's enrolment code is used or never existed.", "Sign in and enrol with the quorum of operators instead."),
  "enrolment.wrong_code": entry("unprocessable", "Not signed by the institution's enrolment code for this key", "The enrolment by code was not signed by the institution's enrolment code key.", "Sign with the enrolment code the institution was given."),
  "enrolment.recovery_pending": entry("conflict", "A recovery of the institution is pending", "Governance started a recovery of the institution's credentials.", "Wait for the recovery, or veto it."),
  "enrolment.wrong_institution": entry("forbidden", "Forbidden", "An operator of one institution tried to enrol a credential for the other.", "Sign in as an operator of the institution you enrol for."),
  "enrolment.challenge_unknown": entry("invalid", "Unknown or expired challenge", "The passkey registration answers a challenge the gateway does not hold.", "Ask for new registration options."),
  "enrolment.registration_refused": entry("invalid", "Passkey registration refused", "The passkey's registration (attestation) does not verify.", "Register again with a conforming authenticator."),
  "enrolment.draft_unknown": entry("not_found", "Unknown or expired draft", "No enrolment draft has this ID (expired or used).", NEW_DRAFT),
  "removal.credential_unknown": entry("not_found", "Unknown credential", "No credential has this ID.", "Check the credential ID in the list of credentials."),
  "removal.wrong_institution": entry("forbidden", "Forbidden", "An operator of one institution tried to remove a credential of the other.", "Sign in as an operator of the credential's institution."),
  "removal.credential_not_active": entry("conflict", "The credential is removed already", "The credential was removed before.", "Nothing to do."),
  "removal.last_credential": entry("conflict", "The institution's last credential", "Removing it would leave the institution unable to act until a governance recovery.", "Enrol another credential first."),
  "removal.draft_unknown": entry("not_found", "Unknown or expired draft", "No removal draft of your institution has this ID (expired or used).", NEW_DRAFT),

  // ---- decisions and dual-control proposals ----
  "decision.draft_unknown": entry("not_found", "Unknown or expired draft", "No decision draft has this ID (expired or used).", NEW_DRAFT),
  "decision.unknown_function": entry("invalid", "Invalid decision", "The decision names a function the contract does not have.", "Use a function the console lists."),
  "decision.invalid_args": entry("invalid", "Invalid decision", "The decision's arguments do not fit the function (`detail` says which).", "Fix the arguments `detail` names."),
  "proposal.not_found": entry("not_found", "Not found", "No proposal of this contract has this ID.", "Check the proposal ID and contract."),
  "proposal.not_pending": entry("conflict", "Proposal not pending", "The proposal ran, was rejected, withdrawn or expired.", "Refresh the proposal's state; propose again if needed."),
  "proposal.action_not_allowed": entry("unprocessable", "This function is not run by dual control", "The proposed function is not one dual control may run.", "Use the operation made for it."),
  "proposal.expired": entry("unprocessable", "The proposal is past its deadline", "The proposal's deadline passed before approval.", "Propose again."),
  "proposal.approver_not_counterpart": entry("unprocessable", "Only the other institution may approve or reject", "The proposer's institution tried to approve or reject its own proposal.", "Have the other institution decide."),
  "proposal.not_proposer_institution": entry("unprocessable", "Only the proposer's institution may withdraw", "The other institution tried to withdraw the proposal.", "Reject it instead."),
  "proposal.proposer_credential_removed": entry("unprocessable", "The proposer's credential was removed", "The credential that proposed was removed since.", "Propose again with an active credential."),
  "proposal.action_mismatch": entry("unprocessable", "The action differs from the proposal's", "The approval carries another action than the one proposed.", "Approve the proposal's own action (fresh draft)."),
  "proposal.action_failed": entry("unprocessable", "The approved action reverted", "The proposal was approved but its action reverted (`detail` names the action's error).", "Fix what `detail` names and propose again."),
  "act.not_actable": entry("unprocessable", "No institution may run this function alone", "The function needs dual control, not a single institution's act.", "Propose it instead."),

  // ---- cards, merchants and agreements (operator side) ----
  "card.not_found": entry("not_found", "Not found", "No card has this ID on chain.", "Check the card ID."),
  "card.closed": entry("conflict", "Card closed", "The card is closed: it cannot be frozen, reported lost or given portal access.", "Use the card's replacement."),
  "card.holder_has_card": entry("conflict", "The holder already has a consumer card", "The holder has an active consumer card, or an issuance for them is pending.", "Replace the card instead of issuing one."),
  "merchant.unknown": entry("not_found", "Not found", "No merchant has this ID (as far as the read index has got, for lists).", "Check the merchant ID; a new merchant shows once the index catches up."),
  "agreement.invalid_validity": entry("invalid", "Invalid agreement", "The agreement's validFrom does not precede its validUntil.", "Send a validity window that starts before it ends."),
  "agreement.rate_above_maximum": entry("invalid", "Invalid agreement", "A category's rate (baseRateBps x multiplier / 100) passes the maximum.", "Lower the base rate or the multiplier."),
  "credit.policy_invalid": entry("invalid", "Invalid credit policy", "The credit policy's values are out of bounds or inconsistent (`detail` says which).", "Fix the value `detail` names."),
  "identity.invalid_card_id": entry("invalid", "Invalid card ID", "A card ID is 32 bytes of hex, 0x-prefixed.", "Send the card ID in that form."),
  "identity.exists": entry("conflict", "Identity already stored", "This card already has (or had) personal data stored.", "Nothing to store: the identity is kept once per card."),
  "identity.not_found": entry("not_found", "Not found", "No personal data is stored for this card's account.", "Check the card; the identity may have been erased."),

  // ---- corrections (voided points) ----
  "correction.order_unknown": entry("unprocessable", "Order not settled", "No confirmed settlement of this order at this merchant.", "Check the merchant and order ID."),
  "correction.exceeds_order": entry("unprocessable", "More than the order has left un-reversed", "The correction voids more than the order earned, less earlier corrections.", "Void at most what the order has left."),
  "correction.order_mismatch": entry("unprocessable", "The order is of another merchant or account", "The order named belongs to another merchant or account.", "Name the card's own order."),
  "correction.invalid": entry("unprocessable", "More than the holding or the merchant has un-reversed, or nothing", "The correction voids nothing, or more than the card holds or the merchant has un-reversed.", "Void a positive amount within the holding."),
  "correction.unattributed": entry("unprocessable", "The voided points are not the card's to void", "The points voided were not earned by this card at this merchant.", "Check the card and the order."),

  // ---- submissions: settlements, refunds, redemptions (terminal intake) ----
  "submission.not_found": entry("not_found", "Not found", "No submission has this ID.", "Check the ID the gateway answered at intake."),
  "submission.nonce_reused": entry("conflict", "Nonce already used", "The terminal's nonce was used for a different submission.", "Use a new nonce for a new submission; resend the same body to retry."),
  "settlement.order_duplicate": entry("conflict", "Order already settled", "This merchant's order already has a settlement that was not rejected.", "Do not settle an order twice; refund and settle again to change it."),
  "settlement.slip_mismatch": entry("unprocessable", "Submission refused", "The slip belongs to another merchant, or the settlement's amount, currency or order differs from the slip's.", "Settle the slip as created."),
  "slip.unknown": entry("unprocessable", "Submission refused", "No slip with this hash: the settlement names a slip the gateway does not hold.", "Create the slip first, or send it with the settlement."),
  "refund.amount_out_of_bounds": entry("unprocessable", "Submission refused", "The refund amount is zero or above the ledger's maximum.", "Refund between 1 and MAX_AMOUNT minor units."),
  "refund.order_mismatch": entry("unprocessable", "Submission refused", "The settlement named by this terminal and nonce is of another card or order.", "Name the settlement of this card and order."),
  "refund.order_unknown": entry("unprocessable", "Submission refused", "No settlement by this terminal and nonce at this merchant.", "Name a settlement this merchant recorded."),
  "refund.exceeds_order": entry("unprocessable", "Submission refused", "The refund passes what is left of the order's amount.", "Refund at most what is left (`detail`)."),
  "points.insufficient": entry("unprocessable", "Submission refused", "The card has fewer points than the redemption, counting redemptions and refunds accepted but not yet recorded.", "Redeem fewer points."),

  // ---- slips ----
  "slip.not_found": entry("not_found", "Not found", "No slip has this ID.", "Check the ID the gateway answered."),
  "slip.order_exists": entry("conflict", "Order already has a slip", "This merchant's order already has a different slip.", "Use a new order number, or the slip already stored."),
  "slip.total_mismatch": entry("unprocessable", "Malformed slip", "The slip's lines do not add up to its total.", "Fix the slip's lines or total."),
  "slip.negative_amount": entry("unprocessable", "Malformed slip", "A line or the total of the slip is negative.", "Send non-negative amounts; refunds are their own submissions."),
  "slip.amount_out_of_range": entry("unprocessable", "Malformed slip", "An amount of the slip is above the ledger's maximum.", "Keep amounts at most MAX_AMOUNT minor units."),
  "slip.unknown_category": entry("unprocessable", "Malformed slip", "A line's category is not one of the settlement categories.", "Use categories 0 to CATEGORY_COUNT - 1."),
  "slip.unknown_currency": entry("unprocessable", "Malformed slip", "The slip's currency is not an ISO 4217 code the gateway knows.", "Use a three-letter ISO 4217 code."),

  // ---- the customer and merchant portal ----
  "portal.session_required": entry("unauthenticated", "Sign-in required", "The portal operation needs a portal session.", "Sign in with your account and password or passkey."),
  "portal.session_ended": entry("unauthenticated", "Session ended", "The portal session expired or was signed out.", "Sign in again."),
  "portal.invalid_credentials": entry("unauthenticated", "Sign-in refused", "Wrong account name or password.", "Check them; too many failures lock the account for a while."),
  "portal.code_refused": entry("unauthenticated", "Activation refused", "The activation code is unknown, used or expired.", "Ask the bank for a new code."),
  "portal.challenge_unknown": entry("unauthenticated", "Passkey refused", "The passkey answers a challenge the portal does not hold (expired or used).", "Ask for new options."),
  "portal.passkey_refused": entry("unauthenticated", "Passkey refused", "No passkey of the portal account verifies this assertion.", "Sign in with a passkey registered to this account, or with the password."),
  "portal.passkey_registration_refused": entry("invalid", "Passkey registration refused", "The passkey's registration (attestation) does not verify.", "Register again with a conforming authenticator."),
  "portal.passkey_registered": entry("conflict", "Passkey registered already", "This passkey is registered to the account already.", "Nothing to do."),
  "portal.password_too_short": entry("unprocessable", "Password not accepted", "The password is shorter than the policy's minimum.", "Choose a longer password."),
  "portal.password_too_long": entry("unprocessable", "Password not accepted", "The password is longer than the policy's maximum.", "Choose a shorter password."),
  "portal.password_common": entry("unprocessable", "Password not accepted", "The password is in the list of common passwords.", "Choose a less common password."),
  "portal.account_locked": entry("rate_limited", "Too many failed attempts", "Too many failed sign-ins to this account.", "Wait (Retry-After, `detail`) and try again."),
  "portal.client_locked": entry("rate_limited", "Too many failed attempts", "Too many failed sign-ins or activations from this client.", "Wait (Retry-After, `detail`) and try again."),
  "portal.not_found": entry("not_found", "Not found", "The account has nothing at this address (another account's data, or none).", "Ask for your own account's data."),
  "portal.merchant_card": entry("unprocessable", "A merchant's card", "A consumer activation code was asked for a merchant's card.", "Ask for the merchant's activation code instead."),
  "portal.lost_report_unavailable": entry("unavailable", "Cannot report a card lost here", "The portal cannot freeze the card now (no relayer, or the chain refused).", "Call the bank to freeze the card."),
} as const satisfies Record<string, CatalogueEntry>;

/**
 * The refusals a terminal meets at intake and on chain (IPointsLedger.RejectionReason), in the
 * SDK's one vocabulary. "none" is no refusal.
 */
export type RejectionReasonCode = Exclude<(typeof REJECTION_CODES)[number], "none">;
const REJECTION_WHY: Record<RejectionReasonCode, [why: string, action: string]> = {
  "terminal.unknown": ["The signing terminal key is not registered.", "Register the terminal, or sign with a registered key."],
  "terminal.disabled": ["The terminal is disabled.", "Ask the bank to enable the terminal."],
  "merchant.inactive": ["The terminal's merchant is suspended.", "Ask the bank."],
  "settlement.nonce_used": ["The ledger recorded this terminal's nonce before.", "Use a new nonce."],
  "settlement.expired": ["The signed time is older than SIGNATURE_TTL (3 days).", "Sign again with the current time."],
  "settlement.time_in_future": ["The signed time is more than MAX_CLOCK_SKEW (5 minutes) ahead.", "Fix the terminal's clock and sign again."],
  "settlement.amount_out_of_bounds": ["The amount (or points) is zero or above MAX_AMOUNT.", "Send an amount between 1 and MAX_AMOUNT."],
  "settlement.amount_below_minimum": ["The amount is below the agreement's minimum.", "Settle at least the minimum (`detail`)."],
  "settlement.currency_mismatch": ["The merchant's agreement is in another currency.", "Settle in the agreement's currency."],
  "settlement.category_unknown": ["The category is not below CATEGORY_COUNT.", "Use a category from 0 to CATEGORY_COUNT - 1."],
  "agreement.not_in_force": ["No agreement of the merchant is in force at the signed time.", "Ask the bank to set an agreement for that time."],
  "signature.terminal_invalid": ["The terminal signature does not recover to the terminal key.", "Sign the EIP-712 digest with the terminal key."],
  "card.unknown": ["The card is not in the registry.", "Check the card read at the till."],
  "card.not_active": ["The card is frozen or closed.", "Ask the holder for another card."],
  "card.not_consumer": ["A merchant card cannot earn or redeem points.", "Use a consumer card."],
  "signature.card_invalid": ["The card signature does not recover to the card key.", "Have the card sign the EIP-712 digest."],
  "account.limit_reached": ["The account's points would pass the ledger's limit.", "Ask the bank."],
  "settlement.encoding_invalid": ["The settlement's encoding is invalid (a field out of range).", "Fix the terminal software; use the SDK's encoder."],
  "merchant.card_not_active": ["The merchant's own card is frozen or closed.", "Ask the bank."],
};
const REJECTION_ERRORS = Object.fromEntries(
  Object.entries(REJECTION_WHY).map(([code, [why, action]]) => [code, entry("unprocessable", "Submission refused", why, action)]),
) as Record<RejectionReasonCode, CatalogueEntry>;

/**
 * The custom errors of the deployed contracts' ABIs (CredenceRegistry, PointsLedger, CreditGrants,
 * CreditScores, CredenceOperators), each answering as `contract.<Name>` where no caller's table
 * gives it a code; test/api/error-catalogue.spec.ts checks the list against the artifacts.
 */
export const CONTRACT_ERROR_NAMES = [
  "AccessControlBadConfirmation", "AccessControlEnforcedDefaultAdminDelay", "AccessControlEnforcedDefaultAdminRules",
  "AccessControlInvalidDefaultAdmin", "AccessControlUnauthorizedAccount", "AgreementInvalid", "CardAlreadyExists",
  "CardInvalidId", "CardInvalidKey", "CardLedgerNotSettable", "CardLostReportNotConsumer", "CardStatusForbids",
  "CardUnknown", "CreditCardNotActive", "CreditExpiryInvalid", "CreditFreezeAlreadyConfirmed", "CreditFreezeRenewalTooSoon",
  "CreditGrantFrozen", "CreditGrantNotFrozen", "CreditLimitAboveEligible", "CreditLimitZero", "CreditNoGrant",
  "CreditNotADecrease", "CreditPolicyInvalid", "CreditRuleInvalid", "CreditScoresAccountZero", "CreditScoresCardUnknown",
  "CreditScoresPageSize", "DualControlActFailed", "DualControlActionFailed", "DualControlActionMismatch",
  "DualControlActionNotActable", "DualControlActionNotAllowed", "DualControlApproverNotCounterpart",
  "DualControlNotProposerInstitution", "DualControlOnlySelf", "DualControlProposalExpired", "DualControlProposalNotPending",
  "DualControlProposerCredentialRemoved", "EnforcedPause", "ExpectedPause", "InvalidShortString", "LedgerBatchSize",
  "LedgerCorrectionExceedsOrder", "LedgerCorrectionInvalid", "LedgerCorrectionUnattributed", "LedgerInsufficientPoints",
  "LedgerNotRegistry", "LedgerNothingToSeal", "LedgerOrderMismatch", "LedgerProofInvalid", "LedgerRedemptionRejected",
  "LedgerRefundExceedsOrder", "LedgerRefundRejected", "LedgerSettlementRejected", "LedgerUnauthorized", "MerchantCardAlreadyBound",
  "MerchantCardNotEligible", "MerchantUnknown", "OperatorCredentialsCredentialNotActive", "OperatorCredentialsDuplicateOperator",
  "OperatorCredentialsInvalidInitialOperator", "OperatorCredentialsInvalidKey", "OperatorCredentialsKeyAlreadyRegistered",
  "OperatorCredentialsNoEnrolmentCode", "OperatorCredentialsNoRecovery", "OperatorCredentialsNotAnInstitution",
  "OperatorCredentialsNotGovernance", "OperatorCredentialsOperatorOfOtherInstitution", "OperatorCredentialsQuorumNotMet",
  "OperatorCredentialsRecoveryNotDue", "OperatorCredentialsRecoveryPending", "OperatorCredentialsReservedStep",
  "OperatorCredentialsStepAlreadyUsed", "OperatorCredentialsStepExpired", "OperatorCredentialsTooManyCredentials",
  "OperatorCredentialsWrongEnrolmentCode", "OperatorCredentialsWrongInstitution", "OperatorCredentialsZeroOperatorId",
  "OperatorSignaturesAuthenticatorDataTooShort", "OperatorSignaturesHighS", "OperatorSignaturesInvalidBackupState",
  "OperatorSignaturesInvalidSignature", "OperatorSignaturesMalformed", "OperatorSignaturesUserNotVerified",
  "OperatorSignaturesWrongChallenge", "OperatorSignaturesWrongClientDataType", "OperatorSignaturesWrongSigner",
  "RoleGrantNotReady", "RoleGrantNotSchedulable", "SafeCastOverflowedUintDowncast", "StringTooLong",
  "TerminalAlreadyRegistered", "TerminalInvalidKey", "TerminalUnknown",
] as const;
export type ContractErrorName = (typeof CONTRACT_ERROR_NAMES)[number];
export type ContractErrorCode = `contract.${ContractErrorName}`;

/**
 * Why a contract's custom error happens, for the errors whose declaration has no NatSpec (the
 * catalogue's document takes the others' from contracts/).
 */
export const CONTRACT_ERRORS_WITHOUT_NATSPEC: Readonly<Partial<Record<ContractErrorName, string>>> = {
  AgreementInvalid: "An agreement's field (named) is out of bounds: base rate, maximum points, validity window, currency or category multipliers.",
  CardAlreadyExists: "A card with this ID exists already.",
  CardInvalidId: "The card ID is zero.",
  CardInvalidKey: "The card key is the zero address.",
  CardStatusForbids: "The card's status forbids the change (freezing a frozen card, closing a closed one, replacing a replaced one).",
  CardUnknown: "No card has this ID.",
  CreditRuleInvalid: "The credit-point rule's rate is above its maximum.",
  ExpectedPause: "As OpenZeppelin's Pausable: the operation needs the ledger paused.",
  InvalidShortString: "As OpenZeppelin's ShortStrings: a string is not a valid short string.",
  LedgerBatchSize: "The batch is empty or larger than the ledger takes at once.",
  LedgerCorrectionInvalid: "The correction voids nothing, or more than the card holds or the merchant has un-reversed.",
  LedgerInsufficientPoints: "The card has fewer points than the redemption or correction needs.",
  LedgerOrderMismatch: "The order named is of another card, merchant or amount than the settlement recorded.",
  LedgerProofInvalid: "The proof does not chain the order's batch, as given, to a batch chain value the ledger holds.",
  LedgerRedemptionRejected: "The ledger refused the redemption for a RejectionReason (see the rejection codes above).",
  LedgerRefundExceedsOrder: "The refund passes what is left of the order's amount.",
  LedgerRefundRejected: "The ledger refused the refund for a RejectionReason (see the rejection codes above).",
  LedgerSettlementRejected: "The ledger refused the settlement for a RejectionReason (see the rejection codes above).",
  LedgerUnauthorized: "The caller lacks the ledger role the function needs (the gateway's key, for example).",
  MerchantCardAlreadyBound: "The merchant card is bound to another merchant already.",
  MerchantCardNotEligible: "The merchant's card is not an active merchant card.",
  MerchantUnknown: "No merchant has this ID.",
  StringTooLong: "As OpenZeppelin's ShortStrings: a string is longer than 31 bytes.",
  TerminalAlreadyRegistered: "The terminal key is registered already.",
  TerminalInvalidKey: "The terminal key is the zero address.",
  TerminalUnknown: "The terminal key is not registered.",
};

const CONTRACT_ERRORS = Object.fromEntries(
  CONTRACT_ERROR_NAMES.map((name) => [
    `contract.${name}`,
    entry(
      "unprocessable",
      "The contract refused the operation",
      CONTRACT_ERRORS_WITHOUT_NATSPEC[name] ?? `The custom error ${name}: see its NatSpec in contracts/.`,
      "Read `detail` (the error and its arguments) and fix the request or the state it names.",
    ),
  ]),
) as Record<ContractErrorCode, CatalogueEntry>;

/** Every code of the catalogue. */
export type ErrorCode = keyof typeof GATEWAY_ERRORS | RejectionReasonCode | ContractErrorCode;

/** The one table: code -> kind, title, why, what to do. */
export const ERROR_CATALOGUE: Readonly<Record<ErrorCode, CatalogueEntry>> = { ...GATEWAY_ERRORS, ...REJECTION_ERRORS, ...CONTRACT_ERRORS };

/** Whether `code` is a code of the catalogue. */
export function isCatalogued(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, code);
}

/** The code of a contract's custom error (`contract.<Name>`), or "internal" for a name no ABI has. */
export function contractErrorCode(name: string): ErrorCode {
  const code = `contract.${name}`;
  return isCatalogued(code) ? code : "internal";
}
