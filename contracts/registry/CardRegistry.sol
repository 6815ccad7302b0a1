// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ICardRegistry} from "./ICardRegistry.sol";
import {DualControl} from "../access/DualControl.sol";
import {IPointsLedger} from "../ledger/IPointsLedger.sol";
import {CredenceRoles} from "../access/CredenceRoles.sol";

/// @title Card issuance, status and replacement.
/// @dev Invariants: a card ID is issued once; a card's account never changes; a replacement
/// card shares its predecessor's account and the predecessor is closed; `cardOfAccount` names
/// the latest card of each account 1..accountCount; once `ledger` is set (before the first card),
/// every card's status changes in `_setStatus` alone, which records the card in the ledger.
abstract contract CardRegistry is ICardRegistry, AccessControl, DualControl {
    mapping(bytes32 cardId => Card) private _cards;
    mapping(bytes32 cardId => bytes32) private _identityCommitments;
    mapping(bytes32 cardId => bytes32) private _replacements;
    mapping(uint64 account => bytes32 cardId) private _cardOfAccount;
    uint64 private _accountCount;
    address private _ledger;

    /// @inheritdoc ICardRegistry
    function setLedger(address ledger_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_ledger != address(0) || _accountCount != 0 || ledger_ == address(0)) {
            revert CardLedgerNotSettable(_ledger, _accountCount);
        }
        _ledger = ledger_;
        _afterLedgerSet();
        emit CardLedgerSet(ledger_);
    }

    /// @inheritdoc ICardRegistry
    function ledger() external view returns (address) {
        return _ledger;
    }

    /// @inheritdoc ICardRegistry
    function issueCard(
        bytes32 cardId,
        CardKind kind,
        address key,
        bytes32 identityCommitment
    ) external onlySelf {
        uint64 account = ++_accountCount;
        _createCard(cardId, kind, key, account, identityCommitment);
        emit CardIssued(cardId, account, kind, key, identityCommitment);
    }

    /// @inheritdoc ICardRegistry
    function replaceCard(bytes32 oldCardId, bytes32 newCardId, address newKey) external onlySelf {
        Card storage old = _existing(oldCardId);
        if (_replacements[oldCardId] != bytes32(0)) revert CardStatusForbids(oldCardId, old.status);
        _setStatus(oldCardId, old, CardStatus.Closed);
        _replacements[oldCardId] = newCardId;
        _createCard(newCardId, old.kind, newKey, old.account, _identityCommitments[oldCardId]);
        emit CardReplaced(oldCardId, newCardId, old.account, newKey);
        _afterCardReplaced(oldCardId, newCardId);
    }

    /// @inheritdoc ICardRegistry
    function freezeCard(bytes32 cardId) external onlySelf {
        _transition(cardId, CardStatus.Active, CardStatus.Frozen);
        emit CardFrozen(cardId, _actorCredentialId());
        _afterCardStatusChanged(cardId, CardStatus.Frozen);
    }

    /// @inheritdoc ICardRegistry
    function reportCardLost(bytes32 cardId) external onlyRole(CredenceRoles.CARD_FREEZER) {
        Card storage c = _existing(cardId);
        if (c.kind != CardKind.Consumer) revert CardLostReportNotConsumer(cardId, c.kind);
        _transition(cardId, CardStatus.Active, CardStatus.Frozen);
        emit CardReportedLost(cardId, c.account, msg.sender);
        _afterCardStatusChanged(cardId, CardStatus.Frozen);
    }

    /// @inheritdoc ICardRegistry
    function unfreezeCard(bytes32 cardId) external onlySelf {
        _transition(cardId, CardStatus.Frozen, CardStatus.Active);
        emit CardUnfrozen(cardId, _actorCredentialId());
        _afterCardStatusChanged(cardId, CardStatus.Active);
    }

    /// @inheritdoc ICardRegistry
    function closeCard(bytes32 cardId) external onlySelf {
        Card storage c = _existing(cardId);
        if (c.status == CardStatus.Closed) revert CardStatusForbids(cardId, c.status);
        _setStatus(cardId, c, CardStatus.Closed);
        emit CardClosed(cardId, _actorCredentialId());
        _afterCardStatusChanged(cardId, CardStatus.Closed);
    }

    /// @inheritdoc ICardRegistry
    function recordIdentityErasure(bytes32 cardId) external onlySelf {
        _existing(cardId);
        emit IdentityErasureApproved(cardId);
    }

    /// @inheritdoc ICardRegistry
    function card(bytes32 cardId) external view returns (Card memory) {
        return _cards[cardId];
    }

    /// @inheritdoc ICardRegistry
    function cardWords(bytes32[] calldata cardIds) external view returns (uint256[] memory) {
        // Answers in place, ABI-encoded past the free memory pointer: a batch reads one card per
        // settlement, and this loop is most of what that read costs beyond the card's storage slot.
        assembly ("memory-safe") {
            let n := cardIds.length
            let answer := mload(0x40)
            mstore(answer, 0x20)
            mstore(add(answer, 0x20), n)
            let words := add(answer, 0x40)
            for {
                let i := 0
            } lt(i, n) {
                i := add(i, 1)
            } {
                mstore(0x00, calldataload(add(cardIds.offset, shl(5, i))))
                mstore(0x20, _cards.slot)
                mstore(add(words, shl(5, i)), sload(keccak256(0x00, 0x40)))
            }
            return(answer, add(0x40, shl(5, n)))
        }
    }

    /// @inheritdoc ICardRegistry
    function identityCommitmentOf(bytes32 cardId) external view returns (bytes32) {
        return _identityCommitments[cardId];
    }

    /// @inheritdoc ICardRegistry
    function replacementOf(bytes32 cardId) external view returns (bytes32) {
        return _replacements[cardId];
    }

    /// @inheritdoc ICardRegistry
    function accountCount() external view returns (uint64) {
        return _accountCount;
    }

    /// @inheritdoc ICardRegistry
    function cardOfAccount(uint64 account) external view returns (bytes32) {
        return _cardOfAccount[account];
    }

    /// @inheritdoc ICardRegistry
    function locked(uint256 tokenId) external view returns (bool) {
        _existing(bytes32(tokenId));
        return true;
    }

    function _actorCredentialId() private view returns (uint64 credentialId) {
        (credentialId, ) = _actor();
    }

    function _cardRecord(bytes32 cardId) internal view returns (Card storage) {
        return _cards[cardId];
    }

    /// @dev The ledger named (`setLedger`), or zero.
    function _namedLedger() internal view returns (address) {
        return _ledger;
    }

    /// @dev What else the ledger is told when it is named (the credit-point rule in force).
    function _afterLedgerSet() internal virtual;

    /// @dev What else follows a card to its replacement (the merchant bound to it).
    function _afterCardReplaced(bytes32 oldCardId, bytes32 newCardId) internal virtual;

    /// @dev What else follows a card's freezing, unfreezing or closing (the standing of the
    ///      merchant bound to it). A replacement is `_afterCardReplaced`'s.
    function _afterCardStatusChanged(bytes32 cardId, CardStatus status) internal virtual;

    function _existing(bytes32 cardId) internal view returns (Card storage c) {
        c = _cards[cardId];
        if (c.status == CardStatus.None) revert CardUnknown(cardId);
    }

    function _createCard(
        bytes32 cardId,
        CardKind kind,
        address key,
        uint64 account,
        bytes32 identityCommitment
    ) private {
        if (cardId == bytes32(0)) revert CardInvalidId();
        if (key == address(0)) revert CardInvalidKey();
        if (_cards[cardId].status != CardStatus.None) revert CardAlreadyExists(cardId);
        Card storage c = _cards[cardId];
        (c.key, c.kind, c.account) = (key, kind, account);
        _setStatus(cardId, c, CardStatus.Active);
        _identityCommitments[cardId] = identityCommitment;
        _cardOfAccount[account] = cardId;
        emit Locked(uint256(cardId));
    }

    function _transition(bytes32 cardId, CardStatus from, CardStatus to) private {
        Card storage c = _existing(cardId);
        if (c.status != from) revert CardStatusForbids(cardId, c.status);
        _setStatus(cardId, c, to);
    }

    /// @dev The one place a card's status is written (issuance, freezing, unfreezing, closing,
    ///      replacement): the card is recorded in the ledger in the same transaction, so the
    ///      ledger's copy, which settlements and redemptions read, never lags the registry.
    function _setStatus(bytes32 cardId, Card storage c, CardStatus to) internal {
        c.status = to;
        address ledger_ = _ledger;
        if (ledger_ != address(0)) IPointsLedger(ledger_).recordCard(cardId, c);
    }
}
