// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IPointsLedger} from "./IPointsLedger.sol";
import {ICardRegistry} from "../registry/ICardRegistry.sol";
import {IMerchantRegistry} from "../registry/IMerchantRegistry.sol";
import {CredenceRoles} from "../access/CredenceRoles.sol";
import {DualControl} from "../access/DualControl.sol";
import {IDualControl} from "../access/IDualControl.sol";
import {PointsMath} from "../libraries/PointsMath.sol";
import {SettlementHashing} from "../libraries/SettlementHashing.sol";
import {PackedRecords as P} from "../libraries/PackedRecords.sol";

/// @title The Credence points ledger.
/// @notice Records every grant, reversal and redemption of points, and credits merchants' credit
/// points in the same transaction that records the grant.
/// @dev Invariants (asserted by test/ledger/properties.spec.ts):
/// - every account balance = earned - reversed - redeemed, and the sum over all accounts equals
///   totals().earned - totals().reversed - totals().redeemed;
/// - a terminal nonce is consumed at most once (settlement, refund and redemption share them);
/// - the points reversed for an order never exceed the points it earned;
/// - all counters change only in `_earn`, `_reverse` and `_redeem`, but the ledger's total of
///   points earned, which `_recordBatch` adds once per batch: the sum of what `_earn` recorded,
///   and a card's account figures, which `recordCard` moves whole to a replacement card;
/// - the ledger's copy of a card (`recordCard`) agrees with the registry's: the registry records
///   every issuance, replacement and change of status in the same transaction.
contract PointsLedger is IPointsLedger, EIP712, DualControl {
    /// @notice Most settlements one batch may carry.
    uint256 public constant MAX_BATCH = 256;
    /// @notice Largest settlement amount, in minor units.
    uint64 public constant MAX_AMOUNT = 1e15;
    /// @notice How long after its time a signed settlement, refund or redemption may be recorded.
    uint40 public constant SIGNATURE_TTL = 3 days;
    /// @notice How far in the future a signed time may be (terminal clock skew).
    uint40 public constant MAX_CLOCK_SKEW = 5 minutes;
    /// @notice The last this many batches' chain values are held in a ring of words that batches
    /// overwrite in turn; every this many batches, the chain value is also kept for good.
    uint64 public constant CHAIN_RING = 16;

    bytes32 public constant SETTLEMENT_TYPEHASH = SettlementHashing.TYPEHASH;
    bytes32 public constant REFUND_TYPEHASH = keccak256(
        "Refund(bytes32 cardId,address terminal,uint64 nonce,bytes32 orderId,address settlementTerminal,uint64 settlementNonce,uint64 amount,uint40 time)"
    );
    bytes32 public constant REDEMPTION_TYPEHASH =
        keccak256("Redemption(bytes32 cardId,address terminal,uint64 nonce,bytes32 orderId,uint64 points,uint40 time)");

    /// @dev What every settlement transaction reads and writes of the ledger as a whole: one word.
    struct LedgerState {
        uint64 batchCount;
        uint96 earned;
        bool paused;
        uint32 creditRuleVersion;
        uint16 creditRateBps;
    }

    /// @dev The ledger's points reversed and redeemed, which refunds, corrections and redemptions write.
    struct Outflows {
        uint96 reversed;
        uint96 redeemed;
    }

    /// @notice Where cards, merchants, terminals, agreements and roles live.
    address public immutable registry;

    // Records are packed words (layouts in PackedRecords) so each is one SLOAD and one SSTORE.
    /// @dev A merchant's standing and current agreement (layout in PackedRecords), and its
    /// agreement's category multipliers as the registry packs them.
    struct MerchantTermsCopy {
        uint256 terms;
        uint256 multipliers;
    }

    /// @dev Points a bank correction voided naming an order, which a refund of it will not reverse again.
    struct VoidedPoints {
        uint64 points;
        uint64 creditPoints;
    }

    /// @dev The registry's cards as the ledger keeps them (`recordCard`), keyed by card ID and card
    /// key: a settlement finds its card's word from what it carries (the card ID) and the key its
    /// signature recovers, and that word also holds what the settlement changes of its account.
    mapping(bytes32 cardId => mapping(address key => uint256)) private _cards;
    /// @dev The slot of each account's current card word (its figures' home).
    mapping(uint64 account => uint256 slot) private _accountCards;
    mapping(uint64 account => uint256) private _accountOutflows;
    mapping(uint64 account => mapping(uint32 merchantId => uint256)) private _holdings;
    mapping(uint32 merchantId => uint256) private _merchantEarnings;
    mapping(uint32 merchantId => uint256) private _merchantOutflows;
    mapping(address terminal => mapping(uint256 word => uint256 bits)) private _nonces;
    /// @dev The batch chain (ADR 0014): `ring` holds its value after each of the last CHAIN_RING
    /// batches, at batchId % CHAIN_RING (a batch overwrites a word that is already set, never a
    /// new one); `kept` the values it keeps for good: every CHAIN_RING-th, and those `sealChain` sealed.
    struct BatchChain {
        bytes32[CHAIN_RING] ring;
        mapping(uint64 batchId => bytes32) kept;
    }
    BatchChain private _chain;
    mapping(bytes32 leaf => uint64) private _refunded;
    /// @dev The registry's terminals, merchants' terms and multipliers as the ledger keeps them
    /// (`recordTerminal`, `recordMerchantTerms`): a settlement reads its terms here, three words,
    /// not in five of the registry's through a call.
    mapping(address terminal => uint256) private _terminals;
    mapping(uint32 merchantId => MerchantTermsCopy) private _merchantTerms;
    /// @dev Accounts that hold the registry's GATEWAY role and have used it here (`onlyGateway`);
    /// the registry tells the ledger of each revocation (`recordGatewayRevoked`).
    mapping(address account => bool) private _gateways;
    /// @dev Points and credit points bank corrections voided naming an order of an account, not
    /// yet met by a refund of that order (keyed by keccak256(account, merchantId, orderId)).
    mapping(bytes32 orderKey => VoidedPoints) private _voidedForOrder;
    LedgerState private _state;
    Outflows private _outflows;

    /// @dev The caller holds the registry's GATEWAY role: as the ledger recorded on its first call.
    modifier onlyGateway() {
        if (!_gateways[msg.sender]) _admitGateway(msg.sender);
        _;
    }

    modifier onlyRegistry() {
        if (msg.sender != registry) revert LedgerNotRegistry(msg.sender);
        _;
    }

    modifier whenNotPaused() {
        if (_state.paused) revert EnforcedPause();
        _;
    }

    /// @param registry_ the registry; its credentials contract verifies this ledger's dual-control steps.
    constructor(address registry_) EIP712("Credence", "1") DualControl(IDualControl(registry_).operators()) {
        registry = registry_;
    }

    // ------------------------------------------------------------------ settlements

    /// @inheritdoc IPointsLedger
    function settleBatch(
        SignedSettlement[] calldata items
    ) external whenNotPaused onlyGateway returns (uint64 batchId) {
        uint256 n = items.length;
        if (n == 0 || n > MAX_BATCH) revert LedgerBatchSize(n, MAX_BATCH);
        batchId = _state.batchCount + 1;
        bytes32[] memory leaves = new bytes32[](n);
        uint256 accepted;
        uint256 earned;
        IMerchantRegistry.SettlementTerms memory terms;
        address termsOf;
        Run memory run;
        run.domainSeparator = _domainSeparatorV4();
        for (uint256 i; i < n; ++i) {
            SignedSettlement calldata item = items[i];
            // Reading a field whose word has bits beyond its type reverts: such an item is
            // rejected before any field is read, so it cannot fail the batch.
            if (!_isCanonical(item)) {
                _rejectNonCanonical(item);
                continue;
            }
            // Consecutive items from one terminal share its terms: one registry call per run.
            address terminal = _terminalOf(item);
            if (terminal != termsOf || i == 0) {
                termsOf = terminal;
                terms = _termsOf(terminal);
                _admitUnder(run, terms);
            }
            (RejectionReason reason, bytes32 leaf, uint64 points) = _settleReleasing(item, terms, run);
            if (reason == RejectionReason.None) {
                // Cannot overflow: `accepted` < n <= MAX_BATCH and each item earns < 2^64 points.
                unchecked {
                    leaves[accepted++] = leaf;
                    earned += points;
                }
            } else {
                emit SettlementRejected(terminal, item.settlement.nonce, item.settlement.orderId, reason);
            }
        }
        _endRun(run);
        // Shrink the array to the accepted leaves; `accepted <= n` so the memory stays valid.
        assembly ("memory-safe") {
            mstore(leaves, accepted)
        }
        _recordBatch(batchId, leaves, n - accepted, earned);
    }

    /// @inheritdoc IPointsLedger
    function settle(
        SignedSettlement calldata item
    ) external whenNotPaused onlyGateway returns (uint64 batchId) {
        if (!_isCanonical(item)) revert LedgerSettlementRejected(RejectionReason.EncodingInvalid);
        batchId = _state.batchCount + 1;
        IMerchantRegistry.SettlementTerms memory terms = _termsOf(_terminalOf(item));
        Run memory run;
        run.domainSeparator = _domainSeparatorV4();
        _admitUnder(run, terms);
        (RejectionReason reason, bytes32 leaf, uint64 points) = _settle(item, terms, run);
        if (reason != RejectionReason.None) revert LedgerSettlementRejected(reason);
        _endRun(run);
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = leaf;
        _recordBatch(batchId, leaves, 0, points);
    }

    /// @dev Whether every word of a settlement narrower than 32 bytes is zero beyond its type:
    ///      terminal (address), nonce and amount (uint64), currency (bytes3, left-aligned),
    ///      category (uint8) and time (uint40). The other words (bytes32) take any value.
    function _isCanonical(SignedSettlement calldata item) private pure returns (bool canonical) {
        assembly ("memory-safe") {
            let dirty := shr(160, calldataload(add(item, 0x20)))
            dirty := or(dirty, shr(64, calldataload(add(item, 0x40))))
            dirty := or(dirty, shr(64, calldataload(add(item, 0xa0))))
            dirty := or(dirty, shl(24, calldataload(add(item, 0xc0))))
            dirty := or(dirty, shr(8, calldataload(add(item, 0xe0))))
            dirty := or(dirty, shr(40, calldataload(add(item, 0x100))))
            canonical := iszero(dirty)
        }
    }

    /// @dev The terminal of a canonical item, read raw.
    function _terminalOf(SignedSettlement calldata item) private pure returns (address terminal) {
        assembly ("memory-safe") {
            terminal := calldataload(add(item, 0x20))
        }
    }

    /// @dev Rejects an item `_isCanonical` refused, naming its terminal and nonce by the low bits
    ///      of their words (reading them as fields would revert).
    function _rejectNonCanonical(SignedSettlement calldata item) private {
        address terminal;
        uint64 nonce;
        assembly ("memory-safe") {
            terminal := and(calldataload(add(item, 0x20)), 0xffffffffffffffffffffffffffffffffffffffff)
            nonce := and(calldataload(add(item, 0x40)), 0xffffffffffffffff)
        }
        emit SettlementRejected(terminal, nonce, item.settlement.orderId, RejectionReason.EncodingInvalid);
    }

    /// @dev Words that consecutive items of a batch share, kept in memory from the first item
    ///      that reads them and written back once (`_endRun`) when another item needs another word
    ///      or the batch ends: a terminal's word of 256 nonces and a merchant's earnings.
    ///      It also keeps what an item under the run's terms must satisfy to pass every check of
    ///      `_checkTerms` (`_admitUnder`), so that an item that passes them all is admitted in a
    ///      few comparisons, and only a rejected one goes through `_checkTerms` for its reason; and
    ///      the EIP-712 domain separator, read once per transaction.
    struct Run {
        uint256 nonceKey;
        uint256 nonceSlot;
        uint256 nonceBits;
        uint256 earningsSlot;
        uint256 earnings;
        bool open;
        uint256 earliest;
        uint256 latest;
        uint256 minAmount;
        bytes3 currency;
        bytes32 domainSeparator;
        uint32 earningsOf;
    }

    /// @dev Sets the run's admission bounds from `terms`: the terminal, merchant, merchant card and
    ///      agreement in service, and the intersection of the signature's time window (now less the
    ///      TTL .. now plus the skew) with the agreement's validity, amounts from max(1, the
    ///      agreement's minimum) to MAX_AMOUNT, and the agreement's currency.
    function _admitUnder(Run memory run, IMerchantRegistry.SettlementTerms memory terms) private view {
        IMerchantRegistry.Agreement memory a = terms.agreement;
        run.open =
            terms.merchantId != 0 &&
            terms.terminalEnabled &&
            terms.merchantActive &&
            terms.merchantCardActive &&
            terms.agreementVersion != 0;
        uint256 notExpired = block.timestamp > SIGNATURE_TTL ? block.timestamp - SIGNATURE_TTL : 0;
        run.earliest = notExpired > a.validFrom ? notExpired : a.validFrom;
        run.latest = _min(block.timestamp + MAX_CLOCK_SKEW, a.validUntil);
        run.minAmount = a.minAmount > 1 ? a.minAmount : 1;
        run.currency = a.currency;
    }

    /// @dev Whether a canonical settlement passes every check of `_checkTerms` under the run's
    ///      terms: one branch-free expression over its raw words and the run's bounds (a memory
    ///      struct: each field one word, in declaration order).
    function _admitted(Settlement calldata s, Run memory run, bool nonceSpent) private pure returns (bool ok) {
        uint256 maxAmount = MAX_AMOUNT;
        uint256 categories = PointsMath.CATEGORY_COUNT;
        assembly ("memory-safe") {
            let amount := calldataload(add(s, 0xa0))
            let time := calldataload(add(s, 0x100))
            ok := and(mload(add(run, 0xa0)), iszero(nonceSpent))
            ok := and(ok, iszero(lt(time, mload(add(run, 0xc0)))))
            ok := and(ok, iszero(gt(time, mload(add(run, 0xe0)))))
            ok := and(ok, iszero(lt(amount, mload(add(run, 0x100)))))
            ok := and(ok, iszero(gt(amount, maxAmount)))
            ok := and(ok, eq(calldataload(add(s, 0xc0)), mload(add(run, 0x120))))
            ok := and(ok, lt(calldataload(add(s, 0xe0)), categories))
        }
    }

    /// @dev The run's nonce word for (terminal, nonce): the cached one when it is the same word,
    ///      else the stored one (the cached one written back first).
    function _runNonceBits(Run memory run, address terminal, uint64 nonce) private returns (uint256) {
        uint256 key = (uint256(uint160(terminal)) << 64) | (nonce >> 8);
        if (run.nonceSlot == 0 || run.nonceKey != key) {
            if (run.nonceSlot != 0) _store(run.nonceSlot, run.nonceBits);
            (run.nonceSlot, run.nonceBits) = _nonceWord(terminal, nonce);
            run.nonceKey = key;
        }
        return run.nonceBits;
    }

    /// @dev Points the run at `merchantId`'s earnings word (the previous merchant's written back).
    function _runEarnings(Run memory run, uint32 merchantId) private {
        if (run.earningsSlot != 0 && run.earningsOf == merchantId) return;
        if (run.earningsSlot != 0) _store(run.earningsSlot, run.earnings);
        uint256 slot = _earningsSlot(merchantId);
        run.earningsSlot = slot;
        run.earningsOf = merchantId;
        run.earnings = _load(slot);
    }

    /// @dev Writes back the words a run kept in memory (unchanged ones cost a warm write).
    function _endRun(Run memory run) private {
        if (run.nonceSlot != 0) _store(run.nonceSlot, run.nonceBits);
        if (run.earningsSlot != 0) _store(run.earningsSlot, run.earnings);
    }

    /// @dev `_settle`, then the scratch memory it used is released: without this, memory grows
    ///      with the batch and its cost grows quadratically. Nothing `_settle` allocates outlives it.
    function _settleReleasing(
        SignedSettlement calldata item,
        IMerchantRegistry.SettlementTerms memory terms,
        Run memory run
    ) private returns (RejectionReason reason, bytes32 leaf, uint64 points) {
        uint256 scratch;
        assembly ("memory-safe") {
            scratch := mload(0x40)
        }
        (reason, leaf, points) = _settle(item, terms, run);
        assembly ("memory-safe") {
            mstore(0x40, scratch)
        }
    }

    /// @dev Validates one settlement (whose words `_isCanonical` accepted, so its fields are read
    ///      raw, each once), cheapest checks first and signature recovery last, then records it.
    ///      Returns the rejection reason (None when recorded), the order's leaf and its points.
    function _settle(
        SignedSettlement calldata item,
        IMerchantRegistry.SettlementTerms memory terms,
        Run memory run
    ) private returns (RejectionReason, bytes32, uint64) {
        Settlement calldata s = item.settlement;
        (address terminal, uint64 nonce) = _terminalAndNonceOf(s);
        uint256 nonceBits = _runNonceBits(run, terminal, nonce);
        bool nonceSpent = _hasNonce(nonceBits, nonce);
        RejectionReason reason;
        // `_checkTerms` decides; the run's bounds only spare an admissible item its checks one by one.
        if (!_admitted(s, run, nonceSpent)) {
            reason = _checkTerms(s, terms, nonceSpent);
            if (reason != RejectionReason.None) return (reason, 0, 0);
        }
        bytes32 digest = MessageHashUtils.toTypedDataHash(run.domainSeparator, SettlementHashing.structHash(s));
        if (!_signedBy(digest, item.signatures.terminalR, item.signatures.terminalVS, terminal)) {
            return (RejectionReason.TerminalSignatureInvalid, 0, 0);
        }
        // The card's word is found by its ID and the key its signature recovers: a word there is
        // the registry's card with that key, so the signature is the card's.
        uint256 cardSlot = _cardSlot(s.cardId, _signer(digest, item.signatures.cardR, item.signatures.cardVS));
        uint256 cardWord = _load(cardSlot);
        reason = _checkCard(s.cardId, cardWord);
        if (reason != RejectionReason.None) return (reason, 0, 0);
        uint64 account = uint64(P.get(cardWord, P.CARD_ACCOUNT, P.MASK_64));
        (uint64 amount, uint8 category, uint40 time) = _pricedFieldsOf(s);
        uint64 points = PointsMath.settlementPoints(
            amount,
            terms.agreement.baseRateBps,
            PointsMath.multiplierOf(terms.agreement.categoryMultipliers, category),
            terms.agreement.maxPointsPerSettlement
        );
        if (P.get(cardWord, P.CARD_EARNED, P.MASK_56) + points > P.MASK_56) {
            return (RejectionReason.AccountLimitReached, 0, 0);
        }
        uint64 credit = PointsMath.creditPoints(points, terms.creditRateBps);
        run.nonceBits = nonceBits | (uint256(1) << (nonce & 0xff));
        _runEarnings(run, terms.merchantId);
        _earn(cardSlot, cardWord, _holdingSlot(account, terms.merchantId), run, points, credit, time);
        return (RejectionReason.None, _emitEarned(s, terms.merchantId, points, credit), points);
    }

    /// @dev Emits PointsEarned and returns the settled order's leaf. Both are built from one
    ///      region of scratch memory past the free memory pointer: first the leaf's eight words
    ///      [cardId, merchantId, orderId, terminal, nonce, amount, points, creditPoints] (`_leaf`'s
    ///      abi.encode), hashed; then points and credit points are moved up a word, over the
    ///      amount, so that the four words from `terminal` are the event's data [terminal, nonce,
    ///      points, creditPoints] (its non-indexed parameters, in order). The settlement's words
    ///      are canonical (`_isCanonical`).
    function _emitEarned(Settlement calldata s, uint32 merchantId, uint64 points, uint64 credit) private returns (bytes32 leaf) {
        bytes32 topic = PointsEarned.selector;
        assembly ("memory-safe") {
            let p := mload(0x40)
            let cardId := calldataload(s)
            mstore(p, cardId)
            mstore(add(p, 0x20), merchantId)
            mstore(add(p, 0x40), calldataload(add(s, 0x60)))
            mstore(add(p, 0x60), calldataload(add(s, 0x20)))
            mstore(add(p, 0x80), calldataload(add(s, 0x40)))
            mstore(add(p, 0xa0), calldataload(add(s, 0xa0)))
            mstore(add(p, 0xc0), points)
            mstore(add(p, 0xe0), credit)
            leaf := keccak256(p, 0x100)
            mstore(add(p, 0xa0), points)
            mstore(add(p, 0xc0), credit)
            log3(add(p, 0x60), 0x80, topic, cardId, merchantId)
        }
    }

    /// @dev A canonical settlement's terminal and nonce, read raw (`_isCanonical` checked their words).
    function _terminalAndNonceOf(Settlement calldata s) private pure returns (address terminal, uint64 nonce) {
        assembly ("memory-safe") {
            terminal := calldataload(add(s, 0x20))
            nonce := calldataload(add(s, 0x40))
        }
    }

    /// @dev A canonical settlement's amount, category and time, read raw.
    function _pricedFieldsOf(Settlement calldata s) private pure returns (uint64 amount, uint8 category, uint40 time) {
        assembly ("memory-safe") {
            amount := calldataload(add(s, 0xa0))
            category := calldataload(add(s, 0xe0))
            time := calldataload(add(s, 0x100))
        }
    }

    function _checkTerms(
        Settlement calldata s,
        IMerchantRegistry.SettlementTerms memory terms,
        bool nonceSpent
    ) private view returns (RejectionReason) {
        if (terms.merchantId == 0) return RejectionReason.TerminalUnknown;
        if (!terms.terminalEnabled) return RejectionReason.TerminalDisabled;
        if (!terms.merchantActive) return RejectionReason.MerchantInactive;
        if (!terms.merchantCardActive) return RejectionReason.MerchantCardNotActive;
        if (nonceSpent) return RejectionReason.NonceUsed;
        (uint64 amount, uint8 category, uint40 time) = _pricedFieldsOf(s);
        RejectionReason reason = _checkTime(time);
        if (reason != RejectionReason.None) return reason;
        IMerchantRegistry.Agreement memory a = terms.agreement;
        if (amount == 0 || amount > MAX_AMOUNT) return RejectionReason.AmountOutOfBounds;
        if (terms.agreementVersion == 0 || time < a.validFrom || time > a.validUntil) {
            return RejectionReason.AgreementNotInForce;
        }
        if (amount < a.minAmount) return RejectionReason.AmountBelowMinimum;
        bytes3 currency;
        assembly ("memory-safe") {
            currency := calldataload(add(s, 0xc0))
        }
        if (currency != a.currency) return RejectionReason.CurrencyMismatch;
        if (category >= PointsMath.CATEGORY_COUNT) return RejectionReason.CategoryUnknown;
        return RejectionReason.None;
    }

    function _checkFreshness(address terminal, uint64 nonce, uint40 time) private view returns (RejectionReason) {
        if (_isNonceUsed(terminal, nonce)) return RejectionReason.NonceUsed;
        return _checkTime(time);
    }

    function _checkTime(uint40 time) private view returns (RejectionReason) {
        if (time > block.timestamp + MAX_CLOCK_SKEW) return RejectionReason.TimeInFuture;
        if (block.timestamp > uint256(time) + SIGNATURE_TTL) return RejectionReason.Expired;
        return RejectionReason.None;
    }

    /// @dev Why the card a settlement or redemption names may not settle or redeem, given the word
    ///      found under its ID and the key its signature recovered: none when that word is an
    ///      active consumer card. No word there means the card is unknown, or the signature is
    ///      not its key's: the registry says which, checked in the order the reasons have always
    ///      been given (unknown, not active, not a consumer's, then the signature).
    function _checkCard(bytes32 cardId, uint256 cardWord) private view returns (RejectionReason) {
        uint256 status = P.get(cardWord, P.CARD_STATUS, P.MASK_8);
        uint256 kind = P.get(cardWord, P.CARD_KIND, P.MASK_8);
        if (cardWord == 0) {
            ICardRegistry.Card memory c = ICardRegistry(registry).card(cardId);
            (status, kind) = (uint256(c.status), uint256(c.kind));
            if (status == uint256(ICardRegistry.CardStatus.None)) return RejectionReason.CardUnknown;
        }
        if (status != uint256(ICardRegistry.CardStatus.Active)) return RejectionReason.CardNotActive;
        if (kind != uint256(ICardRegistry.CardKind.Consumer)) return RejectionReason.CardNotConsumer;
        if (cardWord == 0) return RejectionReason.CardSignatureInvalid;
        return RejectionReason.None;
    }

    /// @dev Records batch `batchId` in the batch chain and adds the points its settlements earned
    ///      to the ledger's total, in the one word every settlement transaction writes. The
    ///      chain's new value overwrites the ring's word of CHAIN_RING batches ago; every
    ///      CHAIN_RING-th value is also sealed.
    function _recordBatch(uint64 batchId, bytes32[] memory leaves, uint256 rejected, uint256 earned) private {
        LedgerState storage state = _state;
        state.batchCount = batchId;
        // Cannot overflow in practice: at most 2^32 points per settlement, 2^96 in all.
        state.earned += uint96(earned);
        bytes32 digest = keccak256(abi.encodePacked(leaves));
        bytes32 chainBefore = _chain.ring[(batchId - 1) % CHAIN_RING];
        bytes32 chain = _chainStep(chainBefore, digest);
        _chain.ring[batchId % CHAIN_RING] = chain;
        if (batchId % CHAIN_RING == 0) _chain.kept[batchId] = chain;
        emit BatchRecorded(batchId, digest, chainBefore, leaves.length, rejected);
    }

    /// @dev The batch chain's value after a batch of digest `digest`, from its value `chain` before.
    function _chainStep(bytes32 chain, bytes32 digest) private pure returns (bytes32 next) {
        assembly ("memory-safe") {
            mstore(0x00, chain)
            mstore(0x20, digest)
            next := keccak256(0x00, 0x40)
        }
    }

    /// @dev Whether `proof` folds to a chain value the ledger holds: from `chainBefore`, through
    ///      the digest of `batchLeaves` and then each of `laterDigests`, to the value after batch
    ///      batchId + laterDigests.length. Matching it means, by keccak256's collision resistance,
    ///      that these are the leaves of batch `batchId` as recorded.
    function _isChained(SettlementProof calldata proof) private view returns (bool) {
        bytes32 chain = _chainStep(proof.chainBefore, keccak256(abi.encodePacked(proof.batchLeaves)));
        uint256 later = proof.laterDigests.length;
        for (uint256 i; i < later; ++i) chain = _chainStep(chain, proof.laterDigests[i]);
        uint256 end = uint256(proof.batchId) + later;
        uint256 count = _state.batchCount;
        if (proof.batchId == 0 || end > count) return false;
        if (count - end < CHAIN_RING && _chain.ring[end % CHAIN_RING] == chain) return true;
        return _chain.kept[uint64(end)] == chain;
    }

    /// @inheritdoc IPointsLedger
    function sealChain() external returns (uint64 batchId) {
        batchId = _state.batchCount;
        if (batchId == 0) revert LedgerNothingToSeal();
        bytes32 chain = _chain.ring[batchId % CHAIN_RING];
        if (_chain.kept[batchId] == bytes32(0)) _chain.kept[batchId] = chain;
        emit ChainSealed(batchId, chain);
    }

    // ------------------------------------------------------------------ refunds and redemptions

    /// @inheritdoc IPointsLedger
    function refund(
        Refund calldata r,
        bytes32 terminalR,
        bytes32 terminalVS,
        SettledOrder calldata order,
        SettlementProof calldata proof
    ) external whenNotPaused onlyGateway {
        uint32 merchantId = _checkRefundSignature(r, terminalR, terminalVS);
        // The refund applies to the one settlement its terminal signed for, nothing else.
        if (
            order.orderId != r.orderId ||
            order.merchantId != merchantId ||
            order.cardId != r.cardId ||
            order.terminal != r.settlementTerminal ||
            order.nonce != r.settlementNonce
        ) revert LedgerOrderMismatch(r.orderId);
        bytes32 leaf = _provenLeaf(order, proof);
        _useNonce(r.terminal, r.nonce);
        _reverseRefunded(r, order, leaf);
    }

    /// @dev The order's leaf, after checking it is at `proof.index` of a recorded batch (`_isChained`).
    function _provenLeaf(SettledOrder calldata order, SettlementProof calldata proof) private view returns (bytes32 leaf) {
        leaf = _leaf(
            order.cardId,
            order.merchantId,
            order.orderId,
            order.terminal,
            order.nonce,
            order.amount,
            order.points,
            order.creditPoints
        );
        if (
            proof.index >= proof.batchLeaves.length ||
            proof.batchLeaves[proof.index] != leaf ||
            !_isChained(proof)
        ) revert LedgerProofInvalid(proof.batchId);
    }

    /// @dev Reverses the refunded share of an order; refunds never add up to more than the order.
    function _reverseRefunded(Refund calldata r, SettledOrder calldata order, bytes32 leaf) private {
        uint64 amount = r.amount;
        uint64 before_ = _refunded[leaf];
        if (amount == 0 || uint256(before_) + amount > order.amount) {
            revert LedgerRefundExceedsOrder(order.orderId, before_, amount, order.amount);
        }
        uint64 after_ = before_ + amount;
        _refunded[leaf] = after_;
        uint64 points = PointsMath.reversedShare(order.points, order.amount, before_, after_);
        uint64 credit = PointsMath.reversedShare(order.creditPoints, order.amount, before_, after_);
        uint64 account = _accountOf(order.cardId);
        // A bank correction that named this order already voided (part of) its points: the
        // refund reverses only the rest. Nor does it reverse past what the holding and the
        // merchant still have un-reversed, so nothing is taken twice.
        (points, credit) = _netOfVoided(_orderKey(account, order.merchantId, order.orderId), points, credit);
        uint256 h = _holdings[account][order.merchantId];
        uint256 earnings = _merchantEarnings[order.merchantId];
        uint256 outflows = _merchantOutflows[order.merchantId];
        points = uint64(_min(points, P.get(h, P.HOLDING_EARNED, P.MASK_64) - P.get(h, P.HOLDING_REVERSED, P.MASK_64)));
        credit = uint64(
            _min(credit, P.get(earnings, P.EARNINGS_CREDIT, P.MASK_64) - P.get(outflows, P.OUTFLOWS_CREDIT_REVERSED, P.MASK_64))
        );
        _reverse(account, order.merchantId, points, credit);
        emit PointsReversed(
            order.cardId,
            order.merchantId,
            order.orderId,
            r.terminal,
            r.nonce,
            ReversalReason.Refund,
            0,
            points,
            credit,
            amount
        );
    }

    /// @dev What is left of a refund's reversal once the points corrections voided for the same
    /// order are counted against it; consumes that much of the voided points.
    function _netOfVoided(bytes32 orderKey, uint64 points, uint64 credit) private returns (uint64, uint64) {
        VoidedPoints storage voided = _voidedForOrder[orderKey];
        uint64 fromPoints = uint64(_min(points, voided.points));
        uint64 fromCredit = uint64(_min(credit, voided.creditPoints));
        if (fromPoints == 0 && fromCredit == 0) return (points, credit);
        voided.points -= fromPoints;
        voided.creditPoints -= fromCredit;
        return (points - fromPoints, credit - fromCredit);
    }

    /// @dev The merchant of the terminal a refund or redemption comes from, or why the terminal may
    /// not take it: unknown, disabled, its merchant suspended or its merchant card not active (as
    /// for settlements), or the nonce or time not fresh.
    function _checkPaymentTerminal(
        address terminal,
        uint64 nonce,
        uint40 time
    ) private view returns (uint32 merchantId, RejectionReason reason) {
        uint256 t = _terminals[terminal];
        merchantId = uint32(P.get(t, P.TERMINAL_MERCHANT, P.MASK_32));
        if (merchantId == 0) return (0, RejectionReason.TerminalUnknown);
        if (P.get(t, P.TERMINAL_ENABLED, P.MASK_1) == 0) return (merchantId, RejectionReason.TerminalDisabled);
        uint256 m = _merchantTerms[merchantId].terms;
        if (P.get(m, P.TERMS_ACTIVE, P.MASK_1) == 0) return (merchantId, RejectionReason.MerchantInactive);
        if (P.get(m, P.TERMS_CARD_ACTIVE, P.MASK_1) == 0) return (merchantId, RejectionReason.MerchantCardNotActive);
        reason = _checkFreshness(terminal, nonce, time);
    }

    /// @dev An order of one account at one merchant: a correction on another card, naming the
    /// same order by mistake, does not shield it from its refund.
    function _orderKey(uint64 account, uint32 merchantId, bytes32 orderId) private pure returns (bytes32) {
        return keccak256(abi.encode(account, merchantId, orderId));
    }

    /// @dev Checks a refund's terminal, freshness and signature; returns the terminal's merchant.
    function _checkRefundSignature(
        Refund calldata r,
        bytes32 terminalR,
        bytes32 terminalVS
    ) private view returns (uint32) {
        (uint32 merchantId, RejectionReason reason) = _checkPaymentTerminal(r.terminal, r.nonce, r.time);
        if (reason != RejectionReason.None) revert LedgerRefundRejected(reason);
        if (!_signedBy(_hashTypedDataV4(_refundStructHash(r)), terminalR, terminalVS, r.terminal)) {
            revert LedgerRefundRejected(RejectionReason.TerminalSignatureInvalid);
        }
        return merchantId;
    }

    /// @inheritdoc IPointsLedger
    function redeem(
        Redemption calldata r,
        Signatures calldata sig
    ) external whenNotPaused onlyGateway {
        (uint32 merchantId, RejectionReason reason) = _checkPaymentTerminal(r.terminal, r.nonce, r.time);
        if (reason != RejectionReason.None) revert LedgerRedemptionRejected(reason);
        if (r.points == 0 || r.points > MAX_AMOUNT) revert LedgerRedemptionRejected(RejectionReason.AmountOutOfBounds);
        bytes32 digest = _hashTypedDataV4(_redemptionStructHash(r));
        if (!_signedBy(digest, sig.terminalR, sig.terminalVS, r.terminal)) {
            revert LedgerRedemptionRejected(RejectionReason.TerminalSignatureInvalid);
        }
        uint256 card = _load(_cardSlot(r.cardId, _signer(digest, sig.cardR, sig.cardVS)));
        reason = _checkCard(r.cardId, card);
        if (reason != RejectionReason.None) revert LedgerRedemptionRejected(reason);
        uint64 account = uint64(P.get(card, P.CARD_ACCOUNT, P.MASK_64));
        int256 balance = _balance(card, _accountOutflows[account]);
        if (balance < int256(uint256(r.points))) revert LedgerInsufficientPoints(r.cardId, balance, r.points);
        _useNonce(r.terminal, r.nonce);
        _redeem(account, merchantId, r.points);
        emit PointsRedeemed(r.cardId, merchantId, r.orderId, r.terminal, r.nonce, r.points);
    }

    /// @inheritdoc IPointsLedger
    function voidPoints(
        bytes32 cardId,
        uint32 merchantId,
        uint64 points,
        uint64 creditPoints,
        uint16 reasonCode,
        SettledOrder calldata order,
        SettlementProof calldata proof
    ) external onlySelf {
        uint64 account = _accountOf(cardId);
        uint256 h = _holdings[account][merchantId];
        uint256 earnings = _merchantEarnings[merchantId];
        uint256 outflows = _merchantOutflows[merchantId];
        if (
            points + P.get(h, P.HOLDING_REVERSED, P.MASK_64) > P.get(h, P.HOLDING_EARNED, P.MASK_64) ||
            creditPoints + P.get(outflows, P.OUTFLOWS_CREDIT_REVERSED, P.MASK_64) > P.get(earnings, P.EARNINGS_CREDIT, P.MASK_64) ||
            (points == 0 && creditPoints == 0)
        ) revert LedgerCorrectionInvalid();
        // The event names whose points are voided: credit points alone only on the merchant's own
        // card, and on a consumer's card no more credit points than the points voided with them.
        bool merchantsOwnCard = IMerchantRegistry(registry).merchant(merchantId).cardId == cardId;
        if (merchantsOwnCard ? points != 0 : creditPoints > points) {
            revert LedgerCorrectionUnattributed(cardId, merchantId, points, creditPoints);
        }
        bytes32 orderId = order.orderId;
        if (orderId != bytes32(0)) _voidForOrder(account, merchantId, merchantsOwnCard, points, creditPoints, order, proof);
        _reverse(account, merchantId, points, creditPoints);
        emit PointsReversed(cardId, merchantId, orderId, address(0), 0, ReversalReason.Correction, reasonCode, points, creditPoints, 0);
    }

    /// @dev Charges a correction to the order it names, within what the order has un-reversed:
    /// its points less its refunded share (`_refunded`) and the points corrections voided for it
    /// and no refund has met yet (`_voidedForOrder`, which refunds consume) - one bound that
    /// refunds and corrections share. The order is of the correction's merchant and, on a
    /// consumer's card, of the card's account (the record is keyed by the card's account).
    function _voidForOrder(
        uint64 account,
        uint32 merchantId,
        bool merchantsOwnCard,
        uint64 points,
        uint64 creditPoints,
        SettledOrder calldata order,
        SettlementProof calldata proof
    ) private {
        if (order.merchantId != merchantId || (!merchantsOwnCard && _accountOf(order.cardId) != account)) {
            revert LedgerOrderMismatch(order.orderId);
        }
        uint64 refunded = _refunded[_provenLeaf(order, proof)];
        VoidedPoints storage voided = _voidedForOrder[_orderKey(account, merchantId, order.orderId)];
        uint64 pointsLeft = _left(order.points, PointsMath.reversedShare(order.points, order.amount, 0, refunded), voided.points);
        uint64 creditLeft = _left(
            order.creditPoints,
            PointsMath.reversedShare(order.creditPoints, order.amount, 0, refunded),
            voided.creditPoints
        );
        if (points > pointsLeft || creditPoints > creditLeft) {
            revert LedgerCorrectionExceedsOrder(order.orderId, pointsLeft, creditLeft);
        }
        voided.points += points;
        voided.creditPoints += creditPoints;
    }

    /// @dev What is left of `total` once `a` and `b` are taken from it (never below zero).
    function _left(uint64 total, uint64 a, uint64 b) private pure returns (uint64) {
        uint256 taken = uint256(a) + b;
        return taken >= total ? 0 : uint64(total - taken);
    }

    // ------------------------------------------------------------------ the registry's cards

    /// @inheritdoc IPointsLedger
    function recordCard(bytes32 cardId, ICardRegistry.Card calldata card) external onlyRegistry {
        uint256 slot = _cardSlot(cardId, card.key);
        uint256 word = _load(slot);
        if (word == 0) {
            // A card new to the ledger (its account is never zero, so its word never is once
            // recorded): issued, or replacing its account's card, whose figures it takes over.
            uint256 previous = _accountCards[card.account];
            if (previous != 0) {
                uint256 old = _load(previous);
                word = old & P.CARD_ACCOUNT_FIGURES;
                _store(previous, old & ~P.CARD_ACCOUNT_FIGURES);
            } else {
                // A new account: its outflows word is created now, with the card, not by its first
                // refund or redemption.
                _accountOutflows[card.account] = 1 << P.ACCOUNT_OPENED;
            }
            _accountCards[card.account] = slot;
            word |= (uint256(card.account) << P.CARD_ACCOUNT) | (uint256(card.kind) << P.CARD_KIND);
        }
        _store(slot, P.set(word, P.CARD_STATUS, P.MASK_8, uint256(card.status)));
        emit CardRecorded(cardId, card.key, card.status);
    }

    /// @inheritdoc IPointsLedger
    function recordTerminal(address terminal, uint32 merchantId, bool enabled) external onlyRegistry {
        _terminals[terminal] = uint256(merchantId) | (enabled ? 1 << P.TERMINAL_ENABLED : 0);
    }

    /// @inheritdoc IPointsLedger
    function recordMerchantTerms(
        uint32 merchantId,
        bool active,
        bool cardActive,
        uint32 agreementVersion,
        IMerchantRegistry.Agreement calldata agreement
    ) external onlyRegistry {
        _merchantTerms[merchantId] = MerchantTermsCopy({
            terms: P.merchantTerms(active, cardActive, agreementVersion, agreement, MAX_AMOUNT + 1),
            multipliers: agreement.categoryMultipliers
        });
    }

    /// @inheritdoc IPointsLedger
    function recordCreditPointRule(uint32 version, uint16 rateBps) external onlyRegistry {
        (_state.creditRuleVersion, _state.creditRateBps) = (version, rateBps);
    }

    /// @inheritdoc IPointsLedger
    function recordGatewayRevoked(address account) external onlyRegistry {
        delete _gateways[account];
    }

    /// @inheritdoc IPointsLedger
    function settlementTermsCopy(address terminal) external view returns (IMerchantRegistry.SettlementTerms memory) {
        return _termsOf(terminal);
    }

    /// @dev A terminal's settlement terms from the ledger's copies (zeroed for an unknown terminal).
    function _termsOf(address terminal) private view returns (IMerchantRegistry.SettlementTerms memory terms) {
        uint256 t = _terminals[terminal];
        uint32 merchantId = uint32(P.get(t, P.TERMINAL_MERCHANT, P.MASK_32));
        if (merchantId == 0) return terms;
        LedgerState memory state = _state;
        MerchantTermsCopy storage m = _merchantTerms[merchantId];
        return P.toSettlementTerms(t, m.terms, m.multipliers, state.creditRuleVersion, state.creditRateBps);
    }

    /// @dev Admits an account the registry says holds the GATEWAY role, and keeps that here, while
    ///      the registry names this ledger (it then records every revocation here); else reverts.
    function _admitGateway(address account) private {
        if (
            !IAccessControl(registry).hasRole(CredenceRoles.GATEWAY, account) ||
            ICardRegistry(registry).ledger() != address(this)
        ) revert LedgerUnauthorized(account, CredenceRoles.GATEWAY);
        _gateways[account] = true;
    }

    /// @inheritdoc IPointsLedger
    function pause() external onlySelf {
        if (_state.paused) revert EnforcedPause();
        _state.paused = true;
        (uint64 credentialId, ) = _actor();
        emit Paused(credentialId);
    }

    /// @inheritdoc IPointsLedger
    function unpause() external onlySelf {
        if (!_state.paused) revert ExpectedPause();
        _state.paused = false;
        (uint64 credentialId, ) = _actor();
        emit Unpaused(credentialId);
    }

    /// @inheritdoc IPointsLedger
    function paused() external view returns (bool) {
        return _state.paused;
    }

    // ------------------------------------------------------------------ the only writers of counters

    /// @dev Records a settlement's points in its card word (its account's figures) and holding word,
    ///      given by their slots (each read and written once, the card word already read), and in
    ///      the merchant's earnings the run keeps (written back by `_endRun`).
    function _earn(
        uint256 cardSlot,
        uint256 cardWord,
        uint256 holdingSlot,
        Run memory run,
        uint64 points,
        uint64 credit,
        uint40 time
    ) private {
        uint256 when = uint32(time);
        uint256 holdingWord = _load(holdingSlot);
        uint256 earnings = run.earnings;
        // Cannot carry: a count never exceeds the number of merchants or cards (< 2^24); _settle
        // rejected an account whose earned would pass 2^56, which also bounds its holdings (64
        // bits); a merchant's counters are 64 bits wide and grow by at most 2^32 per settlement.
        unchecked {
            if (P.get(holdingWord, P.HOLDING_FIRST, P.MASK_32) == 0) {
                // First points from this merchant: one more distinct merchant, one more consumer.
                cardWord += 1 << P.CARD_MERCHANTS;
                earnings += 1 << P.EARNINGS_CONSUMERS;
            }
            cardWord += uint256(points) << P.CARD_EARNED;
            holdingWord += uint256(points) << P.HOLDING_EARNED;
            earnings += (uint256(points) << P.EARNINGS_GRANTED) + (uint256(credit) << P.EARNINGS_CREDIT);
        }
        _store(cardSlot, P.touch(cardWord, P.CARD_FIRST, P.CARD_LAST, when));
        _store(holdingSlot, P.touch(holdingWord, P.HOLDING_FIRST, P.HOLDING_LAST, when));
        run.earnings = P.touch(earnings, P.EARNINGS_FIRST, P.EARNINGS_LAST, when);
    }

    // Storage slots of the per-settlement records (Solidity's mapping layout), so that each is
    // computed once and the word read once and written once.

    function _cardSlot(bytes32 cardId, address key) private pure returns (uint256 slot) {
        assembly ("memory-safe") {
            mstore(0x00, cardId)
            mstore(0x20, _cards.slot)
            mstore(0x20, keccak256(0x00, 0x40))
            mstore(0x00, key)
            slot := keccak256(0x00, 0x40)
        }
    }

    function _holdingSlot(uint64 account, uint32 merchantId) private pure returns (uint256 slot) {
        assembly ("memory-safe") {
            mstore(0x00, account)
            mstore(0x20, _holdings.slot)
            mstore(0x20, keccak256(0x00, 0x40))
            mstore(0x00, merchantId)
            slot := keccak256(0x00, 0x40)
        }
    }

    function _earningsSlot(uint32 merchantId) private pure returns (uint256 slot) {
        assembly ("memory-safe") {
            mstore(0x00, merchantId)
            mstore(0x20, _merchantEarnings.slot)
            slot := keccak256(0x00, 0x40)
        }
    }

    function _load(uint256 slot) private view returns (uint256 word) {
        assembly ("memory-safe") {
            word := sload(slot)
        }
    }

    function _store(uint256 slot, uint256 word) private {
        assembly ("memory-safe") {
            sstore(slot, word)
        }
    }

    /// @dev Callers bound `points` by what the holding earned and `credit` by the merchant's
    ///      credit points, so reversed counters never pass earned ones and never carry.
    function _reverse(uint64 account, uint32 merchantId, uint64 points, uint64 credit) private {
        _accountOutflows[account] += uint256(points) << P.ACCOUNT_REVERSED;
        _holdings[account][merchantId] += uint256(points) << P.HOLDING_REVERSED;
        _merchantOutflows[merchantId] += (uint256(points) << P.OUTFLOWS_REVERSED) | (uint256(credit) << P.OUTFLOWS_CREDIT_REVERSED);
        _outflows.reversed += points;
    }

    /// @dev Callers check the balance covers `points`, so redeemed never passes earned.
    function _redeem(uint64 account, uint32 merchantId, uint64 points) private {
        _accountOutflows[account] += uint256(points) << P.ACCOUNT_REDEEMED;
        _merchantOutflows[merchantId] += uint256(points) << P.OUTFLOWS_REDEEMED;
        _outflows.redeemed += points;
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IPointsLedger
    function settlementDigest(Settlement calldata settlement) external view returns (bytes32) {
        return _hashTypedDataV4(SettlementHashing.structHash(settlement));
    }

    /// @inheritdoc IPointsLedger
    function refundDigest(Refund calldata r) external view returns (bytes32) {
        return _hashTypedDataV4(_refundStructHash(r));
    }

    /// @inheritdoc IPointsLedger
    function redemptionDigest(Redemption calldata r) external view returns (bytes32) {
        return _hashTypedDataV4(_redemptionStructHash(r));
    }

    /// @inheritdoc IPointsLedger
    function settledOrderLeaf(SettledOrder calldata o) external pure returns (bytes32) {
        return _leaf(o.cardId, o.merchantId, o.orderId, o.terminal, o.nonce, o.amount, o.points, o.creditPoints);
    }

    /// @inheritdoc IPointsLedger
    function balanceOf(bytes32 cardId) external view returns (int256) {
        uint64 account = _accountOf(cardId);
        return _balance(_accountCardWord(account), _accountOutflows[account]);
    }

    /// @inheritdoc IPointsLedger
    function accountStats(bytes32 cardId) external view returns (AccountStats memory) {
        uint64 account = _accountOf(cardId);
        return P.toAccountStats(_accountCardWord(account), _accountOutflows[account]);
    }

    /// @inheritdoc IPointsLedger
    function cardCopy(
        bytes32 cardId,
        address key
    ) external view returns (ICardRegistry.CardStatus status, ICardRegistry.CardKind kind, uint64 account) {
        uint256 word = _load(_cardSlot(cardId, key));
        return (
            ICardRegistry.CardStatus(P.get(word, P.CARD_STATUS, P.MASK_8)),
            ICardRegistry.CardKind(P.get(word, P.CARD_KIND, P.MASK_8)),
            uint64(P.get(word, P.CARD_ACCOUNT, P.MASK_64))
        );
    }

    /// @inheritdoc IPointsLedger
    function holding(bytes32 cardId, uint32 merchantId) external view returns (Holding memory) {
        return P.toHolding(_holdings[_accountOf(cardId)][merchantId]);
    }

    /// @inheritdoc IPointsLedger
    function merchantStats(uint32 merchantId) external view returns (MerchantStats memory) {
        return P.toMerchantStats(_merchantEarnings[merchantId], _merchantOutflows[merchantId]);
    }

    /// @inheritdoc IPointsLedger
    function nonceUsed(address terminal, uint64 nonce) external view returns (bool) {
        return _isNonceUsed(terminal, nonce);
    }

    /// @inheritdoc IPointsLedger
    function batchChain(uint64 batchId) external view returns (bytes32) {
        uint64 count = _state.batchCount;
        if (batchId == 0 || batchId > count) return bytes32(0);
        if (count - batchId < CHAIN_RING) return _chain.ring[batchId % CHAIN_RING];
        return _chain.kept[batchId];
    }

    /// @inheritdoc IPointsLedger
    function batchCount() external view returns (uint64) {
        return _state.batchCount;
    }

    /// @inheritdoc IPointsLedger
    function refundedAmount(bytes32 leaf) external view returns (uint64) {
        return _refunded[leaf];
    }

    /// @inheritdoc IPointsLedger
    function totals() external view returns (uint256 earned, uint256 reversed, uint256 redeemed) {
        Outflows memory o = _outflows;
        return (_state.earned, o.reversed, o.redeemed);
    }

    // ------------------------------------------------------------------ internals

    function _isDualControlled(bytes4 selector) internal pure override returns (bool) {
        return selector == IPointsLedger.voidPoints.selector;
    }

    /// @dev Pausing and resuming are the bank's.
    function _actingInstitution(bytes4 selector) internal pure override returns (bytes32) {
        if (selector == IPointsLedger.pause.selector || selector == IPointsLedger.unpause.selector) return CredenceRoles.BANK;
        return bytes32(0);
    }

    function _accountOf(bytes32 cardId) private view returns (uint64 account) {
        account = ICardRegistry(registry).card(cardId).account;
        if (account == 0) revert ICardRegistry.CardUnknown(cardId);
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }

    /// @dev An account's balance from its card word (earned) and its outflows word.
    function _balance(uint256 cardWord, uint256 outflows) private pure returns (int256) {
        return
            int256(P.get(cardWord, P.CARD_EARNED, P.MASK_56)) -
            int256(P.get(outflows, P.ACCOUNT_REVERSED, P.MASK_56)) -
            int256(P.get(outflows, P.ACCOUNT_REDEEMED, P.MASK_56));
    }

    /// @dev The word of an account's current card (zero when the ledger has none).
    function _accountCardWord(uint64 account) private view returns (uint256) {
        uint256 slot = _accountCards[account];
        return slot == 0 ? 0 : _load(slot);
    }

    /// @dev Nonces are a bitmap per terminal: 256 nonces share one storage word, so a terminal
    ///      numbering its nonces in order pays for a new word once every 256 settlements.
    function _isNonceUsed(address terminal, uint64 nonce) private view returns (bool) {
        (, uint256 bits) = _nonceWord(terminal, nonce);
        return _hasNonce(bits, nonce);
    }

    /// @dev The storage slot of the word holding a terminal's nonce, `_nonces[terminal][nonce >> 8]`,
    ///      and that word: a settlement reads it once and writes it once.
    function _nonceWord(address terminal, uint64 nonce) private view returns (uint256 slot, uint256 bits) {
        assembly ("memory-safe") {
            mstore(0x00, terminal)
            mstore(0x20, _nonces.slot)
            mstore(0x20, keccak256(0x00, 0x40))
            mstore(0x00, shr(8, nonce))
            slot := keccak256(0x00, 0x40)
            bits := sload(slot)
        }
    }

    function _hasNonce(uint256 bits, uint64 nonce) private pure returns (bool) {
        return (bits >> (nonce & 0xff)) & 1 == 1;
    }

    function _useNonce(address terminal, uint64 nonce) private {
        _nonces[terminal][nonce >> 8] |= uint256(1) << (nonce & 0xff);
    }

    /// @dev The key that signed `digest`, or zero when the recovery fails (ECDSA rejects malleable
    ///      high-s signatures); no card word is ever kept under the zero key.
    function _signer(bytes32 digest, bytes32 r, bytes32 vs) private pure returns (address signer) {
        ECDSA.RecoverError err;
        (signer, err, ) = ECDSA.tryRecover(digest, r, vs);
        if (err != ECDSA.RecoverError.NoError) signer = address(0);
    }

    /// @dev ECDSA rejects malleable (high-s) signatures; a failed recovery returns false.
    function _signedBy(bytes32 digest, bytes32 r, bytes32 vs, address expected) private pure returns (bool) {
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecover(digest, r, vs);
        return err == ECDSA.RecoverError.NoError && signer == expected;
    }

    function _refundStructHash(Refund calldata r) private pure returns (bytes32) {
        return keccak256(abi.encode(REFUND_TYPEHASH, r));
    }

    function _redemptionStructHash(Redemption calldata r) private pure returns (bytes32) {
        return keccak256(abi.encode(REDEMPTION_TYPEHASH, r));
    }

    /// @dev A settled order's leaf. The settlement's terminal and nonce (used once, ever) make it
    ///      unique to the settlement, so two settlements of the same order never share a refund record.
    function _leaf(
        bytes32 cardId,
        uint32 merchantId,
        bytes32 orderId,
        address terminal,
        uint64 nonce,
        uint64 amount,
        uint64 points,
        uint64 creditPoints
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(cardId, merchantId, orderId, terminal, nonce, amount, points, creditPoints));
    }
}
