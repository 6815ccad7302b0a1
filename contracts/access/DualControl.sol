// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDualControl} from "./IDualControl.sol";
import {CredenceRoles} from "./CredenceRoles.sol";

/// @title Dual control between the bank and the credit center.
/// @notice An action is an ABI-encoded call of one of this contract's dual-controlled functions.
/// One role proposes it; a holder of the other role, who is not the proposer, approves it before
/// the deadline, and approval runs it. Nobody acts alone: an address holding both roles still
/// cannot approve its own proposal.
/// @dev Invariants: a proposal runs at most once; it runs only with the exact bytes proposed;
/// the proposer and the approver are different addresses holding opposite roles when it runs.
abstract contract DualControl is IDualControl {
    /// @notice How long a proposal waits for its approval.
    uint64 public constant PROPOSAL_LIFETIME = 7 days;

    mapping(uint256 proposalId => Proposal) private _proposals;
    uint256 private _proposalCount;

    /// @dev Functions run by dual control are called by this contract itself.
    modifier onlyDualControl() {
        if (msg.sender != address(this)) revert DualControlOnlySelf(msg.sender);
        _;
    }

    /// @inheritdoc IDualControl
    function propose(bytes calldata action) external returns (uint256 proposalId) {
        bytes32 role = _controllingRoleOf(msg.sender);
        if (action.length < 4 || !_isDualControlled(bytes4(action[:4]))) {
            revert DualControlActionNotAllowed(action.length < 4 ? bytes4(0) : bytes4(action[:4]));
        }
        _checkProposal(action);
        proposalId = ++_proposalCount;
        uint64 deadline = uint64(block.timestamp) + PROPOSAL_LIFETIME;
        _proposals[proposalId] = Proposal({
            actionHash: keccak256(action),
            proposer: msg.sender,
            proposerRole: role,
            deadline: deadline,
            state: ProposalState.Pending
        });
        emit ProposalCreated(proposalId, msg.sender, role, action, deadline);
    }

    /// @inheritdoc IDualControl
    function approve(uint256 proposalId, bytes calldata action) external {
        Proposal storage p = _pending(proposalId);
        if (block.timestamp > p.deadline) revert DualControlProposalExpired(proposalId, p.deadline);
        bytes32 counterpart = p.proposerRole == CredenceRoles.BANK ? CredenceRoles.CREDIT_CENTER : CredenceRoles.BANK;
        if (msg.sender == p.proposer || !_holdsRole(counterpart, msg.sender)) {
            revert DualControlApproverNotCounterpart(proposalId, msg.sender);
        }
        if (!_holdsRole(p.proposerRole, p.proposer)) revert DualControlProposerLostRole(proposalId, p.proposer);
        if (keccak256(action) != p.actionHash) revert DualControlActionMismatch(proposalId);
        p.state = ProposalState.Executed;
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory reason) = address(this).call(action);
        if (!ok) revert DualControlActionFailed(proposalId, reason);
        emit ProposalExecuted(proposalId, msg.sender);
    }

    /// @inheritdoc IDualControl
    function cancel(uint256 proposalId) external {
        _controllingRoleOf(msg.sender);
        _pending(proposalId).state = ProposalState.Cancelled;
        emit ProposalCancelled(proposalId, msg.sender);
    }

    /// @inheritdoc IDualControl
    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        return _proposals[proposalId];
    }

    /// @inheritdoc IDualControl
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @dev Whether `account` holds `role` (the contract decides where roles live).
    function _holdsRole(bytes32 role, address account) internal view virtual returns (bool);

    /// @dev Whether a function (by selector) may be run through dual control.
    function _isDualControlled(bytes4 selector) internal view virtual returns (bool);

    /// @dev Hook: refuse a proposal early when its action could not run (the action re-checks
    ///      everything when it runs). The default accepts every allowed action.
    function _checkProposal(bytes calldata action) internal view virtual {}

    function _pending(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.state != ProposalState.Pending) revert DualControlProposalNotPending(proposalId);
    }

    /// @dev The bank role wins when an address holds both: its approver must then be a
    ///      different credit-center holder.
    function _controllingRoleOf(address account) private view returns (bytes32) {
        if (_holdsRole(CredenceRoles.BANK, account)) return CredenceRoles.BANK;
        if (_holdsRole(CredenceRoles.CREDIT_CENTER, account)) return CredenceRoles.CREDIT_CENTER;
        revert DualControlUnauthorized(account);
    }
}
