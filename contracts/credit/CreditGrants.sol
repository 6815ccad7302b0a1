// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ICreditGrants} from "./ICreditGrants.sol";
import {ICreditScores} from "./ICreditScores.sol";
import {ICardRegistry} from "../registry/ICardRegistry.sol";
import {DualControl} from "../access/DualControl.sol";
import {IDualControl} from "../access/IDualControl.sol";
import {CredenceRoles} from "../access/CredenceRoles.sol";

/// @title The credit-limit policy and the credit-grant registry, under bank / credit-center
/// dual control.
/// @notice Grants belong to a card's points account, so a replacement card keeps its credit.
/// @dev Invariants (asserted by test/credit/grants.spec.ts):
/// - a grant's limit changes only through dual control (an approval of the other role), never
///   by one role or one address alone;
/// - a grant or an increase never exceeds the card's eligible limit at the moment it runs;
/// - the only single-role state change is `freezeCredit`, which can only lower what is available;
/// - the policy has at most MAX_TIERS tiers per kind, limits strictly increasing.
contract CreditGrants is ICreditGrants, DualControl {
    /// @notice Most tiers a card kind's policy may have (bounds every eligibility loop).
    uint256 public constant MAX_TIERS = 8;
    /// @notice Longest time a grant may run before it must be renewed.
    uint64 public constant MAX_TERM = 3 * 365 days;

    /// @notice Where cards and roles live.
    address public immutable registry;
    /// @notice Where scores come from.
    ICreditScores public immutable scores;

    mapping(ICardRegistry.CardKind kind => Tier[]) private _tiers;
    mapping(uint64 account => Grant) private _grants;
    uint32 private _policyVersion;

    /// @param registry_ the registry; its credentials contract verifies these dual-control steps.
    constructor(address registry_, ICreditScores scores_) DualControl(IDualControl(registry_).operators()) {
        registry = registry_;
        scores = scores_;
    }

    // ------------------------------------------------------------------ dual-controlled

    /// @inheritdoc ICreditGrants
    function setPolicy(ICardRegistry.CardKind kind, Tier[] calldata tiers) external onlyDualControl {
        _validatePolicy(tiers);
        Tier[] storage stored = _tiers[kind];
        while (stored.length > 0) stored.pop();
        for (uint256 i; i < tiers.length; ++i) stored.push(tiers[i]);
        uint32 version = ++_policyVersion;
        emit CreditPolicySet(version, kind, tiers);
    }

    /// @inheritdoc ICreditGrants
    function grantCredit(bytes32 cardId, uint128 limit, uint64 expiresAt) external onlyDualControl {
        ICreditScores.CardScore memory s = _checkGrant(cardId, limit, expiresAt);
        Grant storage g = _grants[s.account];
        if (g.frozen) revert CreditGrantFrozen(cardId);
        uint128 previous = g.limit;
        g.expiresAt = expiresAt;
        g.policyVersion = _policyVersion;
        g.limit = limit;
        emit CreditGranted(cardId, s.account, limit, previous, expiresAt, _policyVersion, s.score);
    }

    /// @inheritdoc ICreditGrants
    function decreaseLimit(bytes32 cardId, uint128 limit) external onlyDualControl {
        (uint64 account, Grant storage g) = _existingGrant(cardId);
        uint128 previous = g.limit;
        if (limit == 0 || limit >= previous) revert CreditNotADecrease(cardId, previous, limit);
        g.limit = limit;
        emit CreditLimitDecreased(cardId, account, previous, limit);
    }

    /// @inheritdoc ICreditGrants
    function revokeCredit(bytes32 cardId) external onlyDualControl {
        (uint64 account, Grant storage g) = _existingGrant(cardId);
        uint128 previous = g.limit;
        delete _grants[account];
        emit CreditRevoked(cardId, account, previous);
    }

    /// @inheritdoc ICreditGrants
    function unfreezeCredit(bytes32 cardId) external onlyDualControl {
        (uint64 account, Grant storage g) = _existingGrant(cardId);
        if (!g.frozen) revert CreditGrantNotFrozen(cardId);
        g.frozen = false;
        emit CreditUnfrozen(cardId, account);
    }

    // ------------------------------------------------------------------ emergency

    /// @inheritdoc ICreditGrants
    function freezeCredit(bytes32 cardId) external {
        if (!_holdsRole(CredenceRoles.BANK, msg.sender) && !_holdsRole(CredenceRoles.CREDIT_CENTER, msg.sender)) {
            revert CreditUnauthorized(msg.sender);
        }
        (uint64 account, Grant storage g) = _existingGrant(cardId);
        if (g.frozen) revert CreditGrantFrozen(cardId);
        g.frozen = true;
        emit CreditFrozen(cardId, account, msg.sender);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ICreditGrants
    function policyVersion() external view returns (uint32) {
        return _policyVersion;
    }

    /// @inheritdoc ICreditGrants
    function policy(ICardRegistry.CardKind kind) external view returns (Tier[] memory) {
        return _tiers[kind];
    }

    /// @inheritdoc ICreditGrants
    function eligibleLimit(bytes32 cardId) external view returns (uint128) {
        return _eligible(scores.scoreOf(cardId));
    }

    /// @inheritdoc ICreditGrants
    function grantOf(bytes32 cardId) external view returns (Grant memory) {
        return _grants[ICardRegistry(registry).card(cardId).account];
    }

    /// @inheritdoc ICreditGrants
    function creditOf(bytes32 cardId) external view returns (CreditLine memory) {
        return _line(scores.scoreOf(cardId));
    }

    /// @inheritdoc ICreditGrants
    function creditPage(uint64 fromAccount, uint256 count) external view returns (CreditLine[] memory page, uint64 nextAccount) {
        ICreditScores.CardScore[] memory cards;
        (cards, nextAccount) = scores.scoresPage(fromAccount, count);
        page = new CreditLine[](cards.length);
        for (uint256 i; i < cards.length; ++i) page[i] = _line(cards[i]);
    }

    // ------------------------------------------------------------------ internals

    function _holdsRole(bytes32 role, address account) private view returns (bool) {
        return IAccessControl(registry).hasRole(role, account);
    }

    function _isDualControlled(bytes4 selector) internal pure override returns (bool) {
        return
            selector == ICreditGrants.setPolicy.selector ||
            selector == ICreditGrants.grantCredit.selector ||
            selector == ICreditGrants.decreaseLimit.selector ||
            selector == ICreditGrants.revokeCredit.selector ||
            selector == ICreditGrants.unfreezeCredit.selector;
    }

    /// @dev A grant above the eligible limit (or for an inactive card, or with a bad expiry) is
    ///      refused when proposed, not only when approved.
    function _checkProposal(bytes calldata action) internal view override {
        if (bytes4(action[:4]) != ICreditGrants.grantCredit.selector) return;
        (bytes32 cardId, uint128 limit, uint64 expiresAt) = abi.decode(action[4:], (bytes32, uint128, uint64));
        _checkGrant(cardId, limit, expiresAt);
    }

    function _checkGrant(bytes32 cardId, uint128 limit, uint64 expiresAt) private view returns (ICreditScores.CardScore memory s) {
        ICardRegistry.Card memory c = ICardRegistry(registry).card(cardId);
        if (c.status != ICardRegistry.CardStatus.Active) revert CreditCardNotActive(cardId, c.status);
        if (limit == 0) revert CreditLimitZero(cardId);
        uint64 earliest = uint64(block.timestamp) + 1;
        uint64 latest = uint64(block.timestamp) + MAX_TERM;
        if (expiresAt < earliest || expiresAt > latest) revert CreditExpiryInvalid(expiresAt, earliest, latest);
        s = scores.scoreOf(cardId);
        uint128 eligible = _eligible(s);
        if (limit > eligible) revert CreditLimitAboveEligible(cardId, limit, eligible);
    }

    function _existingGrant(bytes32 cardId) private view returns (uint64 account, Grant storage g) {
        account = ICardRegistry(registry).card(cardId).account;
        g = _grants[account];
        if (account == 0 || g.limit == 0) revert CreditNoGrant(cardId);
    }

    function _eligible(ICreditScores.CardScore memory s) private view returns (uint128 limit) {
        if (s.status != ICardRegistry.CardStatus.Active) return 0;
        Tier[] storage tiers = _tiers[s.kind];
        // Limits increase with the index: the last tier met is the highest.
        for (uint256 i = tiers.length; i > 0; --i) {
            Tier memory t = tiers[i - 1];
            if (s.score >= t.minScore && s.points >= t.minPoints) return t.limit;
        }
    }

    function _line(ICreditScores.CardScore memory s) private view returns (CreditLine memory line) {
        line.card = s;
        line.eligibleLimit = _eligible(s);
        line.grant = _grants[s.account];
        bool inForce = !line.grant.frozen &&
            line.grant.expiresAt > block.timestamp &&
            s.status == ICardRegistry.CardStatus.Active;
        line.availableLimit = inForce ? line.grant.limit : 0;
    }

    function _validatePolicy(Tier[] calldata tiers) private pure {
        if (tiers.length > MAX_TIERS) revert CreditPolicyInvalid(MAX_TIERS);
        for (uint256 i; i < tiers.length; ++i) {
            Tier calldata t = tiers[i];
            if (t.minScore > 1_000 || t.limit == 0) revert CreditPolicyInvalid(i);
            if (i > 0) {
                Tier calldata prev = tiers[i - 1];
                if (t.limit <= prev.limit || t.minScore < prev.minScore || t.minPoints < prev.minPoints) {
                    revert CreditPolicyInvalid(i);
                }
            }
        }
    }
}
