// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICredenceOperators} from "./ICredenceOperators.sol";

/// @title Dual control: an action proposed by an operator of one institution runs only when an
/// operator of the other institution approves it; a single-institution action runs when an
/// operator of its institution acts.
/// @notice Every step (propose, approve, reject, withdraw, act) is an operator step signed by a
/// credential registered in `operators()` (docs/adr/0001-operators-sign-their-own-decisions.md)
/// and may be relayed by anyone: the contract attributes it to the credential, never to
/// msg.sender. The signed `OperatorStep` is, under this contract's EIP-712 domain:
///
/// | step     | kind     | subject     | actionHash            | signed by                               |
/// |----------|----------|-------------|-----------------------|-----------------------------------------|
/// | propose  | Propose  | 0           | keccak256(action)     | a credential of BANK or CREDIT_CENTER   |
/// | approve  | Approve  | proposal ID | the proposal's action | a credential of the other institution   |
/// | reject   | Reject   | proposal ID | the proposal's action | a credential of the other institution   |
/// | withdraw | Withdraw | proposal ID | the proposal's action | a credential of the proposer's institution |
/// | act      | Act      | 0           | keccak256(action)     | a credential of the function's institution |
///
/// Each step's digest works once, whoever relays it.
interface IDualControl {
    enum ProposalState {
        None,
        Pending,
        Executed,
        Rejected,
        Withdrawn
    }

    /// @notice A proposal: the hash of its action, the credential that proposed it and that
    /// credential's institution, the last timestamp it may be approved at, and its state.
    struct Proposal {
        bytes32 actionHash;
        uint64 proposerCredential;
        bytes32 institution;
        uint64 deadline;
        ProposalState state;
    }

    /// @notice A credential's signature over one step, with the step's signer-chosen fields:
    /// `salt` (any 32 bytes, so the same decision can be signed again as a new step) and
    /// `notAfter` (the last timestamp the step may be performed at). `signature` is encoded as
    /// for `IOperatorCredentials.OperatorSignature`: 65 bytes r ‖ s ‖ v for a secp256k1
    /// credential, the ABI-encoded WebAuthnAuth fields for a passkey.
    struct StepSignature {
        uint64 credentialId;
        bytes32 salt;
        uint64 notAfter;
        bytes signature;
    }

    /// @dev The action's function is not one that dual control may run.
    error DualControlActionNotAllowed(bytes4 selector);
    /// @dev No pending proposal with this ID.
    error DualControlProposalNotPending(uint256 proposalId);
    /// @dev The proposal's deadline passed before it was approved.
    error DualControlProposalExpired(uint256 proposalId, uint64 deadline);
    /// @dev The credential that signed an approval or a rejection is of the proposer's own
    /// institution, not the other one.
    error DualControlApproverNotCounterpart(uint256 proposalId, uint64 credentialId);
    /// @dev The credential that signed a withdrawal is not of the proposer's institution.
    error DualControlNotProposerInstitution(uint256 proposalId, uint64 credentialId);
    /// @dev The proposer's credential was removed since it proposed: the proposal cannot run,
    /// since no active credential asked for it.
    error DualControlProposerCredentialRemoved(uint256 proposalId, uint64 credentialId);
    /// @dev The action passed on approval is not the one proposed.
    error DualControlActionMismatch(uint256 proposalId);
    /// @dev The approved action reverted; `reason` is its revert data.
    error DualControlActionFailed(uint256 proposalId, bytes reason);
    /// @dev A function reserved to dual control or to an act was called directly.
    error DualControlOnlySelf(address caller);
    /// @dev The action's function is not one that a single institution may run through `act`.
    error DualControlActionNotActable(bytes4 selector);
    /// @dev The acted function reverted; `reason` is its revert data.
    error DualControlActFailed(bytes4 selector, bytes reason);

    /// @notice `proposerCredential`, of `institution`, proposed `action`; it may be approved until `deadline`.
    event ProposalCreated(
        uint256 indexed proposalId,
        uint64 indexed proposerCredential,
        bytes32 indexed institution,
        bytes action,
        uint64 deadline
    );
    /// @notice `approverCredential`, of the other institution, approved the proposal and its action ran.
    event ProposalExecuted(uint256 indexed proposalId, uint64 indexed approverCredential);
    /// @notice `credential`, of the other institution, rejected the proposal.
    event ProposalRejected(uint256 indexed proposalId, uint64 indexed credential);
    /// @notice `credential`, of the proposer's institution, withdrew the proposal.
    event ProposalWithdrawn(uint256 indexed proposalId, uint64 indexed credential);
    /// @notice `credentialId`, of `institution`, ran `action` (a single-institution function) alone.
    event ActionPerformed(uint64 indexed credentialId, bytes32 indexed institution, bytes action);

    /// @notice Propose an action (an ABI-encoded call of a dual-controlled function of this contract).
    /// @dev Signed by an active credential of BANK or CREDIT_CENTER (a `Propose` step, subject 0,
    /// actionHash keccak256(action)); the credential and its institution are recorded. The
    /// proposal lapses after `PROPOSAL_LIFETIME`. Anyone may relay.
    /// @return proposalId the new proposal's ID.
    function propose(bytes calldata action, StepSignature calldata step) external returns (uint256 proposalId);

    /// @notice Approve a pending proposal and run its action in the same transaction.
    /// @dev Signed by an active credential of the institution opposite to the proposer's (an
    /// `Approve` step on the proposal); the proposer's credential must still be Active. `action`
    /// must be the exact bytes proposed. Named so as not to be taken for ERC-20's `approve`.
    /// Anyone may relay.
    function approveProposal(uint256 proposalId, bytes calldata action, StepSignature calldata step) external;

    /// @notice Reject a pending proposal (it never runs).
    /// @dev Signed by an active credential of the institution opposite to the proposer's (a
    /// `Reject` step on the proposal). Anyone may relay; an expired proposal may be rejected.
    function reject(uint256 proposalId, StepSignature calldata step) external;

    /// @notice Withdraw a pending proposal (it never runs).
    /// @dev Signed by an active credential of the proposer's institution (a `Withdraw` step on
    /// the proposal). Anyone may relay; an expired proposal may be withdrawn.
    function withdraw(uint256 proposalId, StepSignature calldata step) external;

    /// @notice Run a single-institution action (an ABI-encoded call of one of this contract's
    /// functions that one institution performs alone) at once.
    /// @dev Signed by an active credential of the institution the function belongs to (an `Act`
    /// step, subject 0, actionHash keccak256(action)); a credential of the other institution is
    /// refused with `OperatorCredentialsWrongInstitution`, a function not actable with
    /// `DualControlActionNotActable`, a failing action with `DualControlActFailed`. Emits
    /// `ActionPerformed`, attributing the action to the credential. Anyone may relay.
    /// @return result the function's return data (ABI-encoded).
    function act(bytes calldata action, StepSignature calldata step) external returns (bytes memory result);

    /// @notice The credentials contract that verifies this contract's steps.
    function operators() external view returns (ICredenceOperators);

    /// @notice A proposal by ID.
    function proposal(uint256 proposalId) external view returns (Proposal memory);

    /// @notice Number of proposals ever created (IDs are 1..proposalCount).
    function proposalCount() external view returns (uint256);
}
