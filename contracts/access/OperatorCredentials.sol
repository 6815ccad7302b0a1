// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IOperatorCredentials} from "./IOperatorCredentials.sol";
import {OperatorSignatures} from "./OperatorSignatures.sol";
import {CredenceRoles} from "./CredenceRoles.sol";

/// @title The operators' credentials of the bank and the credit center, and the checking of
/// their signed steps (docs/adr/0001-operators-sign-their-own-decisions.md).
/// @notice An abstract module: the inheriting contract supplies the EIP-712 domain (name
/// "Credence", version "1") and says who governance is. It verifies steps for its own functions
/// through `_verifyStep`.
/// @dev Invariants (asserted by test/access/operator-credentials.spec.ts):
/// - a credential's institution never changes, and only credentials of that institution (or the
///   construction, its one-time enrolment code, or its delayed and vetoable recovery) enrol or
///   remove credentials of it;
/// - a public key is registered at most once, ever; an operator ID belongs to one institution;
/// - a step digest is consumed at most once, and only after every signature over it verified;
/// - a removed credential never signs again;
/// - an institution has at most MAX_ACTIVE_CREDENTIALS active credentials, and
///   `activeOperatorCount` is the number of distinct operator IDs among them.
abstract contract OperatorCredentials is IOperatorCredentials, EIP712 {
    /// @inheritdoc IOperatorCredentials
    uint64 public constant RECOVERY_DELAY = 7 days;
    /// @inheritdoc IOperatorCredentials
    uint256 public constant MAX_ACTIVE_CREDENTIALS = 16;

    /// @dev EIP-712 domain type hash (OpenZeppelin's EIP712 keeps its own private).
    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    /// @dev The domain's hashed name and version, fixed at construction: hashed once, not per step.
    bytes32 private immutable _hashedDomainName;
    bytes32 private immutable _hashedDomainVersion;

    mapping(uint64 credentialId => Credential) private _credentials;
    uint64 private _credentialCount;
    mapping(bytes32 institution => uint64[]) private _active;
    /// @dev Index + 1 of an active credential in its institution's `_active` (0 when not active).
    mapping(uint64 credentialId => uint256) private _activePosition;
    mapping(bytes32 operatorId => uint256) private _activeCredentialsOfOperator;
    mapping(bytes32 institution => uint256) private _activeOperators;
    mapping(bytes32 operatorId => bytes32) private _institutionOfOperator;
    mapping(bytes32 keyHash => uint64) private _credentialOfKey;
    mapping(bytes32 institution => address) private _enrolmentCodes;
    mapping(bytes32 institution => Recovery) private _recoveries;
    uint64 private _recoveryCount;
    mapping(bytes32 digest => bool) private _usedSteps;

    modifier onlyGovernance() {
        if (!_isGovernance(msg.sender)) revert OperatorCredentialsNotGovernance(msg.sender);
        _;
    }

    /// @param bank the bank's first operator: a credential, or an enrolment code's key.
    /// @param creditCenter the credit center's first operator, likewise.
    constructor(InitialOperator memory bank, InitialOperator memory creditCenter) {
        _hashedDomainName = keccak256(bytes(_EIP712Name()));
        _hashedDomainVersion = keccak256(bytes(_EIP712Version()));
        _setUpInstitution(CredenceRoles.BANK, bank);
        _setUpInstitution(CredenceRoles.CREDIT_CENTER, creditCenter);
    }

    // ------------------------------------------------------------------ enrolment and removal

    /// @inheritdoc IOperatorCredentials
    function enrol(
        bytes32 institution,
        bytes32 operatorId,
        CredentialKey calldata key,
        bytes32 salt,
        uint64 notAfter,
        OperatorSignature[] calldata signatures
    ) external returns (uint64 credentialId) {
        _checkInstitution(institution);
        OperatorStep memory step = OperatorStep({
            kind: StepKind.Enrol,
            subject: 0,
            actionHash: OperatorSignatures.enrolmentHash(institution, operatorId, key),
            salt: salt,
            notAfter: notAfter
        });
        bytes32 digest = _consume(step);
        uint256 required = _activeOperators[institution] >= 2 ? 2 : 1;
        if (signatures.length != required) revert OperatorCredentialsQuorumNotMet(institution, required, signatures.length);
        _verifySigners(digest, step, institution, signatures);
        return _enrol(institution, operatorId, key);
    }

    /// @inheritdoc IOperatorCredentials
    function remove(uint64 credentialId, bytes32 salt, uint64 notAfter, OperatorSignature[] calldata signatures) external {
        Credential storage target = _credentials[credentialId];
        if (target.status != CredentialStatus.Active) revert OperatorCredentialsCredentialNotActive(credentialId, target.status);
        bytes32 institution = target.institution;
        OperatorStep memory step = OperatorStep({
            kind: StepKind.Remove,
            subject: credentialId,
            actionHash: OperatorSignatures.keyHash(_keyOf(target)),
            salt: salt,
            notAfter: notAfter
        });
        bytes32 digest = _consume(step);
        // The target's operator is active (the target is), so this cannot underflow.
        uint256 required = _activeOperators[institution] - 1 >= 2 ? 2 : 1;
        if (signatures.length == 0 || signatures.length > 2) {
            revert OperatorCredentialsQuorumNotMet(institution, required, signatures.length);
        }
        bytes32[] memory operators = _verifySigners(digest, step, institution, signatures);
        uint256 others;
        for (uint256 i; i < operators.length; ++i) {
            if (operators[i] != target.operatorId) ++others;
        }
        // Either the removed credential's own operator alone, or `required` other operators.
        bool byOwnOperator = signatures.length == 1 && others == 0;
        if (!byOwnOperator && (others != required || signatures.length != required)) {
            revert OperatorCredentialsQuorumNotMet(institution, required, others);
        }
        _remove(credentialId);
    }

    /// @inheritdoc IOperatorCredentials
    function redeemEnrolmentCode(
        bytes32 institution,
        bytes32 operatorId,
        CredentialKey calldata key,
        bytes32 salt,
        uint64 notAfter,
        bytes calldata codeSignature
    ) external returns (uint64 credentialId) {
        _checkInstitution(institution);
        address code = _enrolmentCodes[institution];
        if (code == address(0)) revert OperatorCredentialsNoEnrolmentCode(institution);
        bytes32 digest = _consume(
            OperatorStep({
                kind: StepKind.RedeemEnrolmentCode,
                subject: 0,
                actionHash: OperatorSignatures.enrolmentHash(institution, operatorId, key),
                salt: salt,
                notAfter: notAfter
            })
        );
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(digest, codeSignature);
        if (err != ECDSA.RecoverError.NoError || recovered != code) {
            revert OperatorCredentialsWrongEnrolmentCode(institution, recovered);
        }
        delete _enrolmentCodes[institution];
        credentialId = _enrol(institution, operatorId, key);
        emit EnrolmentCodeRedeemed(institution, credentialId);
    }

    // ------------------------------------------------------------------ recovery

    /// @inheritdoc IOperatorCredentials
    function proposeRecovery(
        bytes32 institution,
        bytes32 operatorId,
        CredentialKey calldata key
    ) external onlyGovernance returns (uint64 recoveryId) {
        _checkInstitution(institution);
        _checkNoRecovery(CredenceRoles.BANK);
        _checkNoRecovery(CredenceRoles.CREDIT_CENTER);
        _checkEnrolment(institution, operatorId, key);
        recoveryId = ++_recoveryCount;
        uint64 effectiveAt = uint64(block.timestamp) + RECOVERY_DELAY;
        _recoveries[institution] = Recovery({recoveryId: recoveryId, effectiveAt: effectiveAt, operatorId: operatorId, key: key});
        emit RecoveryProposed(institution, recoveryId, operatorId, key, effectiveAt);
    }

    /// @inheritdoc IOperatorCredentials
    /// @dev A veto counts until the recovery completes, even after its effective time.
    function vetoRecovery(bytes32 institution, bytes32 salt, uint64 notAfter, OperatorSignature calldata signature) external {
        Recovery storage r = _pendingRecoveryOf(institution);
        OperatorStep memory step = OperatorStep({
            kind: StepKind.VetoRecovery,
            subject: r.recoveryId,
            actionHash: OperatorSignatures.keyHash(r.key),
            salt: salt,
            notAfter: notAfter
        });
        _verifySigner(_consume(step), step, institution, signature);
        emit RecoveryVetoed(institution, r.recoveryId, signature.credentialId);
        delete _recoveries[institution];
    }

    /// @inheritdoc IOperatorCredentials
    function cancelRecovery(bytes32 institution) external onlyGovernance {
        emit RecoveryCancelled(institution, _pendingRecoveryOf(institution).recoveryId);
        delete _recoveries[institution];
    }

    /// @inheritdoc IOperatorCredentials
    function completeRecovery(bytes32 institution) external returns (uint64 credentialId) {
        Recovery memory r = _pendingRecoveryOf(institution);
        if (block.timestamp < r.effectiveAt) revert OperatorCredentialsRecoveryNotDue(institution, r.effectiveAt);
        delete _recoveries[institution];
        uint64[] storage active = _active[institution];
        // Bounded by MAX_ACTIVE_CREDENTIALS; each _remove pops the last entry.
        while (active.length > 0) _remove(active[active.length - 1]);
        delete _enrolmentCodes[institution];
        credentialId = _enrol(institution, r.operatorId, r.key);
        emit RecoveryCompleted(institution, r.recoveryId, credentialId);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IOperatorCredentials
    function credential(uint64 credentialId) external view returns (Credential memory) {
        return _credentials[credentialId];
    }

    /// @inheritdoc IOperatorCredentials
    function credentialCount() external view returns (uint64) {
        return _credentialCount;
    }

    /// @inheritdoc IOperatorCredentials
    function activeCredentials(bytes32 institution) external view returns (uint64[] memory) {
        return _active[institution];
    }

    /// @inheritdoc IOperatorCredentials
    function activeOperatorCount(bytes32 institution) external view returns (uint256) {
        return _activeOperators[institution];
    }

    /// @inheritdoc IOperatorCredentials
    function institutionOfOperator(bytes32 operatorId) external view returns (bytes32) {
        return _institutionOfOperator[operatorId];
    }

    /// @inheritdoc IOperatorCredentials
    function credentialOfKey(bytes32 keyHash) external view returns (uint64) {
        return _credentialOfKey[keyHash];
    }

    /// @inheritdoc IOperatorCredentials
    function enrolmentCode(bytes32 institution) external view returns (address) {
        return _enrolmentCodes[institution];
    }

    /// @inheritdoc IOperatorCredentials
    function pendingRecovery(bytes32 institution) external view returns (Recovery memory) {
        return _recoveries[institution];
    }

    /// @inheritdoc IOperatorCredentials
    function isStepUsed(bytes32 digest) external view returns (bool) {
        return _usedSteps[digest];
    }

    /// @inheritdoc IOperatorCredentials
    function hashStep(OperatorStep calldata step) external view returns (bytes32) {
        return _hashStepFor(address(this), step);
    }

    // ------------------------------------------------------------------ for the inheriting contract

    /// @dev Verify a credential's signature over a step of this contract and consume the step.
    /// The credential must be active and, unless `institution` is zero, of that institution.
    /// Kinds from Enrol on are reserved to this module's own functions.
    /// @return credentialId the signing credential (the step is attributed to it, not to msg.sender).
    /// @return signerInstitution its institution.
    function _verifyStep(
        OperatorStep memory step,
        OperatorSignature calldata signature,
        bytes32 institution
    ) internal returns (uint64 credentialId, bytes32 signerInstitution) {
        return _verifyStepFor(address(this), step, signature, institution);
    }

    /// @dev `_verifyStep` for a step performed by `verifyingContract` (another contract that
    /// consults this one), hashed under that contract's domain with this one's name and version.
    function _verifyStepFor(
        address verifyingContract,
        OperatorStep memory step,
        OperatorSignature calldata signature,
        bytes32 institution
    ) internal returns (uint64 credentialId, bytes32 signerInstitution) {
        if (step.kind >= StepKind.Enrol) revert OperatorCredentialsReservedStep(step.kind);
        Credential storage c = _verifySigner(_consumeDigest(_hashStepFor(verifyingContract, step), step.notAfter), step, institution, signature);
        return (signature.credentialId, c.institution);
    }

    /// @dev The EIP-712 digest of a step performed by `verifyingContract` on this chain.
    function _hashStepFor(address verifyingContract, OperatorStep memory step) internal view returns (bytes32) {
        bytes32 structHash = OperatorSignatures.hashStruct(step);
        if (verifyingContract == address(this)) return _hashTypedDataV4(structHash);
        bytes32 domain = keccak256(
            abi.encode(
                _DOMAIN_TYPEHASH,
                _hashedDomainName,
                _hashedDomainVersion,
                block.chainid,
                verifyingContract
            )
        );
        return MessageHashUtils.toTypedDataHash(domain, structHash);
    }

    /// @dev Whether `account` is governance (the contract decides where governance lives).
    function _isGovernance(address account) internal view virtual returns (bool);

    // ------------------------------------------------------------------ internals

    function _setUpInstitution(bytes32 institution, InitialOperator memory initial) private {
        bool byKey = initial.key.kind != CredentialKind.None;
        if (byKey == (initial.enrolmentCode != address(0))) revert OperatorCredentialsInvalidInitialOperator(institution);
        if (byKey) {
            _enrol(institution, initial.operatorId, initial.key);
        } else {
            _enrolmentCodes[institution] = initial.enrolmentCode;
            emit EnrolmentCodeSet(institution, initial.enrolmentCode);
        }
    }

    /// @dev Check the step's deadline and mark its digest used (every signature over it is
    ///      verified later in the same call, which reverts as a whole if one fails).
    function _consume(OperatorStep memory step) private returns (bytes32 digest) {
        return _consumeDigest(_hashTypedDataV4(OperatorSignatures.hashStruct(step)), step.notAfter);
    }

    function _consumeDigest(bytes32 digest, uint64 notAfter) private returns (bytes32) {
        if (block.timestamp > notAfter) revert OperatorCredentialsStepExpired(notAfter);
        if (_usedSteps[digest]) revert OperatorCredentialsStepAlreadyUsed(digest);
        _usedSteps[digest] = true;
        return digest;
    }

    /// @dev Verify one signature over `digest` by an active credential (of `institution` unless zero).
    function _verifySigner(
        bytes32 digest,
        OperatorStep memory step,
        bytes32 institution,
        OperatorSignature calldata signature
    ) private returns (Credential storage c) {
        uint64 id = signature.credentialId;
        c = _credentials[id];
        if (c.status != CredentialStatus.Active) revert OperatorCredentialsCredentialNotActive(id, c.status);
        if (institution != bytes32(0) && c.institution != institution) {
            revert OperatorCredentialsWrongInstitution(id, c.institution, institution);
        }
        OperatorSignatures.verify(digest, c.kind, c.qx, c.qy, c.signer, signature.signature);
        emit OperatorStepVerified(digest, id, step.kind, step.subject, step.actionHash);
    }

    /// @dev Verify every signature of a quorum (at most two, checked by the callers) by credentials
    ///      of distinct operators of `institution`; returns their operator IDs.
    function _verifySigners(
        bytes32 digest,
        OperatorStep memory step,
        bytes32 institution,
        OperatorSignature[] calldata signatures
    ) private returns (bytes32[] memory operators) {
        operators = new bytes32[](signatures.length);
        for (uint256 i; i < signatures.length; ++i) {
            bytes32 operatorId = _verifySigner(digest, step, institution, signatures[i]).operatorId;
            for (uint256 j; j < i; ++j) {
                if (operators[j] == operatorId) revert OperatorCredentialsDuplicateOperator(operatorId);
            }
            operators[i] = operatorId;
        }
    }

    function _enrol(bytes32 institution, bytes32 operatorId, CredentialKey memory key) private returns (uint64 id) {
        bytes32 keyHash = _checkEnrolment(institution, operatorId, key);
        uint64[] storage active = _active[institution];
        if (active.length >= MAX_ACTIVE_CREDENTIALS) revert OperatorCredentialsTooManyCredentials(institution, MAX_ACTIVE_CREDENTIALS);
        id = ++_credentialCount;
        _credentials[id] = Credential({
            institution: institution,
            operatorId: operatorId,
            qx: key.qx,
            qy: key.qy,
            signer: key.signer,
            kind: key.kind,
            status: CredentialStatus.Active,
            enrolledAt: uint40(block.timestamp),
            removedAt: 0
        });
        _credentialOfKey[keyHash] = id;
        _institutionOfOperator[operatorId] = institution;
        active.push(id);
        _activePosition[id] = active.length;
        if (_activeCredentialsOfOperator[operatorId]++ == 0) ++_activeOperators[institution];
        emit CredentialEnrolled(id, institution, operatorId, key);
    }

    function _remove(uint64 id) private {
        Credential storage c = _credentials[id];
        bytes32 institution = c.institution;
        c.status = CredentialStatus.Removed;
        c.removedAt = uint40(block.timestamp);
        uint64[] storage active = _active[institution];
        uint256 index = _activePosition[id] - 1;
        uint64 last = active[active.length - 1];
        active[index] = last;
        _activePosition[last] = index + 1;
        active.pop();
        delete _activePosition[id];
        if (--_activeCredentialsOfOperator[c.operatorId] == 0) --_activeOperators[institution];
        emit CredentialRemoved(id, institution);
    }

    /// @dev Refuse an enrolment that could never be made; returns the key's hash.
    function _checkEnrolment(bytes32 institution, bytes32 operatorId, CredentialKey memory key) private view returns (bytes32 keyHash) {
        if (operatorId == bytes32(0)) revert OperatorCredentialsZeroOperatorId();
        _checkKey(key);
        keyHash = OperatorSignatures.keyHash(key);
        uint64 existing = _credentialOfKey[keyHash];
        if (existing != 0) revert OperatorCredentialsKeyAlreadyRegistered(keyHash, existing);
        bytes32 owner = _institutionOfOperator[operatorId];
        if (owner != bytes32(0) && owner != institution) revert OperatorCredentialsOperatorOfOtherInstitution(operatorId, owner);
    }

    function _checkKey(CredentialKey memory key) private pure {
        bool valid;
        if (key.kind == CredentialKind.WebAuthnP256) {
            valid = key.signer == address(0) && P256.isValidPublicKey(key.qx, key.qy);
        } else if (key.kind == CredentialKind.Secp256k1) {
            valid = key.signer != address(0) && key.qx == bytes32(0) && key.qy == bytes32(0);
        }
        if (!valid) revert OperatorCredentialsInvalidKey(key.kind);
    }

    function _checkInstitution(bytes32 institution) private pure {
        if (institution != CredenceRoles.BANK && institution != CredenceRoles.CREDIT_CENTER) {
            revert OperatorCredentialsNotAnInstitution(institution);
        }
    }

    function _checkNoRecovery(bytes32 institution) private view {
        Recovery storage r = _recoveries[institution];
        if (r.recoveryId != 0) revert OperatorCredentialsRecoveryPending(institution, r.effectiveAt);
    }

    function _pendingRecoveryOf(bytes32 institution) private view returns (Recovery storage r) {
        r = _recoveries[institution];
        if (r.recoveryId == 0) revert OperatorCredentialsNoRecovery(institution);
    }

    function _keyOf(Credential storage c) private view returns (CredentialKey memory) {
        return CredentialKey({kind: c.kind, qx: c.qx, qy: c.qy, signer: c.signer});
    }
}
