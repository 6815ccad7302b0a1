// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ICredenceOperators} from "./ICredenceOperators.sol";
import {OperatorCredentials} from "./OperatorCredentials.sol";

/// @title The operators of the bank and the credit center, for the whole deployment.
/// @notice Credentials are enrolled and removed here (by quorum of their own institution, by a
/// one-time enrolment code, or by governance's delayed and vetoable recovery) and consulted by
/// the registry, the ledger and CreditGrants through `verifyStep`. Governance is this contract's
/// default admin (a handover waits `defaultAdminDelay`); it can propose and cancel recoveries,
/// nothing else: it holds no credential and signs no step.
/// @dev Invariants: those of OperatorCredentials; in addition, a step verified for a consuming
/// contract is hashed under that contract's domain, so the used-digest set, shared by every
/// consumer, never confuses two contracts' steps.
contract CredenceOperators is ICredenceOperators, OperatorCredentials, AccessControlDefaultAdminRules {
    /// @param adminTransferDelay seconds a governance handover must wait.
    /// @param governance the initial default admin (recovery only).
    /// @param bank the bank's first operator: a credential, or an enrolment code's key.
    /// @param creditCenter the credit center's first operator, likewise.
    constructor(
        uint48 adminTransferDelay,
        address governance,
        InitialOperator memory bank,
        InitialOperator memory creditCenter
    )
        EIP712("Credence", "1")
        OperatorCredentials(bank, creditCenter)
        AccessControlDefaultAdminRules(adminTransferDelay, governance)
    {}

    /// @inheritdoc ICredenceOperators
    function verifyStep(
        OperatorStep calldata step,
        OperatorSignature calldata signature,
        bytes32 institution
    ) external returns (uint64 credentialId, bytes32 signerInstitution) {
        return _verifyStepFor(msg.sender, step, signature, institution);
    }

    /// @inheritdoc ICredenceOperators
    function hashStepFor(address verifyingContract, OperatorStep calldata step) external view returns (bytes32) {
        return _hashStepFor(verifyingContract, step);
    }

    function _isGovernance(address account) internal view override returns (bool) {
        return account == defaultAdmin();
    }
}
