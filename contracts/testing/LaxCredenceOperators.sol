// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IOperatorCredentials} from "../access/IOperatorCredentials.sol";
import {OperatorSignatures} from "../access/OperatorSignatures.sol";
import {CredenceRoles} from "../access/CredenceRoles.sol";

/// @title TEST ONLY: a credentials contract whose step checks can be switched off one by one,
/// for auditor tests.
/// @notice It keeps credentials, enrols and removes them and verifies consuming contracts' steps
/// as CredenceOperators does (same functions, events and digests), but each fault, once set,
/// makes it accept what CredenceOperators refuses: a bad signature, a signer of the wrong
/// institution (it then reports the institution the caller needs), a removed credential, a
/// digest consumed before, a step past its notAfter, an enrolment or removal without its quorum;
/// or it verifies a step without saying so (no OperatorStepVerified event), or completes a
/// recovery before its delay. Its recovery is reduced to that: anyone proposes, no veto, and
/// completing it enrols the key without removing the institution's other credentials.
/// The auditor, which re-verifies every step from the calldata, must name each. Without faults
/// an audit of it is clean. No enrolment codes, no governance.
contract LaxCredenceOperators is EIP712 {
    enum Fault {
        SkipSignature,
        MisreportInstitution,
        AcceptRemovedCredential,
        AcceptReplay,
        AcceptExpired,
        SkipQuorum,
        HideStep,
        AcceptEarlyRecovery
    }

    /// @dev A check this contract keeps while its fault is off failed.
    error LaxCredenceOperatorsRefused(Fault check);

    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    mapping(Fault fault => bool) public faults;
    mapping(uint64 credentialId => IOperatorCredentials.Credential) private _credentials;
    uint64 public credentialCount;
    mapping(bytes32 keyHash => uint64) public credentialOfKey;
    mapping(bytes32 institution => uint256) public activeOperatorCount;
    mapping(bytes32 operatorId => uint256) private _activeCredentialsOfOperator;
    mapping(bytes32 digest => bool) public isStepUsed;
    mapping(bytes32 institution => IOperatorCredentials.Recovery) private _recoveries;
    uint64 private _recoveryCount;

    /// @param bank the bank's first credential (a key, no enrolment code).
    /// @param creditCenter the credit center's first credential.
    constructor(
        IOperatorCredentials.InitialOperator memory bank,
        IOperatorCredentials.InitialOperator memory creditCenter
    ) EIP712("Credence", "1") {
        _enrol(CredenceRoles.BANK, bank.operatorId, bank.key);
        _enrol(CredenceRoles.CREDIT_CENTER, creditCenter.operatorId, creditCenter.key);
    }

    /// @notice Switch one fault on or off (test only: anyone may).
    function setFault(Fault fault, bool on) external {
        faults[fault] = on;
    }

    /// @notice CredenceOperators.verifyStep, with the faults set.
    function verifyStep(
        IOperatorCredentials.OperatorStep calldata step,
        IOperatorCredentials.OperatorSignature calldata signature,
        bytes32 institution
    ) external returns (uint64 credentialId, bytes32 signerInstitution) {
        bytes32 digest = hashStepFor(msg.sender, step);
        _consume(digest, step.notAfter);
        signerInstitution = _verifySigner(digest, step, institution, signature).institution;
        if (faults[Fault.MisreportInstitution]) {
            // The lie a caller's own institution check then believes: the other institution.
            signerInstitution = signerInstitution == CredenceRoles.BANK ? CredenceRoles.CREDIT_CENTER : CredenceRoles.BANK;
        }
        return (signature.credentialId, signerInstitution);
    }

    /// @notice CredenceOperators.enrol (two operators of the institution, or its only one), with the faults set.
    function enrol(
        bytes32 institution,
        bytes32 operatorId,
        IOperatorCredentials.CredentialKey calldata key,
        bytes32 salt,
        uint64 notAfter,
        IOperatorCredentials.OperatorSignature[] calldata signatures
    ) external returns (uint64) {
        IOperatorCredentials.OperatorStep memory step = IOperatorCredentials.OperatorStep({
            kind: IOperatorCredentials.StepKind.Enrol,
            subject: 0,
            actionHash: OperatorSignatures.enrolmentHash(institution, operatorId, key),
            salt: salt,
            notAfter: notAfter
        });
        bytes32 digest = hashStepFor(address(this), step);
        _consume(digest, notAfter);
        uint256 required = activeOperatorCount[institution] >= 2 ? 2 : 1;
        if (signatures.length != required && !faults[Fault.SkipQuorum]) revert LaxCredenceOperatorsRefused(Fault.SkipQuorum);
        for (uint256 i; i < signatures.length; ++i) _verifySigner(digest, step, institution, signatures[i]);
        return _enrol(institution, operatorId, key);
    }

    /// @notice CredenceOperators.remove, signed by the removed credential's own operator alone
    /// (the only rule these tests use), with the faults set.
    function remove(
        uint64 credentialId,
        bytes32 salt,
        uint64 notAfter,
        IOperatorCredentials.OperatorSignature[] calldata signatures
    ) external {
        IOperatorCredentials.Credential storage target = _credentials[credentialId];
        IOperatorCredentials.OperatorStep memory step = IOperatorCredentials.OperatorStep({
            kind: IOperatorCredentials.StepKind.Remove,
            subject: credentialId,
            actionHash: OperatorSignatures.keyHash(
                IOperatorCredentials.CredentialKey({kind: target.kind, qx: target.qx, qy: target.qy, signer: target.signer})
            ),
            salt: salt,
            notAfter: notAfter
        });
        bytes32 digest = hashStepFor(address(this), step);
        _consume(digest, notAfter);
        bool byOwnOperator = signatures.length == 1 &&
            _verifySigner(digest, step, target.institution, signatures[0]).operatorId == target.operatorId;
        if (!byOwnOperator && !faults[Fault.SkipQuorum]) revert LaxCredenceOperatorsRefused(Fault.SkipQuorum);
        target.status = IOperatorCredentials.CredentialStatus.Removed;
        if (--_activeCredentialsOfOperator[target.operatorId] == 0) --activeOperatorCount[target.institution];
        emit IOperatorCredentials.CredentialRemoved(credentialId, target.institution);
    }

    /// @notice Propose a new credential for an institution, due RECOVERY_DELAY later (test only: anyone may).
    function proposeRecovery(
        bytes32 institution,
        bytes32 operatorId,
        IOperatorCredentials.CredentialKey calldata key
    ) external returns (uint64 recoveryId) {
        recoveryId = ++_recoveryCount;
        uint64 effectiveAt = uint64(block.timestamp) + 7 days;
        _recoveries[institution] = IOperatorCredentials.Recovery({recoveryId: recoveryId, effectiveAt: effectiveAt, operatorId: operatorId, key: key});
        emit IOperatorCredentials.RecoveryProposed(institution, recoveryId, operatorId, key, effectiveAt);
    }

    /// @notice Enrol the recovered credential once due (or at once with AcceptEarlyRecovery).
    function completeRecovery(bytes32 institution) external returns (uint64 credentialId) {
        IOperatorCredentials.Recovery memory r = _recoveries[institution];
        if (block.timestamp < r.effectiveAt && !faults[Fault.AcceptEarlyRecovery]) revert LaxCredenceOperatorsRefused(Fault.AcceptEarlyRecovery);
        delete _recoveries[institution];
        credentialId = _enrol(institution, r.operatorId, r.key);
        emit IOperatorCredentials.RecoveryCompleted(institution, r.recoveryId, credentialId);
    }

    /// @notice A credential by ID.
    function credential(uint64 credentialId) external view returns (IOperatorCredentials.Credential memory) {
        return _credentials[credentialId];
    }

    /// @notice The digest a credential signs for `step` performed by `verifyingContract`.
    function hashStepFor(address verifyingContract, IOperatorCredentials.OperatorStep memory step) public view returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(_DOMAIN_TYPEHASH, keccak256("Credence"), keccak256("1"), block.chainid, verifyingContract)
        );
        return MessageHashUtils.toTypedDataHash(domain, OperatorSignatures.hashStruct(step));
    }

    function _consume(bytes32 digest, uint64 notAfter) private {
        if (block.timestamp > notAfter && !faults[Fault.AcceptExpired]) revert LaxCredenceOperatorsRefused(Fault.AcceptExpired);
        if (isStepUsed[digest] && !faults[Fault.AcceptReplay]) revert LaxCredenceOperatorsRefused(Fault.AcceptReplay);
        isStepUsed[digest] = true;
    }

    function _verifySigner(
        bytes32 digest,
        IOperatorCredentials.OperatorStep memory step,
        bytes32 institution,
        IOperatorCredentials.OperatorSignature calldata signature
    ) private returns (IOperatorCredentials.Credential storage c) {
        c = _credentials[signature.credentialId];
        if (c.status != IOperatorCredentials.CredentialStatus.Active && !faults[Fault.AcceptRemovedCredential]) {
            revert LaxCredenceOperatorsRefused(Fault.AcceptRemovedCredential);
        }
        if (institution != bytes32(0) && c.institution != institution && !faults[Fault.MisreportInstitution]) {
            revert LaxCredenceOperatorsRefused(Fault.MisreportInstitution);
        }
        if (!faults[Fault.SkipSignature]) OperatorSignatures.verify(digest, c.kind, c.qx, c.qy, c.signer, signature.signature);
        if (!faults[Fault.HideStep]) {
            emit IOperatorCredentials.OperatorStepVerified(digest, signature.credentialId, step.kind, step.subject, step.actionHash);
        }
    }

    function _enrol(bytes32 institution, bytes32 operatorId, IOperatorCredentials.CredentialKey memory key) private returns (uint64 id) {
        id = ++credentialCount;
        _credentials[id] = IOperatorCredentials.Credential({
            institution: institution,
            operatorId: operatorId,
            qx: key.qx,
            qy: key.qy,
            signer: key.signer,
            kind: key.kind,
            status: IOperatorCredentials.CredentialStatus.Active,
            enrolledAt: uint40(block.timestamp),
            removedAt: 0
        });
        credentialOfKey[OperatorSignatures.keyHash(key)] = id;
        if (_activeCredentialsOfOperator[operatorId]++ == 0) ++activeOperatorCount[institution];
        emit IOperatorCredentials.CredentialEnrolled(id, institution, operatorId, key);
    }
}
