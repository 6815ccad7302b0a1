// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Cards: the accounts of the jointly issued card.
/// @notice A card ID (bytes32) names a card. Each card belongs to a points account (a number that
/// survives replacement), has a card key whose signature confirms the holder's presence, a salted
/// commitment to the holder's identity (the personal data itself stays off chain) and a status.
interface ICardRegistry {
    enum CardStatus {
        None,
        Active,
        Frozen,
        Closed
    }

    enum CardKind {
        Consumer,
        Merchant
    }

    /// @dev Packed in one storage slot: the ledger reads it on every settlement.
    struct Card {
        address key;
        CardStatus status;
        CardKind kind;
        uint64 account;
    }

    error CardInvalidId();
    error CardInvalidKey();
    error CardAlreadyExists(bytes32 cardId);
    error CardUnknown(bytes32 cardId);
    error CardStatusForbids(bytes32 cardId, CardStatus status);
    /// @notice The ledger is set once, before the first card: `ledger` is already set, or
    /// `accountCount` cards' accounts exist that it would have no copy of.
    error CardLedgerNotSettable(address ledger, uint64 accountCount);
    /// @notice Only a consumer card can be reported lost by its holder; a merchant card's status
    /// is the bank's alone.
    error CardLostReportNotConsumer(bytes32 cardId, CardKind kind);

    /// @notice ERC-5192: the card (token ID = uint256(cardId)) can never be transferred.
    event Locked(uint256 tokenId);
    event CardIssued(
        bytes32 indexed cardId,
        uint64 indexed account,
        CardKind kind,
        address key,
        bytes32 identityCommitment
    );
    /// @notice A bank operator's credential (`credentialId`, see ActionPerformed) froze, unfroze
    /// or closed the card.
    event CardFrozen(bytes32 indexed cardId, uint64 indexed credentialId);
    event CardUnfrozen(bytes32 indexed cardId, uint64 indexed credentialId);
    event CardClosed(bytes32 indexed cardId, uint64 indexed credentialId);
    /// @notice The holder reported the consumer card lost and it was frozen at once, relayed by
    /// `reporter` (a CARD_FREEZER key of the gateway). Only the bank unfreezes it (`unfreezeCard`).
    event CardReportedLost(bytes32 indexed cardId, uint64 indexed account, address reporter);
    /// @notice Both institutions approved erasing the holder's off-chain identity record: whoever
    /// keeps it (the gateway) erases it on seeing this event. The commitment on chain stays.
    event IdentityErasureApproved(bytes32 indexed cardId);
    /// @notice The new card takes over the old card's account: its balance and history.
    event CardReplaced(bytes32 indexed oldCardId, bytes32 indexed newCardId, uint64 indexed account, address newKey);

    /// @notice Governance named the ledger that keeps a copy of every card.
    event CardLedgerSet(address ledger);

    /// @notice Name the ledger (governance, once, before the first card is issued). From then on
    /// every issuance, replacement and change of a card's status records the card in the ledger
    /// (`IPointsLedger.recordCard`) in the same transaction, so the ledger reads cards from its
    /// own storage when it settles.
    function setLedger(address ledger_) external;

    /// @notice The ledger that keeps a copy of every card (zero until set).
    function ledger() external view returns (address);

    /// @notice Issue a card (dual control: propose with `propose`, the other role approves).
    /// @param cardId the new card's ID; must be unused and non-zero.
    /// @param kind consumer or merchant card.
    /// @param key the card key (chip or app) whose signature confirms the holder.
    /// @param identityCommitment keccak256 of the off-chain identity record and a secret salt.
    function issueCard(bytes32 cardId, CardKind kind, address key, bytes32 identityCommitment) external;

    /// @notice Replace a lost or damaged card (dual control). The old card closes; the new card
    /// keeps the account, so its points, history and identity commitment carry over. A merchant
    /// bound to the old card is bound to the new one (MerchantCardReplaced).
    function replaceCard(bytes32 oldCardId, bytes32 newCardId, address newKey) external;

    /// @notice Freeze an active card (a bank operator's `act`). Settlements and redemptions on
    /// it are rejected.
    function freezeCard(bytes32 cardId) external;

    /// @notice Freeze an active consumer card that its holder reported lost (CARD_FREEZER only).
    /// It can only take rights away: it moves Active to Frozen and nothing else; unfreezing stays
    /// with the bank's operators.
    /// @dev Reverts with `AccessControlUnauthorizedAccount` for a caller without CARD_FREEZER,
    /// `CardUnknown`, `CardLostReportNotConsumer` for a merchant card and `CardStatusForbids` for
    /// a card that is not active (already frozen, or closed). Emits CardReportedLost.
    /// @param cardId the consumer card to freeze.
    function reportCardLost(bytes32 cardId) external;

    /// @notice Unfreeze a frozen card (a bank operator's `act`).
    function unfreezeCard(bytes32 cardId) external;

    /// @notice Close a card for good (a bank operator's `act`). Its account can still be carried
    /// over by replacement.
    function closeCard(bytes32 cardId) external;

    /// @notice Record that both institutions approved erasing the holder's off-chain identity
    /// record (dual control: one institution proposes, the other approves). Emits
    /// IdentityErasureApproved; the card and its commitment are unchanged.
    function recordIdentityErasure(bytes32 cardId) external;

    /// @notice A card by ID (status None when unknown).
    function card(bytes32 cardId) external view returns (Card memory);

    /// @notice Several cards at once, each as the one storage word of its `Card` record: key in
    /// bits 0..159, status in 160..167, kind in 168..175, account in 176..239 (zero for an unknown
    /// card). The ledger reads the cards of a whole batch in this one call.
    function cardWords(bytes32[] calldata cardIds) external view returns (uint256[] memory words);

    /// @notice The salted identity commitment recorded at issuance.
    function identityCommitmentOf(bytes32 cardId) external view returns (bytes32);

    /// @notice The card that replaced `cardId`, or zero.
    function replacementOf(bytes32 cardId) external view returns (bytes32);

    /// @notice Number of points accounts ever opened (accounts are numbered 1..accountCount).
    function accountCount() external view returns (uint64);

    /// @notice The current card of a points account (the latest replacement), or zero.
    /// @dev Lets the credit center enumerate every account on chain, in pages.
    function cardOfAccount(uint64 account) external view returns (bytes32);

    /// @notice ERC-5192: always true for an issued card; reverts for an unknown one.
    function locked(uint256 tokenId) external view returns (bool);
}
