// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPointsLedger} from "../ledger/IPointsLedger.sol";

/// @title The credit score formulas (version 1), pure and integer-only.
/// @notice A score is an integer in 0..1000 computed from the ledger's lifetime statistics and
/// the current time. Every division rounds down. The TypeScript reference in
/// src/credit/score.ts implements the same functions; test/credit/score.spec.ts compares them.
///
/// Consumer card (from IPointsLedger.AccountStats), `net = earned - reversed`:
///   volume   = 400 * net / (net + 10_000)                       (half of it at 10,000 points)
///   breadth  = 200 * min(merchantCount, 10) / 10                (distinct merchants)
///   tenure   = 200 * min(months, 12) / 12,  months = (lastActivity - firstActivity) / 30 days
///   recency  = 100 if the last activity is at most 30 days old, 0 from 180 days, linear between
///   use      = 100 * min(redeemed, 1_000) / 1_000                (points actually spent)
///   score    = (volume + breadth + tenure + recency + use) * (10_000 - penalty) / 10_000
///   penalty  = min(10_000, 2 * reversed * 10_000 / earned)      (each 1% reversed costs 2%)
///
/// Merchant card (from IPointsLedger.MerchantStats), `net = creditPoints - creditPointsReversed`:
///   volume   = 400 * net / (net + 1_000)                        (half of it at 1,000 credit points)
///   reach    = 300 * min(consumersServed, 50) / 50
///   tenure, recency as for consumers (200 and 100)
///   score    = (volume + reach + tenure + recency) * (10_000 - penalty) / 10_000
///   penalty  = min(10_000, 2 * pointsReversed * 10_000 / pointsGranted)
///
/// A card with no points earned (a merchant with no points granted) scores 0.
/// @dev Guarantees (property-tested): 0 <= score <= 1000; the score never decreases when points
/// earned, points redeemed, distinct merchants, consumers served or credit points grow, or when
/// the first activity moves earlier; it never increases when points reversed grow or time
/// passes without activity. The sums cannot overflow: every input is below 2^64.
library CreditScoring {
    /// @notice Version of the formulas above; a change of any constant is a new version.
    uint16 internal constant VERSION = 1;
    uint256 internal constant MAX_SCORE = 1_000;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant MONTH = 30 days;

    uint256 internal constant VOLUME_WEIGHT = 400;
    uint256 internal constant CONSUMER_VOLUME_HALF = 10_000;
    uint256 internal constant MERCHANT_VOLUME_HALF = 1_000;
    uint256 internal constant BREADTH_WEIGHT = 200;
    uint256 internal constant BREADTH_FULL = 10;
    uint256 internal constant REACH_WEIGHT = 300;
    uint256 internal constant REACH_FULL = 50;
    uint256 internal constant TENURE_WEIGHT = 200;
    uint256 internal constant TENURE_FULL_MONTHS = 12;
    uint256 internal constant RECENCY_WEIGHT = 100;
    uint256 internal constant RECENCY_FULL = 30 days;
    uint256 internal constant RECENCY_ZERO = 180 days;
    uint256 internal constant USE_WEIGHT = 100;
    uint256 internal constant USE_FULL = 1_000;
    uint256 internal constant REVERSAL_PENALTY = 2;

    /// @notice A consumer card's score at time `now_` (seconds).
    function consumerScore(IPointsLedger.AccountStats memory s, uint256 now_) internal pure returns (uint256) {
        if (s.earned == 0 || s.reversed >= s.earned) return 0;
        uint256 net = uint256(s.earned) - s.reversed;
        uint256 raw = _saturating(VOLUME_WEIGHT, net, CONSUMER_VOLUME_HALF) +
            _capped(BREADTH_WEIGHT, s.merchantCount, BREADTH_FULL) +
            _tenure(s.firstActivity, s.lastActivity) +
            _recency(s.lastActivity, now_) +
            _capped(USE_WEIGHT, s.redeemed, USE_FULL);
        return _penalised(raw, s.reversed, s.earned);
    }

    /// @notice A merchant card's score at time `now_` (seconds).
    function merchantScore(IPointsLedger.MerchantStats memory s, uint256 now_) internal pure returns (uint256) {
        if (s.pointsGranted == 0 || s.pointsReversed >= s.pointsGranted) return 0;
        uint256 net = s.creditPointsReversed >= s.creditPoints ? 0 : uint256(s.creditPoints) - s.creditPointsReversed;
        uint256 raw = _saturating(VOLUME_WEIGHT, net, MERCHANT_VOLUME_HALF) +
            _capped(REACH_WEIGHT, s.consumersServed, REACH_FULL) +
            _tenure(s.firstActivity, s.lastActivity) +
            _recency(s.lastActivity, now_);
        return _penalised(raw, s.pointsReversed, s.pointsGranted);
    }

    /// @dev weight * x / (x + half): 0 at 0, weight / 2 at `half`, below `weight` for ever.
    function _saturating(uint256 weight, uint256 x, uint256 half) private pure returns (uint256) {
        return (weight * x) / (x + half);
    }

    /// @dev weight * min(x, full) / full.
    function _capped(uint256 weight, uint256 x, uint256 full) private pure returns (uint256) {
        return (weight * (x < full ? x : full)) / full;
    }

    function _tenure(uint256 first, uint256 last) private pure returns (uint256) {
        if (first == 0 || last <= first) return 0;
        return _capped(TENURE_WEIGHT, (last - first) / MONTH, TENURE_FULL_MONTHS);
    }

    function _recency(uint256 last, uint256 now_) private pure returns (uint256) {
        if (last == 0) return 0;
        // A terminal clock may run slightly ahead: activity "in the future" counts as now.
        uint256 age = now_ > last ? now_ - last : 0;
        if (age <= RECENCY_FULL) return RECENCY_WEIGHT;
        if (age >= RECENCY_ZERO) return 0;
        return (RECENCY_WEIGHT * (RECENCY_ZERO - age)) / (RECENCY_ZERO - RECENCY_FULL);
    }

    /// @dev raw * (1 - 2 * reversed / total), in basis points, never below zero.
    function _penalised(uint256 raw, uint256 reversed, uint256 total) private pure returns (uint256) {
        uint256 penalty = (REVERSAL_PENALTY * reversed * BPS) / total;
        if (penalty >= BPS) return 0;
        return (raw * (BPS - penalty)) / BPS;
    }
}
