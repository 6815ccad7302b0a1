// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Dual control: an action proposed by one role runs only when the other role approves it.
interface IDualControl {
    enum ProposalState {
        None,
        Pending,
        Executed,
        Cancelled
    }

    struct Proposal {
        bytes32 actionHash;
        address proposer;
        bytes32 proposerRole;
        uint64 deadline;
        ProposalState state;
    }

    /// @dev The caller holds neither controlling role.
    error DualControlUnauthorized(address account);
    /// @dev The action's function is not one that dual control may run.
    error DualControlActionNotAllowed(bytes4 selector);
    /// @dev No pending proposal with this ID.
    error DualControlProposalNotPending(uint256 proposalId);
    /// @dev The proposal's deadline passed before it was approved.
    error DualControlProposalExpired(uint256 proposalId, uint64 deadline);
    /// @dev The approver is the proposer, or does not hold the role opposite to the proposer's.
    error DualControlApproverNotCounterpart(uint256 proposalId, address approver);
    /// @dev The proposer no longer holds the role it proposed with (revoked since): the proposal
    /// cannot run, since nobody who still holds that role asked for it.
    error DualControlProposerLostRole(uint256 proposalId, address proposer);
    /// @dev The action passed on approval is not the one proposed.
    error DualControlActionMismatch(uint256 proposalId);
    /// @dev The approved action reverted; `reason` is its revert data.
    error DualControlActionFailed(uint256 proposalId, bytes reason);
    /// @dev A function reserved to dual control was called directly.
    error DualControlOnlySelf(address caller);

    event ProposalCreated(
        uint256 indexed proposalId,
        address indexed proposer,
        bytes32 indexed proposerRole,
        bytes action,
        uint64 deadline
    );
    event ProposalExecuted(uint256 indexed proposalId, address indexed approver);
    event ProposalCancelled(uint256 indexed proposalId, address indexed by);

    /// @notice Propose an action (an ABI-encoded call of a dual-controlled function of this contract).
    /// @dev The caller must hold one of the two controlling roles; its role is recorded. The
    ///      proposal lapses after `PROPOSAL_LIFETIME`.
    /// @return proposalId the new proposal's ID.
    function propose(bytes calldata action) external returns (uint256 proposalId);

    /// @notice Approve a pending proposal and run its action in the same transaction.
    /// @dev The caller must hold the role opposite to the proposer's and must not be the proposer;
    ///      the proposer must still hold the role it proposed with. `action` must be the exact
    ///      bytes proposed.
    function approve(uint256 proposalId, bytes calldata action) external;

    /// @notice Cancel (withdraw or reject) a pending proposal.
    /// @dev Either controlling role may cancel: the proposer withdraws, the other side rejects.
    function cancel(uint256 proposalId) external;

    /// @notice A proposal by ID.
    function proposal(uint256 proposalId) external view returns (Proposal memory);

    /// @notice Number of proposals ever created (IDs are 1..proposalCount).
    function proposalCount() external view returns (uint256);
}
