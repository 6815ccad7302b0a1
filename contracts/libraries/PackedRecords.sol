// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPointsLedger} from "../ledger/IPointsLedger.sol";
import {IMerchantRegistry} from "../registry/IMerchantRegistry.sol";

/// @title Bit layouts of the ledger's per-card, per-account, per-holding and per-merchant records.
/// @notice Each record is one storage word so a settlement reads and writes it exactly once
/// (one SLOAD, one SSTORE), and a merchant's counters are split by who changes them, so a
/// settlement touches one merchant word; the views decode words into the structs of IPointsLedger.
/// Fields are listed from the least significant bit.
/// - Card (the ledger's copy of a registry card, keyed by card ID and card key, with what a
///   settlement changes of its account): earned 56 | merchantCount 24 | firstActivity 32 |
///   lastActivity 32 | account 64 | status 8 | kind 8. The account's figures live in the word of
///   its current card and move to a replacement card with the account.
/// - Account outflows (what refunds, corrections and redemptions change): reversed 56 | redeemed 56
///   | (unused) | opened 1 (bit 255)
/// - Holding:  earned 64 | reversed 64 | firstActivity 32 | lastActivity 32
/// - Merchant earnings (what settlements change): pointsGranted 64 | creditPoints 64 |
///   consumersServed 32 | firstActivity 32 | lastActivity 32
/// - Merchant outflows (what refunds, corrections and redemptions change): pointsReversed 64 |
///   creditPointsReversed 64 | pointsRedeemed 64
/// - Terminal (the ledger's copy of a registry terminal): merchantId 32 | enabled 1
/// - Merchant terms (the ledger's copy of a merchant's standing and current agreement, beside its
///   category multipliers, packed as the registry packs them, in a word of their own): active 1 |
///   cardActive 1 | agreementVersion 32 | baseRateBps 32 | maxPointsPerSettlement 32 | minAmount
///   50 | validFrom 40 | validUntil 40 | currency 24. A minimum amount above the ledger's
///   MAX_AMOUNT is kept as MAX_AMOUNT + 1, which refuses every amount just as it does.
/// @dev Adding to a field never carries into its neighbour because the ledger bounds every
/// counter before it adds: see the invariants in PointsLedger.
library PackedRecords {
    uint256 internal constant CARD_EARNED = 0;
    uint256 internal constant CARD_MERCHANTS = 56;
    uint256 internal constant CARD_FIRST = 80;
    uint256 internal constant CARD_LAST = 112;
    uint256 internal constant CARD_ACCOUNT = 144;
    uint256 internal constant CARD_STATUS = 208;
    uint256 internal constant CARD_KIND = 216;
    /// @dev The account's figures in a card word (bits 0..143), which move with the account.
    uint256 internal constant CARD_ACCOUNT_FIGURES = (1 << 144) - 1;

    uint256 internal constant ACCOUNT_REVERSED = 0;
    uint256 internal constant ACCOUNT_REDEEMED = 56;
    /// @dev Set when the account is opened (its first card recorded), so that its first refund or
    ///      redemption rewrites a word rather than creating one; no counter reaches it.
    uint256 internal constant ACCOUNT_OPENED = 255;

    uint256 internal constant HOLDING_EARNED = 0;
    uint256 internal constant HOLDING_REVERSED = 64;
    uint256 internal constant HOLDING_FIRST = 128;
    uint256 internal constant HOLDING_LAST = 160;

    uint256 internal constant EARNINGS_GRANTED = 0;
    uint256 internal constant EARNINGS_CREDIT = 64;
    uint256 internal constant EARNINGS_CONSUMERS = 128;
    uint256 internal constant EARNINGS_FIRST = 160;
    uint256 internal constant EARNINGS_LAST = 192;

    uint256 internal constant OUTFLOWS_REVERSED = 0;
    uint256 internal constant OUTFLOWS_CREDIT_REVERSED = 64;
    uint256 internal constant OUTFLOWS_REDEEMED = 128;

    uint256 internal constant TERMINAL_MERCHANT = 0;
    uint256 internal constant TERMINAL_ENABLED = 32;

    uint256 internal constant TERMS_ACTIVE = 0;
    uint256 internal constant TERMS_CARD_ACTIVE = 1;
    uint256 internal constant TERMS_VERSION = 2;
    uint256 internal constant TERMS_BASE_RATE = 34;
    uint256 internal constant TERMS_MAX_POINTS = 66;
    uint256 internal constant TERMS_MIN_AMOUNT = 98;
    uint256 internal constant TERMS_VALID_FROM = 148;
    uint256 internal constant TERMS_VALID_UNTIL = 188;
    uint256 internal constant TERMS_CURRENCY = 228;

    uint256 internal constant MASK_1 = 1;
    uint256 internal constant MASK_8 = type(uint8).max;
    uint256 internal constant MASK_40 = type(uint40).max;
    uint256 internal constant MASK_50 = (1 << 50) - 1;
    uint256 internal constant MASK_24 = type(uint24).max;
    uint256 internal constant MASK_160 = type(uint160).max;
    uint256 internal constant MASK_32 = type(uint32).max;
    uint256 internal constant MASK_56 = type(uint56).max;
    uint256 internal constant MASK_64 = type(uint64).max;

    /// @notice The field of `bits` bits at `shift`.
    function get(uint256 word, uint256 shift, uint256 mask) internal pure returns (uint256) {
        return (word >> shift) & mask;
    }

    /// @notice `word` with the field at `shift` replaced by `value` (which must fit the mask).
    function set(uint256 word, uint256 shift, uint256 mask, uint256 value) internal pure returns (uint256) {
        return (word & ~(mask << shift)) | (value << shift);
    }

    /// @notice Record activity at `when`: first activity if none yet, last activity if later.
    function touch(uint256 word, uint256 firstShift, uint256 lastShift, uint256 when) internal pure returns (uint256) {
        if (get(word, firstShift, MASK_32) == 0) word = set(word, firstShift, MASK_32, when);
        if (when > get(word, lastShift, MASK_32)) word = set(word, lastShift, MASK_32, when);
        return word;
    }

    /// @notice A merchant's terms word: its standing and its agreement, whose minimum amount is
    /// at most `amountCeiling` (a larger one is kept as `amountCeiling`).
    function merchantTerms(
        bool active,
        bool cardActive,
        uint32 agreementVersion,
        IMerchantRegistry.Agreement calldata a,
        uint256 amountCeiling
    ) internal pure returns (uint256 word) {
        uint256 minAmount = a.minAmount > amountCeiling ? amountCeiling : a.minAmount;
        word =
            (active ? 1 << TERMS_ACTIVE : 0) |
            (cardActive ? 1 << TERMS_CARD_ACTIVE : 0) |
            (uint256(agreementVersion) << TERMS_VERSION) |
            (uint256(a.baseRateBps) << TERMS_BASE_RATE) |
            (uint256(a.maxPointsPerSettlement) << TERMS_MAX_POINTS) |
            (minAmount << TERMS_MIN_AMOUNT) |
            (uint256(a.validFrom) << TERMS_VALID_FROM) |
            (uint256(a.validUntil) << TERMS_VALID_UNTIL) |
            (uint256(uint24(a.currency)) << TERMS_CURRENCY);
    }

    /// @notice The settlement terms of a registered terminal, from its word, its merchant's terms
    /// word and category multipliers, and the credit-point rule in force.
    function toSettlementTerms(
        uint256 terminal,
        uint256 terms,
        uint256 multipliers,
        uint32 creditRuleVersion,
        uint16 creditRateBps
    ) internal pure returns (IMerchantRegistry.SettlementTerms memory t) {
        t.merchantId = uint32(get(terminal, TERMINAL_MERCHANT, MASK_32));
        t.terminalEnabled = get(terminal, TERMINAL_ENABLED, MASK_1) == 1;
        t.merchantActive = get(terms, TERMS_ACTIVE, MASK_1) == 1;
        t.merchantCardActive = get(terms, TERMS_CARD_ACTIVE, MASK_1) == 1;
        t.agreementVersion = uint32(get(terms, TERMS_VERSION, MASK_32));
        t.agreement = IMerchantRegistry.Agreement({
            baseRateBps: uint32(get(terms, TERMS_BASE_RATE, MASK_32)),
            maxPointsPerSettlement: uint32(get(terms, TERMS_MAX_POINTS, MASK_32)),
            minAmount: uint64(get(terms, TERMS_MIN_AMOUNT, MASK_50)),
            validFrom: uint40(get(terms, TERMS_VALID_FROM, MASK_40)),
            validUntil: uint40(get(terms, TERMS_VALID_UNTIL, MASK_40)),
            currency: bytes3(uint24(get(terms, TERMS_CURRENCY, MASK_24))),
            categoryMultipliers: multipliers
        });
        t.creditRuleVersion = creditRuleVersion;
        t.creditRateBps = creditRateBps;
    }

    function toAccountStats(uint256 card, uint256 outflows) internal pure returns (IPointsLedger.AccountStats memory) {
        return
            IPointsLedger.AccountStats({
                earned: uint56(get(card, CARD_EARNED, MASK_56)),
                reversed: uint56(get(outflows, ACCOUNT_REVERSED, MASK_56)),
                redeemed: uint56(get(outflows, ACCOUNT_REDEEMED, MASK_56)),
                merchantCount: uint24(get(card, CARD_MERCHANTS, MASK_24)),
                firstActivity: uint32(get(card, CARD_FIRST, MASK_32)),
                lastActivity: uint32(get(card, CARD_LAST, MASK_32))
            });
    }

    function toHolding(uint256 w) internal pure returns (IPointsLedger.Holding memory) {
        return
            IPointsLedger.Holding({
                earned: uint64(get(w, HOLDING_EARNED, MASK_64)),
                reversed: uint64(get(w, HOLDING_REVERSED, MASK_64)),
                firstActivity: uint32(get(w, HOLDING_FIRST, MASK_32)),
                lastActivity: uint32(get(w, HOLDING_LAST, MASK_32))
            });
    }

    function toMerchantStats(uint256 earnings, uint256 outflows) internal pure returns (IPointsLedger.MerchantStats memory) {
        return
            IPointsLedger.MerchantStats({
                pointsGranted: uint64(get(earnings, EARNINGS_GRANTED, MASK_64)),
                pointsReversed: uint64(get(outflows, OUTFLOWS_REVERSED, MASK_64)),
                creditPoints: uint64(get(earnings, EARNINGS_CREDIT, MASK_64)),
                creditPointsReversed: uint64(get(outflows, OUTFLOWS_CREDIT_REVERSED, MASK_64)),
                pointsRedeemed: uint64(get(outflows, OUTFLOWS_REDEEMED, MASK_64)),
                consumersServed: uint32(get(earnings, EARNINGS_CONSUMERS, MASK_32)),
                firstActivity: uint32(get(earnings, EARNINGS_FIRST, MASK_32)),
                lastActivity: uint32(get(earnings, EARNINGS_LAST, MASK_32))
            });
    }
}
