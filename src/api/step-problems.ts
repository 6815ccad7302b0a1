/**
 * The contracts' refusals of a relayed operator step, as stable problem codes (one table): a
 * console or a CLI switches on the code; `detail` names the custom error and its arguments. An
 * error missing from the table keeps the generic `contract.<ErrorName>`.
 */
import { ContractRefusal, contractErrorCode } from "../chain/contract-errors";
import { DomainError } from "../http/problem";

interface StepProblem {
  code: string;
  status: number;
  title: string;
}

const CONFLICT = 409;
const REFUSED = 422;

export const STEP_PROBLEMS: Readonly<Record<string, StepProblem>> = {
  OperatorCredentialsStepAlreadyUsed: { code: "operator_step.already_used", status: CONFLICT, title: "This signed step was performed already" },
  OperatorCredentialsStepExpired: { code: "operator_step.expired", status: REFUSED, title: "The signed step is past its notAfter" },
  OperatorCredentialsWrongInstitution: { code: "operator_step.wrong_institution", status: REFUSED, title: "Signed by a credential of the wrong institution" },
  OperatorCredentialsCredentialNotActive: { code: "operator_step.credential_not_active", status: REFUSED, title: "The signing credential is unknown or removed" },
  OperatorCredentialsReservedStep: { code: "operator_step.reserved_kind", status: REFUSED, title: "This kind of step is not performed here" },
  OperatorSignaturesMalformed: { code: "operator_step.signature_malformed", status: REFUSED, title: "Malformed signature" },
  OperatorSignaturesAuthenticatorDataTooShort: { code: "operator_step.signature_malformed", status: REFUSED, title: "Malformed signature" },
  OperatorSignaturesWrongClientDataType: { code: "operator_step.wrong_client_data_type", status: REFUSED, title: "Not a webauthn.get assertion" },
  OperatorSignaturesWrongChallenge: { code: "operator_step.wrong_challenge", status: REFUSED, title: "The assertion was made over another challenge" },
  OperatorSignaturesUserNotVerified: { code: "operator_step.user_not_verified", status: REFUSED, title: "The authenticator did not verify the user" },
  OperatorSignaturesInvalidBackupState: { code: "operator_step.invalid_backup_state", status: REFUSED, title: "Invalid backup flags" },
  OperatorSignaturesHighS: { code: "operator_step.high_s", status: REFUSED, title: "Malleable (high-s) signature" },
  OperatorSignaturesInvalidSignature: { code: "operator_step.invalid_signature", status: REFUSED, title: "The signature does not verify" },
  OperatorSignaturesWrongSigner: { code: "operator_step.invalid_signature", status: REFUSED, title: "The signature does not verify" },
  OperatorCredentialsQuorumNotMet: { code: "enrolment.quorum_not_met", status: REFUSED, title: "Not enough operators signed" },
  OperatorCredentialsDuplicateOperator: { code: "enrolment.duplicate_operator", status: REFUSED, title: "Two signatures of one operator" },
  OperatorCredentialsKeyAlreadyRegistered: { code: "enrolment.key_already_registered", status: CONFLICT, title: "This key was registered before" },
  OperatorCredentialsOperatorOfOtherInstitution: { code: "enrolment.operator_of_other_institution", status: REFUSED, title: "The operator belongs to the other institution" },
  OperatorCredentialsTooManyCredentials: { code: "enrolment.too_many_credentials", status: REFUSED, title: "The institution has its most credentials" },
  OperatorCredentialsNoEnrolmentCode: { code: "enrolment.no_code", status: CONFLICT, title: "The institution has no open enrolment code" },
  OperatorCredentialsWrongEnrolmentCode: { code: "enrolment.wrong_code", status: REFUSED, title: "Not signed by the institution's enrolment code for this key" },
  OperatorCredentialsRecoveryPending: { code: "enrolment.recovery_pending", status: CONFLICT, title: "A recovery of the institution is pending" },
  DualControlActionNotAllowed: { code: "proposal.action_not_allowed", status: REFUSED, title: "This function is not run by dual control" },
  DualControlProposalNotPending: { code: "proposal.not_pending", status: CONFLICT, title: "Proposal not pending" },
  DualControlProposalExpired: { code: "proposal.expired", status: REFUSED, title: "The proposal is past its deadline" },
  DualControlApproverNotCounterpart: { code: "proposal.approver_not_counterpart", status: REFUSED, title: "Only the other institution may approve or reject" },
  DualControlNotProposerInstitution: { code: "proposal.not_proposer_institution", status: REFUSED, title: "Only the proposer's institution may withdraw" },
  DualControlProposerCredentialRemoved: { code: "proposal.proposer_credential_removed", status: REFUSED, title: "The proposer's credential was removed" },
  DualControlActionMismatch: { code: "proposal.action_mismatch", status: REFUSED, title: "The action differs from the proposal's" },
  DualControlActionFailed: { code: "proposal.action_failed", status: REFUSED, title: "The approved action reverted" },
  DualControlActionNotActable: { code: "act.not_actable", status: REFUSED, title: "No institution may run this function alone" },
};

/** A relayed step's failure as a problem: a contract refusal by the table, anything else as it is. */
export function stepProblem(err: unknown): unknown {
  if (!(err instanceof ContractRefusal)) return err;
  const known = STEP_PROBLEMS[err.answered.name];
  return new DomainError({
    code: known?.code ?? contractErrorCode(err.answered),
    status: known?.status ?? REFUSED,
    title: known?.title ?? "The contract refused the operation",
    detail: err.message,
  });
}
