// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICardRegistry} from "../registry/ICardRegistry.sol";

/// @title Credit scores: a score for every card, computed on chain from the ledger's statistics.
/// @notice The formulas are in contracts/libraries/CreditScoring.sol (version `SCORE_VERSION`).
/// Scores are views: nothing is stored, so a score is always that of the current block.
interface ICreditScores {
    /// @notice A card's score and the points the credit policy's tiers look at.
    /// `points` is the consumer's net points earned (earned - reversed: redeeming does not lower
    /// it) or, for a merchant card, the merchant's net credit points.
    struct CardScore {
        bytes32 cardId;
        uint64 account;
        ICardRegistry.CardKind kind;
        ICardRegistry.CardStatus status;
        uint32 merchantId;
        uint16 score;
        uint64 points;
    }

    /// @dev No card with this ID.
    error CreditScoresCardUnknown(bytes32 cardId);
    /// @dev A page must hold 1..MAX_PAGE accounts.
    error CreditScoresPageSize(uint256 count, uint256 max);
    /// @dev Accounts are numbered from 1.
    error CreditScoresAccountZero();

    /// @notice Version of the score formulas.
    function SCORE_VERSION() external view returns (uint16);

    /// @notice Largest page `scoresPage` serves.
    function MAX_PAGE() external view returns (uint256);

    /// @notice One card's score now.
    function scoreOf(bytes32 cardId) external view returns (CardScore memory);

    /// @notice The scores of the current cards of accounts `fromAccount`, `fromAccount + 1`, ...
    /// (at most `count`, fewer at the end).
    /// @return page the scores, one per account, in account order.
    /// @return nextAccount the first account of the next page, or 0 after the last account.
    function scoresPage(uint64 fromAccount, uint256 count) external view returns (CardScore[] memory page, uint64 nextAccount);

    /// @notice Number of accounts (pages cover 1..accountCount).
    function accountCount() external view returns (uint64);
}
