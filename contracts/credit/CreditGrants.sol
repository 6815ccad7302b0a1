// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICreditGrants} from "./ICreditGrants.sol";
import {ICreditScores} from "./ICreditScores.sol";
import {ICardRegistry} from "../registry/ICardRegistry.sol";
import {DualControl} from "../access/DualControl.sol";
import {IDualControl} from "../access/IDualControl.sol";
import {IOperatorCredentials} from "../access/IOperatorCredentials.sol";
import {CredenceRoles} from "../access/CredenceRoles.sol";

/// @title The credit-limit policy and the credit-grant registry, under bank / credit-center
/// dual control.
/// @notice Grants belong to a card's points account, so a replacement card keeps its credit.
/// @dev Invariants (asserted by test/credit/grants.spec.ts):
/// - a grant's limit changes only through dual control (an approval of the other institution),
///   never by one institution or one address alone;
/// - a grant or an increase never exceeds the card's eligible limit at the moment it runs;
/// - the only single-institution state change is `freezeCredit` (an `act` of either
///   institution), which can only lower what is available, and which lapses after FREEZE_LAPSE
///   unless a credential of the other institution confirms it; an institution whose freeze
///   lapsed unconfirmed cannot freeze the grant again until it has lapsed for FREEZE_LAPSE more;
/// - the policy has at most MAX_TIERS tiers per kind, limits strictly increasing.
contract CreditGrants is ICreditGrants, DualControl {
    /// @notice Most tiers a card kind's policy may have (bounds every eligibility loop).
    uint256 public constant MAX_TIERS = 8;
    /// @notice Longest time a grant may run before it must be renewed.
    uint64 public constant MAX_TERM = 3 * 365 days;
    /// @notice How long an emergency freeze by one institution holds unless the other institution
    /// confirms it. Three days let the other institution review and confirm over a weekend or a
    /// public holiday, while bounding what one rogue operator can do alone: a holder's credit is
    /// withheld for at most three days, and then the same institution must wait three more
    /// before freezing the grant again (so it is available at least half of the time).
    uint64 public constant FREEZE_LAPSE = 3 days;

    /// @notice Where cards live; its credentials contract verifies this contract's steps.
    address public immutable registry;
    /// @notice Where scores come from.
    ICreditScores public immutable scores;

    mapping(ICardRegistry.CardKind kind => Tier[]) private _tiers;
    mapping(uint64 account => Grant) private _grants;
    /// @dev The latest freeze of each account's grant (kept after it lapses, to bound renewals).
    mapping(uint64 account => CreditFreeze) private _freezes;
    uint32 private _policyVersion;

    /// @param registry_ the registry; its credentials contract verifies these dual-control steps.
    constructor(address registry_, ICreditScores scores_) DualControl(IDualControl(registry_).operators()) {
        registry = registry_;
        scores = scores_;
    }

    // ------------------------------------------------------------------ dual-controlled

    /// @inheritdoc ICreditGrants
    function setPolicy(ICardRegistry.CardKind kind, Tier[] calldata tiers) external onlySelf {
        _validatePolicy(tiers);
        Tier[] storage stored = _tiers[kind];
        while (stored.length > 0) stored.pop();
        for (uint256 i; i < tiers.length; ++i) stored.push(tiers[i]);
        uint32 version = ++_policyVersion;
        emit CreditPolicySet(version, kind, tiers);
    }

    /// @inheritdoc ICreditGrants
    function grantCredit(bytes32 cardId, uint128 limit, uint64 expiresAt) external onlySelf {
        ICreditScores.CardScore memory s = _checkGrant(cardId, limit, expiresAt);
        Grant storage g = _grants[s.account];
        if (_isFrozen(g, _freezes[s.account])) revert CreditGrantFrozen(cardId);
        uint128 previous = g.limit;
        g.expiresAt = expiresAt;
        g.policyVersion = _policyVersion;
        g.limit = limit;
        emit CreditGranted(cardId, s.account, limit, previous, expiresAt, _policyVersion, s.score);
    }

    /// @inheritdoc ICreditGrants
    function decreaseLimit(bytes32 cardId, uint128 limit) external onlySelf {
        (uint64 account, Grant storage g) = _existingGrant(cardId);
        uint128 previous = g.limit;
        if (limit == 0 || limit >= previous) revert CreditNotADecrease(cardId, previous, limit);
        g.limit = limit;
        emit CreditLimitDecreased(cardId, account, previous, limit);
    }

    /// @inheritdoc ICreditGrants
    function revokeCredit(bytes32 cardId) external onlySelf {
        (uint64 account, Grant storage g) = _existingGrant(cardId);
        uint128 previous = g.limit;
        delete _grants[account];
        delete _freezes[account];
        emit CreditRevoked(cardId, account, previous);
    }

    /// @inheritdoc ICreditGrants
    function unfreezeCredit(bytes32 cardId) external onlySelf {
        (uint64 account, Grant storage g) = _existingGrant(cardId);
        if (!_isFrozen(g, _freezes[account])) revert CreditGrantNotFrozen(cardId);
        g.frozen = false;
        delete _freezes[account];
        emit CreditUnfrozen(cardId, account);
    }

    // ------------------------------------------------------------------ emergency

    /// @inheritdoc ICreditGrants
    function freezeCredit(bytes32 cardId) external onlySelf {
        (uint64 credentialId, bytes32 institution) = _actor();
        (uint64 account, Grant storage g) = _existingGrant(cardId);
        CreditFreeze storage f = _freezes[account];
        if (_isFrozen(g, f)) revert CreditGrantFrozen(cardId);
        // A freeze still recorded but not in force lapsed unconfirmed: its institution waits.
        if (g.frozen && f.institution == institution) {
            uint64 renewableAt = f.lapsesAt + FREEZE_LAPSE;
            if (block.timestamp < renewableAt) revert CreditFreezeRenewalTooSoon(cardId, institution, renewableAt);
        }
        uint64 lapsesAt = uint64(block.timestamp) + FREEZE_LAPSE;
        g.frozen = true;
        _freezes[account] = CreditFreeze({
            credentialId: credentialId,
            lapsesAt: lapsesAt,
            confirmed: false,
            institution: institution
        });
        emit CreditFrozen(cardId, account, credentialId, institution, lapsesAt);
    }

    /// @inheritdoc ICreditGrants
    function confirmFreeze(bytes32 cardId, StepSignature calldata step) external {
        (uint64 account, Grant storage g) = _existingGrant(cardId);
        CreditFreeze storage f = _freezes[account];
        if (!_isFrozen(g, f)) revert CreditGrantNotFrozen(cardId);
        if (f.confirmed) revert CreditFreezeAlreadyConfirmed(cardId);
        bytes32 counterpart = f.institution == CredenceRoles.BANK ? CredenceRoles.CREDIT_CENTER : CredenceRoles.BANK;
        (uint64 credentialId, ) = _verify(
            IOperatorCredentials.StepKind.Confirm,
            account,
            _freezeHash(cardId, f),
            step,
            counterpart
        );
        f.confirmed = true;
        emit CreditFreezeConfirmed(cardId, account, credentialId);
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
        return _grantInForce(ICardRegistry(registry).card(cardId).account);
    }

    /// @inheritdoc ICreditGrants
    function freezeOf(bytes32 cardId) external view returns (CreditFreeze memory) {
        return _freezes[ICardRegistry(registry).card(cardId).account];
    }

    /// @inheritdoc ICreditGrants
    function freezeConfirmation(bytes32 cardId) external view returns (uint256 subject, bytes32 actionHash) {
        uint64 account = ICardRegistry(registry).card(cardId).account;
        return (account, _freezeHash(cardId, _freezes[account]));
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

    /// @dev Freezing is either institution's alone (an emergency).
    function _actingInstitution(bytes4 selector) internal pure override returns (bytes32) {
        return selector == ICreditGrants.freezeCredit.selector ? EITHER_INSTITUTION : bytes32(0);
    }

    /// @dev Whether a grant is frozen now: a freeze was placed and not lifted, and it is
    ///      confirmed or has not lapsed yet.
    function _isFrozen(Grant storage g, CreditFreeze storage f) private view returns (bool) {
        return g.frozen && (f.confirmed || block.timestamp < f.lapsesAt);
    }

    /// @dev An account's grant as the views show it: `frozen` only while the freeze holds.
    function _grantInForce(uint64 account) private view returns (Grant memory grant) {
        Grant storage g = _grants[account];
        grant = g;
        grant.frozen = _isFrozen(g, _freezes[account]);
    }

    /// @dev What a `Confirm` step binds: this card's freeze, by the credential that placed it and
    ///      when it lapses (a later freeze of the same grant is another one).
    function _freezeHash(bytes32 cardId, CreditFreeze storage f) private view returns (bytes32) {
        return keccak256(abi.encode(cardId, f.credentialId, f.lapsesAt));
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
        line.grant = _grantInForce(s.account);
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
