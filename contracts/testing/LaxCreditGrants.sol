// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDualControl} from "../access/IDualControl.sol";

/// @title TEST ONLY: a credit-grant contract with broken dual control, for auditor tests.
/// @notice It emits the standard dual-control events, but checks no signature: the caller names
/// the credential a step is attributed to, so the proposer's credential may approve its own
/// proposal (a grant with a single approval), and `grantWithoutProposal`
/// emits a grant that no proposal ever covered. The auditor, given this contract as a
/// dual-control subject, must name both. A proposal approved by a different counterpart is clean.
contract LaxCreditGrants {
    error LaxCreditGrantsOnlySelf();
    error LaxCreditGrantsActionFailed();

    event CreditLimitGranted(bytes32 indexed cardId, uint256 limit);

    uint256 public proposalCount;
    mapping(uint256 proposalId => bytes action) private _actions;

    function propose(bytes calldata action, uint64 credentialId, bytes32 institution) external returns (uint256 proposalId) {
        proposalId = ++proposalCount;
        _actions[proposalId] = action;
        emit IDualControl.ProposalCreated(proposalId, credentialId, institution, action, uint64(block.timestamp + 7 days));
    }

    /// @dev The bug under test: no check of who approves.
    function approveProposal(uint256 proposalId, uint64 credentialId) external {
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, ) = address(this).call(_actions[proposalId]);
        if (!ok) revert LaxCreditGrantsActionFailed();
        emit IDualControl.ProposalExecuted(proposalId, credentialId);
    }

    function grantCreditLimit(bytes32 cardId, uint256 limit) external {
        if (msg.sender != address(this)) revert LaxCreditGrantsOnlySelf();
        emit CreditLimitGranted(cardId, limit);
    }

    function grantWithoutProposal(bytes32 cardId, uint256 limit) external {
        emit CreditLimitGranted(cardId, limit);
    }
}
