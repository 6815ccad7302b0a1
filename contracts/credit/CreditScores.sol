// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICreditScores} from "./ICreditScores.sol";
import {ICardRegistry} from "../registry/ICardRegistry.sol";
import {IMerchantRegistry} from "../registry/IMerchantRegistry.sol";
import {IPointsLedger} from "../ledger/IPointsLedger.sol";
import {CreditScoring} from "../libraries/CreditScoring.sol";

/// @title Credit scores of every card, read from the registry and the ledger.
/// @notice Stateless: it holds no data and no role, so anyone (the credit center, an auditor)
/// reads the same score. Pages walk the registry's accounts, each at its latest card, so a
/// replaced card is scored once, under its replacement.
/// @dev A merchant card is scored from the statistics of the merchant it is bound to
/// (`merchantOfCard`); a merchant card bound to no merchant scores 0.
contract CreditScores is ICreditScores {
    /// @inheritdoc ICreditScores
    uint16 public constant SCORE_VERSION = CreditScoring.VERSION;
    /// @inheritdoc ICreditScores
    uint256 public constant MAX_PAGE = 200;

    /// @notice Where cards and merchants live.
    address public immutable registry;
    /// @notice Where the points statistics live.
    address public immutable ledger;

    constructor(address registry_, address ledger_) {
        registry = registry_;
        ledger = ledger_;
    }

    /// @inheritdoc ICreditScores
    function scoreOf(bytes32 cardId) external view returns (CardScore memory) {
        ICardRegistry.Card memory c = ICardRegistry(registry).card(cardId);
        if (c.status == ICardRegistry.CardStatus.None) revert CreditScoresCardUnknown(cardId);
        return _score(cardId, c);
    }

    /// @inheritdoc ICreditScores
    function scoresPage(uint64 fromAccount, uint256 count) external view returns (CardScore[] memory page, uint64 nextAccount) {
        if (count == 0 || count > MAX_PAGE) revert CreditScoresPageSize(count, MAX_PAGE);
        if (fromAccount == 0) revert CreditScoresAccountZero();
        ICardRegistry cards = ICardRegistry(registry);
        uint64 total = cards.accountCount();
        if (fromAccount > total) return (page, 0);
        // Both bounded: count <= MAX_PAGE and fromAccount <= total < 2^64.
        uint256 n = total - fromAccount + 1;
        if (n > count) n = count;
        page = new CardScore[](n);
        for (uint256 i; i < n; ++i) {
            bytes32 cardId = cards.cardOfAccount(fromAccount + uint64(i));
            page[i] = _score(cardId, cards.card(cardId));
        }
        uint256 next = uint256(fromAccount) + n;
        nextAccount = next > total ? 0 : uint64(next);
    }

    /// @inheritdoc ICreditScores
    function accountCount() external view returns (uint64) {
        return ICardRegistry(registry).accountCount();
    }

    function _score(bytes32 cardId, ICardRegistry.Card memory c) private view returns (CardScore memory s) {
        s.cardId = cardId;
        s.account = c.account;
        s.kind = c.kind;
        s.status = c.status;
        if (c.kind == ICardRegistry.CardKind.Consumer) {
            IPointsLedger.AccountStats memory stats = IPointsLedger(ledger).accountStats(cardId);
            s.score = uint16(CreditScoring.consumerScore(stats, block.timestamp));
            s.points = stats.reversed >= stats.earned ? 0 : stats.earned - stats.reversed;
        } else {
            s.merchantId = IMerchantRegistry(registry).merchantOfCard(cardId);
            if (s.merchantId == 0) return s;
            IPointsLedger.MerchantStats memory stats = IPointsLedger(ledger).merchantStats(s.merchantId);
            s.score = uint16(CreditScoring.merchantScore(stats, block.timestamp));
            s.points = stats.creditPointsReversed >= stats.creditPoints ? 0 : stats.creditPoints - stats.creditPointsReversed;
        }
    }
}
