// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOperatorCredentials} from "./IOperatorCredentials.sol";

/// @title The deployment's one registry of operator credentials, consulted by every contract
/// that performs operator steps (docs/adr/0001-operators-sign-their-own-decisions.md).
/// @notice An operator is enrolled and removed here once for the registry, the ledger and
/// CreditGrants. A consuming contract hands a signed step to `verifyStep`, which checks it under
/// the consuming contract's own EIP-712 domain: a step signed for one contract is worthless at
/// another, and a contract can only consume steps signed for itself.
interface ICredenceOperators is IOperatorCredentials {
    /// @notice Verify a credential's signature over a step performed by the calling contract,
    /// and consume the step's digest.
    /// @dev The digest is the EIP-712 hash of `step` under the domain (name "Credence", version
    /// "1", this chain, verifyingContract = msg.sender). The credential must be Active and,
    /// unless `institution` is zero, of that institution. Kinds from Enrol on are refused
    /// (`OperatorCredentialsReservedStep`); an expired, used or badly signed step is refused
    /// with the module's errors. Emits `OperatorStepVerified`.
    /// @return credentialId the signing credential (the step is attributed to it).
    /// @return signerInstitution its institution.
    function verifyStep(
        OperatorStep calldata step,
        OperatorSignature calldata signature,
        bytes32 institution
    ) external returns (uint64 credentialId, bytes32 signerInstitution);

    /// @notice The digest a credential signs for `step` performed by `verifyingContract`.
    function hashStepFor(address verifyingContract, OperatorStep calldata step) external view returns (bytes32);
}
