/**
 * The contracts' refusals of a relayed operator step, as stable problem codes (one table): a
 * console or a CLI switches on the code; `detail` names the custom error and its arguments. An
 * error missing from the table keeps the generic `contract.<ErrorName>`. Kinds and titles are the
 * catalogue's (src/domain/error-catalogue.ts).
 */
import { ContractRefusal } from "../chain/contract-errors";
import { DomainError } from "../domain/domain-error";
import { contractErrorCode, type ErrorCode } from "../domain/error-catalogue";

export const STEP_PROBLEMS: Readonly<Record<string, ErrorCode>> = {
  OperatorCredentialsStepAlreadyUsed: "operator_step.already_used",
  OperatorCredentialsStepExpired: "operator_step.expired",
  OperatorCredentialsWrongInstitution: "operator_step.wrong_institution",
  OperatorCredentialsCredentialNotActive: "operator_step.credential_not_active",
  OperatorCredentialsReservedStep: "operator_step.reserved_kind",
  OperatorSignaturesMalformed: "operator_step.signature_malformed",
  OperatorSignaturesAuthenticatorDataTooShort: "operator_step.signature_malformed",
  OperatorSignaturesWrongClientDataType: "operator_step.wrong_client_data_type",
  OperatorSignaturesWrongChallenge: "operator_step.wrong_challenge",
  OperatorSignaturesUserNotVerified: "operator_step.user_not_verified",
  OperatorSignaturesInvalidBackupState: "operator_step.invalid_backup_state",
  OperatorSignaturesHighS: "operator_step.high_s",
  OperatorSignaturesInvalidSignature: "operator_step.invalid_signature",
  OperatorSignaturesWrongSigner: "operator_step.invalid_signature",
  OperatorCredentialsQuorumNotMet: "enrolment.quorum_not_met",
  OperatorCredentialsDuplicateOperator: "enrolment.duplicate_operator",
  OperatorCredentialsKeyAlreadyRegistered: "enrolment.key_already_registered",
  OperatorCredentialsOperatorOfOtherInstitution: "enrolment.operator_of_other_institution",
  OperatorCredentialsTooManyCredentials: "enrolment.too_many_credentials",
  OperatorCredentialsNoEnrolmentCode: "enrolment.no_code",
  OperatorCredentialsWrongEnrolmentCode: "enrolment.wrong_code",
  OperatorCredentialsRecoveryPending: "enrolment.recovery_pending",
  DualControlActionNotAllowed: "proposal.action_not_allowed",
  DualControlProposalNotPending: "proposal.not_pending",
  DualControlProposalExpired: "proposal.expired",
  DualControlApproverNotCounterpart: "proposal.approver_not_counterpart",
  DualControlNotProposerInstitution: "proposal.not_proposer_institution",
  DualControlProposerCredentialRemoved: "proposal.proposer_credential_removed",
  DualControlActionMismatch: "proposal.action_mismatch",
  DualControlActionFailed: "proposal.action_failed",
  DualControlActionNotActable: "act.not_actable",
};

/** A relayed step's failure as a problem: a contract refusal by the table, anything else as it is. */
export function stepProblem(err: unknown): unknown {
  if (!(err instanceof ContractRefusal)) return err;
  return new DomainError({ code: STEP_PROBLEMS[err.answered.name] ?? contractErrorCode(err.answered.name), detail: err.message });
}
