// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {OperatorCredentials} from "../access/OperatorCredentials.sol";

/// @title TEST ONLY: the operator-credentials module with a signed no-op step, so that tests
/// exercise step verification end to end before any contract performs real steps with it.
/// @notice Governance is a fixed address given at deployment.
contract OperatorCredentialsHarness is OperatorCredentials {
    address public immutable governance;

    constructor(
        address governance_,
        InitialOperator memory bank,
        InitialOperator memory creditCenter
    ) EIP712("Credence", "1") OperatorCredentials(bank, creditCenter) {
        governance = governance_;
    }

    /// @notice Verify and consume a signed step that does nothing else.
    /// @param institution the institution the signer must belong to (zero: either).
    /// @return credentialId the signing credential.
    /// @return signerInstitution its institution.
    function performStep(
        OperatorStep calldata step,
        bytes32 institution,
        OperatorSignature calldata signature
    ) external returns (uint64 credentialId, bytes32 signerInstitution) {
        return _verifyStep(step, signature, institution);
    }

    function _isGovernance(address account) internal view override returns (bool) {
        return account == governance;
    }
}
