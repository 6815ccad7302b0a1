/**
 * Stable reason codes for IPointsLedger.RejectionReason and the ledger's time limits: the
 * terminal SDK's (packages/terminal-sdk/src/constants.ts), one copy for terminals and gateway.
 */
export { MAX_CLOCK_SKEW, REJECTION_CODES, SIGNATURE_TTL, rejectionCode, type RejectionCode } from "../../packages/terminal-sdk/src/constants";
