// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDualControl} from "./IDualControl.sol";
import {ICredenceOperators} from "./ICredenceOperators.sol";
import {IOperatorCredentials} from "./IOperatorCredentials.sol";

/// @title Dual control between the bank and the credit center, by their operators' signed steps.
/// @notice An action is an ABI-encoded call of one of this contract's dual-controlled functions.
/// A credential of one institution proposes it; a credential of the other institution approves
/// it before the deadline, and approval runs it. Every step is verified by `operators` under
/// this contract's EIP-712 domain and attributed to its credential, whoever relays it.
/// @dev Invariants: a proposal runs at most once; it runs only with the exact bytes proposed;
/// the proposer's and the approver's credentials are of different institutions, and both are
/// Active when it runs; each signed step is performed at most once.
abstract contract DualControl is IDualControl {
    /// @notice How long a proposal waits for its approval.
    uint64 public constant PROPOSAL_LIFETIME = 7 days;

    /// @inheritdoc IDualControl
    ICredenceOperators public immutable operators;

    mapping(uint256 proposalId => Proposal) private _proposals;
    uint256 private _proposalCount;

    /// @dev Functions run by dual control are called by this contract itself.
    modifier onlyDualControl() {
        if (msg.sender != address(this)) revert DualControlOnlySelf(msg.sender);
        _;
    }

    /// @param operators_ the deployment's credentials contract.
    constructor(ICredenceOperators operators_) {
        operators = operators_;
    }

    /// @inheritdoc IDualControl
    function propose(bytes calldata action, StepSignature calldata step) external returns (uint256 proposalId) {
        if (action.length < 4 || !_isDualControlled(bytes4(action[:4]))) {
            revert DualControlActionNotAllowed(action.length < 4 ? bytes4(0) : bytes4(action[:4]));
        }
        _checkProposal(action);
        bytes32 actionHash = keccak256(action);
        // Every credential is of BANK or CREDIT_CENTER, so "either" needs no further check.
        (uint64 credentialId, bytes32 institution) = _verify(IOperatorCredentials.StepKind.Propose, 0, actionHash, step);
        proposalId = ++_proposalCount;
        uint64 deadline = uint64(block.timestamp) + PROPOSAL_LIFETIME;
        _proposals[proposalId] = Proposal({
            actionHash: actionHash,
            proposerCredential: credentialId,
            institution: institution,
            deadline: deadline,
            state: ProposalState.Pending
        });
        emit ProposalCreated(proposalId, credentialId, institution, action, deadline);
    }

    /// @inheritdoc IDualControl
    function approveProposal(uint256 proposalId, bytes calldata action, StepSignature calldata step) external {
        Proposal storage p = _pending(proposalId);
        if (block.timestamp > p.deadline) revert DualControlProposalExpired(proposalId, p.deadline);
        if (keccak256(action) != p.actionHash) revert DualControlActionMismatch(proposalId);
        uint64 approver = _verifyCounterpart(IOperatorCredentials.StepKind.Approve, proposalId, p, step);
        if (operators.credential(p.proposerCredential).status != IOperatorCredentials.CredentialStatus.Active) {
            revert DualControlProposerCredentialRemoved(proposalId, p.proposerCredential);
        }
        p.state = ProposalState.Executed;
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory reason) = address(this).call(action);
        if (!ok) revert DualControlActionFailed(proposalId, reason);
        emit ProposalExecuted(proposalId, approver);
    }

    /// @inheritdoc IDualControl
    function reject(uint256 proposalId, StepSignature calldata step) external {
        Proposal storage p = _pending(proposalId);
        uint64 credentialId = _verifyCounterpart(IOperatorCredentials.StepKind.Reject, proposalId, p, step);
        p.state = ProposalState.Rejected;
        emit ProposalRejected(proposalId, credentialId);
    }

    /// @inheritdoc IDualControl
    function withdraw(uint256 proposalId, StepSignature calldata step) external {
        Proposal storage p = _pending(proposalId);
        (uint64 credentialId, bytes32 institution) = _verify(IOperatorCredentials.StepKind.Withdraw, proposalId, p.actionHash, step);
        if (institution != p.institution) revert DualControlNotProposerInstitution(proposalId, credentialId);
        p.state = ProposalState.Withdrawn;
        emit ProposalWithdrawn(proposalId, credentialId);
    }

    /// @inheritdoc IDualControl
    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        return _proposals[proposalId];
    }

    /// @inheritdoc IDualControl
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @dev Whether a function (by selector) may be run through dual control.
    function _isDualControlled(bytes4 selector) internal view virtual returns (bool);

    /// @dev Hook: refuse a proposal early when its action could not run (the action re-checks
    ///      everything when it runs). The default accepts every allowed action.
    function _checkProposal(bytes calldata action) internal view virtual {}

    function _pending(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.state != ProposalState.Pending) revert DualControlProposalNotPending(proposalId);
    }

    /// @dev Verify a step on a proposal signed by a credential of the other institution.
    function _verifyCounterpart(
        IOperatorCredentials.StepKind kind,
        uint256 proposalId,
        Proposal storage p,
        StepSignature calldata step
    ) private returns (uint64 credentialId) {
        bytes32 institution;
        (credentialId, institution) = _verify(kind, proposalId, p.actionHash, step);
        if (institution == p.institution) revert DualControlApproverNotCounterpart(proposalId, credentialId);
    }

    /// @dev Have `operators` verify and consume the step under this contract's domain, signed by
    ///      an active credential of either institution (the callers check which one).
    function _verify(
        IOperatorCredentials.StepKind kind,
        uint256 subject,
        bytes32 actionHash,
        StepSignature calldata step
    ) private returns (uint64 credentialId, bytes32 signerInstitution) {
        return
            operators.verifyStep(
                IOperatorCredentials.OperatorStep({
                    kind: kind,
                    subject: subject,
                    actionHash: actionHash,
                    salt: step.salt,
                    notAfter: step.notAfter
                }),
                IOperatorCredentials.OperatorSignature({credentialId: step.credentialId, signature: step.signature}),
                bytes32(0)
            );
    }
}
