// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title The points formulas, pure and integer-only.
/// @notice Every result rounds down (toward zero); an auditor recomputes each figure exactly.
/// The TypeScript reference in src/domain/points.ts implements the same functions.
library PointsMath {
    /// @notice Base rates and the credit-point rate are in basis points.
    uint256 internal constant RATE_SCALE = 10_000;
    /// @notice Category multipliers are percentages (100 = 1x).
    uint256 internal constant MULTIPLIER_SCALE = 100;
    /// @notice Number of categories an agreement prices (0..15).
    uint8 internal constant CATEGORY_COUNT = 16;

    /// @notice The multiplier of `category` in a packed multiplier word.
    function multiplierOf(uint256 packedMultipliers, uint8 category) internal pure returns (uint16) {
        return uint16(packedMultipliers >> (uint256(category) * 16));
    }

    /// @notice Points a settlement earns: amount * baseRateBps * multiplier / (10_000 * 100),
    /// rounded down, capped at `maxPoints`.
    /// @dev Cannot overflow: amount < 2^64, baseRateBps < 2^32, multiplier < 2^16.
    function settlementPoints(
        uint64 amount,
        uint32 baseRateBps,
        uint16 multiplier,
        uint32 maxPoints
    ) internal pure returns (uint64) {
        uint256 points;
        // Cannot overflow: the product of 64, 32 and 16 bits stays below 2^112.
        unchecked {
            points = (uint256(amount) * baseRateBps * multiplier) / (RATE_SCALE * MULTIPLIER_SCALE);
        }
        return points > maxPoints ? maxPoints : uint64(points);
    }

    /// @notice Credit points a merchant earns for granting `points`: points * rateBps / 10_000.
    function creditPoints(uint64 points, uint16 creditRateBps) internal pure returns (uint64) {
        // Cannot overflow: the product is below 2^80. The quotient is at most `points` (so fits 64
        // bits) because the registry bounds the rate at 10,000 bps (MAX_CREDIT_RATE_BPS).
        unchecked {
            return uint64((uint256(points) * creditRateBps) / RATE_SCALE);
        }
    }

    /// @notice The share of `total` reversed when the refunded amount of an order of `amount`
    /// grows from `refundedBefore` to `refundedAfter`.
    /// @dev Computed as a difference of cumulative shares, so any sequence of partial refunds
    /// that adds up to the full amount reverses exactly `total`, never more, never less.
    function reversedShare(
        uint64 total,
        uint64 amount,
        uint64 refundedBefore,
        uint64 refundedAfter
    ) internal pure returns (uint64) {
        uint256 before_ = (uint256(total) * refundedBefore) / amount;
        uint256 after_ = (uint256(total) * refundedAfter) / amount;
        return uint64(after_ - before_);
    }
}
