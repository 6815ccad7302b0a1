// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDualControl} from "./IDualControl.sol";
import {ICredenceOperators} from "./ICredenceOperators.sol";
import {IOperatorCredentials} from "./IOperatorCredentials.sol";

/// @title Dual control between the bank and the credit center, and single-institution acts, by
/// their operators' signed steps.
/// @notice An action is an ABI-encoded call of one of this contract's own functions. A
/// dual-controlled action is proposed by a credential of one institution and approved (and run)
/// by a credential of the other before the deadline. A single-institution action is run at once
/// by `act`, signed by a credential of the institution the function belongs to. Every step is
/// verified by `operators` under this contract's EIP-712 domain and attributed to its
/// credential, whoever relays it.
/// @dev Invariants: a proposal runs at most once; it runs only with the exact bytes proposed;
/// the proposer's and the approver's credentials are of different institutions, and both are
/// Active when it runs; an act runs only a function `_actingInstitution` names, signed by an
/// Active credential of that institution; each signed step is performed at most once; the
/// functions these run are callable by this contract alone (`onlySelf`).
abstract contract DualControl is IDualControl {
    /// @notice How long a proposal waits for its approval.
    uint64 public constant PROPOSAL_LIFETIME = 7 days;

    /// @inheritdoc IDualControl
    ICredenceOperators public immutable operators;

    /// @dev What `_actingInstitution` returns for a function either institution may act on alone.
    bytes32 internal constant EITHER_INSTITUTION = keccak256("credence.institution.either");

    mapping(uint256 proposalId => Proposal) private _proposals;
    uint256 private _proposalCount;

    /// @dev The credential and institution of the act being run, for the acted function to read
    ///      (`_actor`); zero outside an act. Transient: cleared at the end of the transaction.
    uint64 private transient _actorCredential;
    bytes32 private transient _actorInstitution;

    /// @dev Functions run by dual control or by an act are called by this contract itself.
    modifier onlySelf() {
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
        (uint64 credentialId, bytes32 institution) = _verify(IOperatorCredentials.StepKind.Propose, 0, actionHash, step, bytes32(0));
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
        (uint64 credentialId, bytes32 institution) = _verify(
            IOperatorCredentials.StepKind.Withdraw,
            proposalId,
            p.actionHash,
            step,
            bytes32(0)
        );
        if (institution != p.institution) revert DualControlNotProposerInstitution(proposalId, credentialId);
        p.state = ProposalState.Withdrawn;
        emit ProposalWithdrawn(proposalId, credentialId);
    }

    /// @inheritdoc IDualControl
    function act(bytes calldata action, StepSignature calldata step) external returns (bytes memory result) {
        bytes4 selector = action.length < 4 ? bytes4(0) : bytes4(action[:4]);
        bytes32 required = _actingInstitution(selector);
        if (required == bytes32(0)) revert DualControlActionNotActable(selector);
        (uint64 credentialId, bytes32 institution) = _verify(
            IOperatorCredentials.StepKind.Act,
            0,
            keccak256(action),
            step,
            required == EITHER_INSTITUTION ? bytes32(0) : required
        );
        _actorCredential = credentialId;
        _actorInstitution = institution;
        bool ok;
        // solhint-disable-next-line avoid-low-level-calls
        (ok, result) = address(this).call(action);
        if (!ok) revert DualControlActFailed(selector, result);
        _actorCredential = 0;
        _actorInstitution = bytes32(0);
        emit ActionPerformed(credentialId, institution, action);
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

    /// @dev The institution a single-institution function (by selector) belongs to, whose
    ///      credential may run it through `act`: BANK, CREDIT_CENTER, EITHER_INSTITUTION, or zero
    ///      when the function may not be acted on alone.
    function _actingInstitution(bytes4 selector) internal view virtual returns (bytes32);

    /// @dev The credential running the current act and its institution (zero outside an act).
    function _actor() internal view returns (uint64 credentialId, bytes32 institution) {
        return (_actorCredential, _actorInstitution);
    }

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
        (credentialId, institution) = _verify(kind, proposalId, p.actionHash, step, bytes32(0));
        if (institution == p.institution) revert DualControlApproverNotCounterpart(proposalId, credentialId);
    }

    /// @dev Have `operators` verify and consume the step under this contract's domain, signed by
    ///      an active credential of `institution` (zero: of either; the callers check which one).
    function _verify(
        IOperatorCredentials.StepKind kind,
        uint256 subject,
        bytes32 actionHash,
        StepSignature calldata step,
        bytes32 institution
    ) internal returns (uint64 credentialId, bytes32 signerInstitution) {
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
                institution
            );
    }
}
