// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPointsLedger} from "../ledger/IPointsLedger.sol";
import {CreditScoring} from "../libraries/CreditScoring.sol";

/// @title Test harness: exposes the pure score library so tests compare it with the TypeScript
/// reference on arbitrary inputs, at an explicit time. Not deployed by deployCredence.
contract CreditScoringHarness {
    /// @notice CreditScoring.consumerScore at `now_`.
    function consumerScore(IPointsLedger.AccountStats calldata s, uint256 now_) external pure returns (uint256) {
        return CreditScoring.consumerScore(s, now_);
    }

    /// @notice CreditScoring.merchantScore at `now_`.
    function merchantScore(IPointsLedger.MerchantStats calldata s, uint256 now_) external pure returns (uint256) {
        return CreditScoring.merchantScore(s, now_);
    }
}
