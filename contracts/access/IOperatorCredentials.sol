// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Operator credentials: the keys with which the bank's and the credit center's operators
/// sign their own decisions (docs/adr/0001-operators-sign-their-own-decisions.md).
/// @notice A credential is one key of one operator (a person) of one institution, BANK or
/// CREDIT_CENTER (see CredenceRoles): a WebAuthn P-256 passkey or an institution's secp256k1 HSM
/// key. Every decision is an operator step, EIP-712 typed data signed by a credential and
/// relayed by anyone; each step's digest works once.
interface IOperatorCredentials {
    enum CredentialKind {
        None,
        WebAuthnP256,
        Secp256k1
    }

    enum CredentialStatus {
        None,
        Active,
        Removed
    }

    /// @dev The kinds of step; the numbering is part of the signed data and never changes.
    enum StepKind {
        Propose,
        Approve,
        Reject,
        Withdraw,
        Act,
        Confirm,
        Enrol,
        Remove,
        VetoRecovery,
        RedeemEnrolmentCode
    }

    /// @notice A public key: (qx, qy) for WebAuthnP256, `signer` for Secp256k1; the other fields zero.
    struct CredentialKey {
        CredentialKind kind;
        bytes32 qx;
        bytes32 qy;
        address signer;
    }

    struct Credential {
        bytes32 institution;
        bytes32 operatorId;
        bytes32 qx;
        bytes32 qy;
        address signer;
        CredentialKind kind;
        CredentialStatus status;
        uint40 enrolledAt;
        uint40 removedAt;
    }

    /// @notice The signed data (EIP-712 `OperatorStep`) under the acting contract's domain.
    /// @dev `subject` is the proposal, credential or recovery the step concerns (0 when none);
    /// `actionHash` binds exactly what is decided; `salt` is the signer's, so that one decision
    /// can be signed again as a new step; `notAfter` is the last timestamp it may be performed at.
    struct OperatorStep {
        StepKind kind;
        uint256 subject;
        bytes32 actionHash;
        bytes32 salt;
        uint64 notAfter;
    }

    /// @notice A credential's signature over a step's digest: for WebAuthnP256 the ABI encoding of
    /// OpenZeppelin's `WebAuthn.WebAuthnAuth` fields (r, s, challengeIndex, typeIndex,
    /// authenticatorData, clientDataJSON); for Secp256k1 65 bytes r ‖ s ‖ v.
    struct OperatorSignature {
        uint64 credentialId;
        bytes signature;
    }

    /// @notice How an institution's first operator is named at deployment: either a credential
    /// (`key.kind` set, with `operatorId`) or the address of a one-time enrolment code's key.
    struct InitialOperator {
        bytes32 operatorId;
        CredentialKey key;
        address enrolmentCode;
    }

    struct Recovery {
        uint64 recoveryId;
        uint64 effectiveAt;
        bytes32 operatorId;
        CredentialKey key;
    }

    /// @dev `institution` is neither BANK nor CREDIT_CENTER.
    error OperatorCredentialsNotAnInstitution(bytes32 institution);
    /// @dev An initial operator must name exactly one of a credential and an enrolment code.
    error OperatorCredentialsInvalidInitialOperator(bytes32 institution);
    /// @dev The key is not a valid public key of its kind (a P-256 point off the curve, a zero
    /// signer, or a field of the other kind set).
    error OperatorCredentialsInvalidKey(CredentialKind kind);
    /// @dev The operator ID is zero.
    error OperatorCredentialsZeroOperatorId();
    /// @dev The key was registered before (as `credentialId`, perhaps since removed).
    error OperatorCredentialsKeyAlreadyRegistered(bytes32 keyHash, uint64 credentialId);
    /// @dev The operator ID belongs to the other institution.
    error OperatorCredentialsOperatorOfOtherInstitution(bytes32 operatorId, bytes32 institution);
    /// @dev The institution already has the most active credentials it may have.
    error OperatorCredentialsTooManyCredentials(bytes32 institution, uint256 max);
    /// @dev The credential is unknown (status None) or removed.
    error OperatorCredentialsCredentialNotActive(uint64 credentialId, CredentialStatus status);
    /// @dev The signing credential belongs to `institution`; the step needs one of `expected`.
    error OperatorCredentialsWrongInstitution(uint64 credentialId, bytes32 institution, bytes32 expected);
    /// @dev The step's digest was consumed before: a signature works once.
    error OperatorCredentialsStepAlreadyUsed(bytes32 digest);
    /// @dev The step's `notAfter` has passed.
    error OperatorCredentialsStepExpired(uint64 notAfter);
    /// @dev This kind of step is performed only by this contract's own functions (enrol, remove,
    /// vetoRecovery, redeemEnrolmentCode), which compute its actionHash themselves.
    error OperatorCredentialsReservedStep(StepKind kind);
    /// @dev `given` qualifying signatures where the rule needs `required`: signatures of distinct
    /// operators of the institution, for a removal of operators other than the removed credential's.
    error OperatorCredentialsQuorumNotMet(bytes32 institution, uint256 required, uint256 given);
    /// @dev Two signatures of one quorum came from the same operator.
    error OperatorCredentialsDuplicateOperator(bytes32 operatorId);
    /// @dev The institution has no enrolment code (never had one, or it was used).
    error OperatorCredentialsNoEnrolmentCode(bytes32 institution);
    /// @dev The redemption was not signed by the institution's enrolment code (`recovered` signed it).
    error OperatorCredentialsWrongEnrolmentCode(bytes32 institution, address recovered);
    /// @dev Only governance may do this.
    error OperatorCredentialsNotGovernance(address account);
    /// @dev A recovery (of `institution`, due at `effectiveAt`) is pending already.
    error OperatorCredentialsRecoveryPending(bytes32 institution, uint64 effectiveAt);
    /// @dev No recovery of the institution is pending.
    error OperatorCredentialsNoRecovery(bytes32 institution);
    /// @dev The recovery cannot complete before `effectiveAt`.
    error OperatorCredentialsRecoveryNotDue(bytes32 institution, uint64 effectiveAt);

    /// @notice A credential was enrolled (at construction, by quorum, by enrolment code or by recovery).
    event CredentialEnrolled(
        uint64 indexed credentialId,
        bytes32 indexed institution,
        bytes32 indexed operatorId,
        CredentialKey key
    );
    /// @notice A credential was removed; its signatures are refused from now on.
    event CredentialRemoved(uint64 indexed credentialId, bytes32 indexed institution);
    /// @notice A credential's signature over a step was verified and the step's digest consumed.
    event OperatorStepVerified(
        bytes32 indexed digest,
        uint64 indexed credentialId,
        StepKind kind,
        uint256 subject,
        bytes32 actionHash
    );
    /// @notice An institution's first operator is to be enrolled with a one-time code whose key is `codeSigner`.
    event EnrolmentCodeSet(bytes32 indexed institution, address codeSigner);
    /// @notice An enrolment code was used, enrolling `credentialId`.
    event EnrolmentCodeRedeemed(bytes32 indexed institution, uint64 indexed credentialId);
    /// @notice Governance proposed a new first credential for an institution, due at `effectiveAt`.
    event RecoveryProposed(
        bytes32 indexed institution,
        uint64 indexed recoveryId,
        bytes32 operatorId,
        CredentialKey key,
        uint64 effectiveAt
    );
    /// @notice An active credential of the institution vetoed its recovery.
    event RecoveryVetoed(bytes32 indexed institution, uint64 indexed recoveryId, uint64 indexed credentialId);
    /// @notice Governance withdrew its recovery proposal.
    event RecoveryCancelled(bytes32 indexed institution, uint64 indexed recoveryId);
    /// @notice A recovery took effect: the institution's remaining credentials were removed, `credentialId` enrolled.
    event RecoveryCompleted(bytes32 indexed institution, uint64 indexed recoveryId, uint64 indexed credentialId);

    /// @notice Enrol a credential for an institution, signed by operators of that institution.
    /// @dev One `Enrol` step (subject 0, actionHash = `enrolmentHash(institution, operatorId, key)`)
    /// signed by two active credentials of distinct operators of `institution`, or by one while
    /// the institution has a single active operator. Anyone may relay it.
    /// @return credentialId the new credential's ID.
    function enrol(
        bytes32 institution,
        bytes32 operatorId,
        CredentialKey calldata key,
        bytes32 salt,
        uint64 notAfter,
        OperatorSignature[] calldata signatures
    ) external returns (uint64 credentialId);

    /// @notice Remove a credential at once, signed by operators of its institution.
    /// @dev One `Remove` step (subject = `credentialId`, actionHash = the credential's key hash)
    /// signed either by one credential of the removed credential's own operator, or by two
    /// credentials of two other operators of the institution (one when only one other operator
    /// is active). Anyone may relay it.
    function remove(uint64 credentialId, bytes32 salt, uint64 notAfter, OperatorSignature[] calldata signatures) external;

    /// @notice Enrol an institution's first credential with its one-time enrolment code.
    /// @dev `codeSignature` (65 bytes) is the code key's signature over a `RedeemEnrolmentCode`
    /// step (subject 0, actionHash = `enrolmentHash(institution, operatorId, key)`): a relayer
    /// cannot substitute another key. The code is forgotten once used.
    /// @return credentialId the new credential's ID.
    function redeemEnrolmentCode(
        bytes32 institution,
        bytes32 operatorId,
        CredentialKey calldata key,
        bytes32 salt,
        uint64 notAfter,
        bytes calldata codeSignature
    ) external returns (uint64 credentialId);

    /// @notice Governance: propose a new first credential for an institution that lost every credential.
    /// @dev It takes effect `RECOVERY_DELAY` later, unless an active credential of the institution
    /// vetoes it or governance cancels it. One recovery may be pending at a time.
    /// @return recoveryId the recovery's ID.
    function proposeRecovery(
        bytes32 institution,
        bytes32 operatorId,
        CredentialKey calldata key
    ) external returns (uint64 recoveryId);

    /// @notice Veto the pending recovery of an institution, signed by one of its active credentials.
    /// @dev A `VetoRecovery` step: subject = the recovery ID, actionHash = the proposed key's hash.
    function vetoRecovery(bytes32 institution, bytes32 salt, uint64 notAfter, OperatorSignature calldata signature) external;

    /// @notice Governance: withdraw the pending recovery of an institution.
    function cancelRecovery(bytes32 institution) external;

    /// @notice Complete a recovery once due (anyone may): remove the institution's remaining
    /// credentials and enrol the proposed one.
    /// @return credentialId the new credential's ID.
    function completeRecovery(bytes32 institution) external returns (uint64 credentialId);

    /// @notice Seconds a recovery waits before it may complete.
    function RECOVERY_DELAY() external view returns (uint64);

    /// @notice Most active credentials an institution may have.
    function MAX_ACTIVE_CREDENTIALS() external view returns (uint256);

    /// @notice A credential by ID (status None when unknown).
    function credential(uint64 credentialId) external view returns (Credential memory);

    /// @notice Credentials ever enrolled (IDs are 1..credentialCount).
    function credentialCount() external view returns (uint64);

    /// @notice The IDs of an institution's active credentials (at most MAX_ACTIVE_CREDENTIALS, in no set order).
    function activeCredentials(bytes32 institution) external view returns (uint64[] memory);

    /// @notice How many distinct operators of an institution have an active credential.
    function activeOperatorCount(bytes32 institution) external view returns (uint256);

    /// @notice The institution an operator ID belongs to (zero when never used).
    function institutionOfOperator(bytes32 operatorId) external view returns (bytes32);

    /// @notice The credential a key was registered as (0 when never).
    function credentialOfKey(bytes32 keyHash) external view returns (uint64);

    /// @notice The address of an institution's unused enrolment code key (zero when none).
    function enrolmentCode(bytes32 institution) external view returns (address);

    /// @notice The pending recovery of an institution (recoveryId 0 when none).
    function pendingRecovery(bytes32 institution) external view returns (Recovery memory);

    /// @notice Whether a step digest has been consumed.
    function isStepUsed(bytes32 digest) external view returns (bool);

    /// @notice The EIP-712 digest of a step under this contract's domain (what a credential signs).
    function hashStep(OperatorStep calldata step) external view returns (bytes32);
}
