// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICardRegistry} from "../registry/ICardRegistry.sol";
import {IMerchantRegistry} from "../registry/IMerchantRegistry.sol";

/// @title The points ledger: settlements, refunds, redemptions and corrections.
/// @notice Points cannot be transferred: there is no transfer, approve or allowance path. They
/// are earned by settlement, reversed by refund or bank correction, and spent by redemption.
interface IPointsLedger {
    /// @notice A payment at a terminal, signed (EIP-712) by the terminal key and by the card key.
    /// `amount` is in the currency's minor units; `time` is when the terminal took the payment.
    struct Settlement {
        bytes32 cardId;
        address terminal;
        uint64 nonce;
        bytes32 orderId;
        bytes32 slipHash;
        uint64 amount;
        bytes3 currency;
        uint8 category;
        uint40 time;
    }

    /// @notice Two EIP-2098 compact signatures (r, yParityAndS) over the same digest.
    struct Signatures {
        bytes32 terminalR;
        bytes32 terminalVS;
        bytes32 cardR;
        bytes32 cardVS;
    }

    struct SignedSettlement {
        Settlement settlement;
        Signatures signatures;
    }

    /// @notice What the ledger recorded for an accepted settlement; refunds prove against it.
    /// `terminal` and `nonce` are the settlement's: they make every settled order's leaf, and so
    /// its refund record, its own, even for two settlements of the same card, order and amount.
    struct SettledOrder {
        bytes32 cardId;
        uint32 merchantId;
        bytes32 orderId;
        address terminal;
        uint64 nonce;
        uint64 amount;
        uint64 points;
        uint64 creditPoints;
    }

    /// @notice A refund of (part of) a settled order, signed by a terminal of the same merchant.
    /// It names the settlement it refunds: its card, its order, and the terminal and nonce it was
    /// signed under (which no other settlement shares), so it applies to that settlement alone.
    struct Refund {
        bytes32 cardId;
        address terminal;
        uint64 nonce;
        bytes32 orderId;
        address settlementTerminal;
        uint64 settlementNonce;
        uint64 amount;
        uint40 time;
    }

    /// @notice Where a refunded order was recorded, proven against the ledger's batch chain (see
    /// `batchChain`): its batch, the chain value before that batch (`BatchRecorded.chainBefore`),
    /// the batch's leaves and the order's index among them, and the digests of the batches after
    /// it up to a batch whose chain value the ledger still holds (none when it is the batch itself).
    struct SettlementProof {
        uint64 batchId;
        bytes32 chainBefore;
        bytes32[] batchLeaves;
        uint256 index;
        bytes32[] laterDigests;
    }

    /// @notice Spending points at a terminal, signed by the terminal key and by the card key.
    struct Redemption {
        bytes32 cardId;
        address terminal;
        uint64 nonce;
        bytes32 orderId;
        uint64 points;
        uint40 time;
    }

    /// @notice Lifetime statistics of a points account (all cards that replaced one another).
    /// balance = earned - reversed - redeemed; it is negative when a reversal hit spent points.
    /// Activity times here and in Holding and MerchantStats are 32-bit seconds, good until 2106;
    /// signed times are 40-bit (docs/adr/0005-settlement-gas-floor-and-activity-times.md).
    struct AccountStats {
        uint56 earned;
        uint56 reversed;
        uint56 redeemed;
        uint24 merchantCount;
        uint32 firstActivity;
        uint32 lastActivity;
    }

    /// @notice Points one merchant issued to one account.
    struct Holding {
        uint64 earned;
        uint64 reversed;
        uint32 firstActivity;
        uint32 lastActivity;
    }

    /// @notice A merchant's totals: points granted and reversed, credit points, redemptions taken.
    struct MerchantStats {
        uint64 pointsGranted;
        uint64 pointsReversed;
        uint64 creditPoints;
        uint64 creditPointsReversed;
        uint64 pointsRedeemed;
        uint32 consumersServed;
        uint32 firstActivity;
        uint32 lastActivity;
    }

    /// @notice Why a settlement in a batch was not recorded. Stable codes: the gateway maps them.
    enum RejectionReason {
        None,
        TerminalUnknown,
        TerminalDisabled,
        MerchantInactive,
        NonceUsed,
        Expired,
        TimeInFuture,
        AmountOutOfBounds,
        AmountBelowMinimum,
        CurrencyMismatch,
        CategoryUnknown,
        AgreementNotInForce,
        TerminalSignatureInvalid,
        CardUnknown,
        CardNotActive,
        CardNotConsumer,
        CardSignatureInvalid,
        AccountLimitReached,
        EncodingInvalid,
        MerchantCardNotActive
    }

    enum ReversalReason {
        Refund,
        Correction
    }

    error LedgerUnauthorized(address account, bytes32 role);
    error LedgerBatchSize(uint256 size, uint256 max);
    error LedgerSettlementRejected(RejectionReason reason);
    error LedgerRefundRejected(RejectionReason reason);
    error LedgerRedemptionRejected(RejectionReason reason);
    error LedgerProofInvalid(uint64 batchId);
    /// @notice `sealChain` before any batch was recorded.
    error LedgerNothingToSeal();
    error LedgerOrderMismatch(bytes32 orderId);
    error LedgerRefundExceedsOrder(bytes32 orderId, uint64 refundedBefore, uint64 amount, uint64 orderAmount);
    error LedgerInsufficientPoints(bytes32 cardId, int256 balance, uint64 needed);
    error LedgerCorrectionInvalid();
    /// @notice A correction asked to void more than its order has left un-reversed.
    error LedgerCorrectionExceedsOrder(bytes32 orderId, uint64 pointsLeft, uint64 creditPointsLeft);
    /// @notice Only the registry records cards, terminals, merchants' terms, the credit rule and
    /// revoked gateways in the ledger.
    error LedgerNotRegistry(address caller);
    /// @notice As OpenZeppelin's Pausable: the ledger is paused / is not paused.
    error EnforcedPause();
    error ExpectedPause();
    /// @notice A correction must name whose points it voids: a consumer's card with its points and
    /// at most as many of the merchant's credit points, or the merchant's own card with credit
    /// points alone.
    error LedgerCorrectionUnattributed(bytes32 cardId, uint32 merchantId, uint64 points, uint64 creditPoints);

    /// @notice A settlement recorded: the points and credit points it earned. `terminal` and
    /// `nonce` name the signed settlement (no other shares them); its order, amount, slip hash,
    /// currency, category and time are in the transaction's calldata, and the agreement version
    /// and credit-point rule it was priced under are the registry's at that point of the chain
    /// (docs/adr/0012-points-earned-event.md).
    event PointsEarned(
        bytes32 indexed cardId,
        uint32 indexed merchantId,
        address terminal,
        uint64 nonce,
        uint64 points,
        uint64 creditPoints
    );
    event SettlementRejected(
        address indexed terminal,
        uint64 indexed nonce,
        bytes32 indexed orderId,
        RejectionReason reason
    );
    /// @notice A bank operator's credential (`credentialId`, see ActionPerformed) paused or
    /// resumed the ledger (named as OpenZeppelin's Pausable events).
    event Paused(uint64 indexed credentialId);
    event Unpaused(uint64 indexed credentialId);
    /// @notice The registry recorded a card's key, kind, account and status in the ledger (at
    /// issuance, replacement and every change of status), as its own events say.
    event CardRecorded(bytes32 indexed cardId, address key, ICardRegistry.CardStatus status);
    /// @notice A batch was recorded: `digest` is keccak256 of its leaves, in order, and
    /// `chainBefore` the batch chain's value before it; its value after is
    /// keccak256(chainBefore, digest) (see `batchChain`).
    event BatchRecorded(uint64 indexed batchId, bytes32 digest, bytes32 chainBefore, uint256 accepted, uint256 rejected);
    /// @notice The batch chain's value after batch `batchId` is kept for good (`sealChain`, each
    /// time it is called; every `CHAIN_RING`th batch is sealed as it is recorded, without this event).
    event ChainSealed(uint64 indexed batchId, bytes32 chain);
    /// @notice Points (and credit points) reversed. A refund names its terminal and nonce; a bank
    /// correction has none (zero address, nonce 0). A correction's `cardId` is the card whose
    /// points it voids, or the merchant's own card when it voids the merchant's credit points alone.
    event PointsReversed(
        bytes32 indexed cardId,
        uint32 indexed merchantId,
        bytes32 indexed orderId,
        address terminal,
        uint64 nonce,
        ReversalReason reason,
        uint16 reasonCode,
        uint64 points,
        uint64 creditPoints,
        uint64 refundAmount
    );
    event PointsRedeemed(
        bytes32 indexed cardId,
        uint32 indexed merchantId,
        bytes32 indexed orderId,
        address terminal,
        uint64 nonce,
        uint64 points
    );

    /// @notice Record a batch of signed settlements (gateway). A bad item is skipped with a
    /// `SettlementRejected` event; the others are recorded. Reverts only on a paused ledger, a
    /// caller without the gateway role, or an empty or oversized batch. An item whose words are
    /// not in canonical ABI encoding (bits set beyond a field's type) is rejected alone with
    /// `EncodingInvalid`, its terminal and nonce read from the low bits of their words.
    /// @return batchId the batch's number; `BatchRecorded` carries its digest.
    function settleBatch(SignedSettlement[] calldata items) external returns (uint64 batchId);

    /// @notice Record one signed settlement (gateway); reverts with the rejection reason.
    function settle(SignedSettlement calldata item) external returns (uint64 batchId);

    /// @notice Reverse the points of (part of) a settled order (gateway, terminal-signed), at a
    /// registered, enabled terminal of an active merchant whose card is active. `order` must be
    /// the settlement the refund names (card, order, settlement terminal and nonce) and of the
    /// refunding terminal's merchant, else `LedgerOrderMismatch`.
    /// @dev Points and credit points reversed are the refunded share of the order's, rounded so
    /// that refunds adding up to the full amount reverse exactly what was earned, and never more
    /// than the holding (and the merchant's credit points) still has un-reversed: points a bank
    /// correction already voided naming this order count against the refund and are not taken
    /// again, from this order or from another. A reversal may
    /// take the account's balance below zero when the points were already spent: the account then
    /// owes points, and later earnings pay the debt before they can be redeemed.
    function refund(
        Refund calldata refund_,
        bytes32 terminalR,
        bytes32 terminalVS,
        SettledOrder calldata order,
        SettlementProof calldata proof
    ) external;

    /// @notice Spend points at a terminal (gateway; signed by the terminal and the card key), a
    /// registered, enabled terminal of an active merchant whose card is active.
    function redeem(Redemption calldata redemption, Signatures calldata signatures) external;

    /// @notice Void points issued to a card (dual control: bank and credit center), for example
    /// fraudulent points. `reasonCode` is the bank's code. `order` names the settled order
    /// concerned, proven by `proof` as refunds prove theirs (a zero `order.orderId` for none, the
    /// proof then unread): the correction voids at most what that order still has un-reversed -
    /// its points and credit points less its refunded share and what earlier corrections voided
    /// for it (else `LedgerCorrectionExceedsOrder`) - and a later refund of it reverses only what
    /// the corrections left. The correction names whose points it voids: a consumer's card (of
    /// the order's account), its points at the merchant and at most as many of the merchant's
    /// credit points (credit points are never more than the points they were earned for); or the
    /// merchant's own card and credit points alone. Else `LedgerCorrectionUnattributed`; an
    /// order of another merchant or account, `LedgerOrderMismatch`; more than the holding or the
    /// merchant has un-reversed, or nothing at all, `LedgerCorrectionInvalid`.
    function voidPoints(
        bytes32 cardId,
        uint32 merchantId,
        uint64 points,
        uint64 creditPoints,
        uint16 reasonCode,
        SettledOrder calldata order,
        SettlementProof calldata proof
    ) external;

    /// @notice Record a card as the registry holds it (the registry alone, in the transaction
    /// that issues the card, replaces it or changes its status). The ledger reads a card's key,
    /// status, kind and account from this copy when it settles and redeems. A card it has not
    /// seen takes over the statistics of its account's current card (a replacement).
    function recordCard(bytes32 cardId, ICardRegistry.Card calldata card) external;

    /// @notice The ledger's copy of a card, found by its ID and key (status None when the ledger
    /// has no card with that ID and key). The auditor checks it agrees with the registry.
    function cardCopy(
        bytes32 cardId,
        address key
    ) external view returns (ICardRegistry.CardStatus status, ICardRegistry.CardKind kind, uint64 account);

    /// @notice The registry records a terminal's merchant and whether it is enabled (at its
    /// registration and every change), so that a settlement reads its terminal in the ledger.
    function recordTerminal(address terminal, uint32 merchantId, bool enabled) external;

    /// @notice The registry records what a settlement needs of a merchant: whether it is active,
    /// whether its card is, and its current agreement (at its registration, every change of its
    /// activity or its card's status, a replacement of its card and each new agreement).
    function recordMerchantTerms(
        uint32 merchantId,
        bool active,
        bool cardActive,
        uint32 agreementVersion,
        IMerchantRegistry.Agreement calldata agreement
    ) external;

    /// @notice The registry records the credit-point rule in force (when the ledger is named and
    /// at each new rule).
    function recordCreditPointRule(uint32 version, uint16 rateBps) external;

    /// @notice The registry records that `account` no longer holds the GATEWAY role (revoked or
    /// renounced). The ledger keeps the role of each account that has used it: asked once of the
    /// registry on the account's first call, then read here.
    function recordGatewayRevoked(address account) external;

    /// @notice The terms the ledger settles a terminal's payments under, read from its copies of
    /// the registry's records: equal to the registry's `settlementTerms` except that an agreement's
    /// `minAmount` above MAX_AMOUNT reads as MAX_AMOUNT + 1 (both refuse every amount).
    function settlementTermsCopy(address terminal) external view returns (IMerchantRegistry.SettlementTerms memory);

    /// @notice Stop all settlements, refunds and redemptions (a bank operator's `act`).
    function pause() external;

    /// @notice Resume (a bank operator's `act`).
    function unpause() external;

    /// @notice Whether the ledger is paused.
    function paused() external view returns (bool);

    /// @notice The EIP-712 digest terminals and cards sign for a settlement.
    function settlementDigest(Settlement calldata settlement) external view returns (bytes32);

    /// @notice The EIP-712 digest a terminal signs for a refund.
    function refundDigest(Refund calldata refund_) external view returns (bytes32);

    /// @notice The EIP-712 digest terminals and cards sign for a redemption.
    function redemptionDigest(Redemption calldata redemption) external view returns (bytes32);

    /// @notice The leaf a settled order has in its batch digest.
    function settledOrderLeaf(SettledOrder calldata order) external pure returns (bytes32);

    /// @notice A card's points: `balance` = earned - reversed - redeemed (negative = owed).
    function balanceOf(bytes32 cardId) external view returns (int256 balance);

    /// @notice A card's account statistics (shared by replaced and replacement cards).
    function accountStats(bytes32 cardId) external view returns (AccountStats memory);

    /// @notice Points a merchant issued to a card's account.
    function holding(bytes32 cardId, uint32 merchantId) external view returns (Holding memory);

    /// @notice A merchant's totals.
    function merchantStats(uint32 merchantId) external view returns (MerchantStats memory);

    /// @notice Whether a terminal's nonce was used.
    function nonceUsed(address terminal, uint64 nonce) external view returns (bool);

    /// @notice The batch chain's value after batch `batchId`, where the ledger holds it: for each
    /// of the last `CHAIN_RING` batches, every `CHAIN_RING`th batch, and each batch `sealChain`
    /// sealed; zero elsewhere. The chain starts at zero and each batch b takes it to
    /// keccak256(chain(b - 1), digest(b)), the digest being keccak256 of b's leaves in order.
    function batchChain(uint64 batchId) external view returns (bytes32);

    /// @notice Keep the batch chain's value after the latest batch for good, so that proofs
    /// ending there never go stale (anyone: it only keeps a value the ledger computed, at most one
    /// word per batch, as many as a digest per batch once took; kept again, nothing changes).
    /// Emits `ChainSealed` every time. A correction proposal that names a recent order is drafted
    /// after one, since its approval may come after the ring has moved on.
    /// @return batchId the latest batch, whose chain value is now sealed.
    function sealChain() external returns (uint64 batchId);

    /// @notice Number of batches recorded (IDs are 1..batchCount).
    function batchCount() external view returns (uint64);

    /// @notice Amount already refunded of a settled order (by its leaf: one record per settlement).
    function refundedAmount(bytes32 leaf) external view returns (uint64);

    /// @notice Sum of all points earned, reversed and redeemed on the ledger.
    function totals() external view returns (uint256 earned, uint256 reversed, uint256 redeemed);
}
