// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IMerchantRegistry} from "./IMerchantRegistry.sol";
import {ICardRegistry} from "./ICardRegistry.sol";
import {DualControl} from "../access/DualControl.sol";
import {PointsMath} from "../libraries/PointsMath.sol";
import {IPointsLedger} from "../ledger/IPointsLedger.sol";

/// @title Merchants, terminals, versioned agreements and the credit-point rule.
/// @notice Every change here is a bank operator's `act` (DualControl): the functions are
/// callable by the registry itself alone.
/// @dev Invariants: agreement versions are append-only (a settlement's recorded version always
/// resolves to the rule that priced it); a terminal belongs to exactly one merchant for life; a
/// merchant is in service only while it is active and its bound merchant card is active
/// (docs/adr/0003-merchant-card-status.md).
abstract contract MerchantRegistry is IMerchantRegistry, AccessControl, DualControl {
    /// @notice Upper bound of an agreement's base rate and of every category's rate, the base
    /// rate times the category's multiplier (10 points per minor unit).
    uint32 public constant MAX_BASE_RATE_BPS = 100_000;
    /// @notice Upper bound of a category multiplier, in percent (10x).
    uint16 public constant MAX_CATEGORY_MULTIPLIER = 1_000;
    /// @notice Upper bound of the credit-point rate (1 credit point per point).
    uint16 public constant MAX_CREDIT_RATE_BPS = 10_000;

    /// @dev A merchant as stored: `Merchant`, and whether its card is active, which the card
    ///      registry's status changes keep (`_merchantCardStatusChanged`, `_moveMerchantCard`), so
    ///      that a merchant's standing is one storage word beside its agreement version.
    struct MerchantRecord {
        bytes32 cardId;
        uint32 agreementVersion;
        bool active;
        bool cardActive;
    }

    mapping(uint32 merchantId => MerchantRecord) private _merchants;
    mapping(bytes32 cardId => uint32 merchantId) private _merchantOfCard;
    mapping(address terminalKey => Terminal) private _terminals;
    mapping(uint32 merchantId => mapping(uint32 version => Agreement)) private _agreements;
    mapping(uint32 version => uint16 rateBps) private _creditRates;
    uint32 private _merchantCount;
    uint32 private _creditRuleVersion;
    /// @dev The current rule's rate (also in `_creditRates`), in the word of its version.
    uint16 private _creditRate;

    /// @inheritdoc IMerchantRegistry
    function registerMerchant(bytes32 merchantCardId) external onlySelf returns (uint32 merchantId) {
        ICardRegistry.Card memory c = _cardForMerchant(merchantCardId);
        if (c.status != ICardRegistry.CardStatus.Active || c.kind != ICardRegistry.CardKind.Merchant) {
            revert MerchantCardNotEligible(merchantCardId);
        }
        uint32 bound = _merchantOfCard[merchantCardId];
        if (bound != 0) revert MerchantCardAlreadyBound(merchantCardId, bound);
        merchantId = ++_merchantCount;
        _merchants[merchantId] = MerchantRecord({cardId: merchantCardId, agreementVersion: 0, active: true, cardActive: true});
        _merchantOfCard[merchantCardId] = merchantId;
        _recordMerchantTerms(merchantId);
        emit MerchantRegistered(merchantId, merchantCardId);
    }

    /// @inheritdoc IMerchantRegistry
    function setMerchantActive(uint32 merchantId, bool active) external onlySelf {
        _existingMerchant(merchantId).active = active;
        _recordMerchantTerms(merchantId);
        emit MerchantActivationChanged(merchantId, active);
    }

    /// @inheritdoc IMerchantRegistry
    function registerTerminal(address terminalKey, uint32 merchantId) external onlySelf {
        if (terminalKey == address(0)) revert TerminalInvalidKey();
        _existingMerchant(merchantId);
        if (_terminals[terminalKey].merchantId != 0) revert TerminalAlreadyRegistered(terminalKey);
        _terminals[terminalKey] = Terminal({merchantId: merchantId, enabled: true});
        _recordTerminal(terminalKey, merchantId, true);
        emit TerminalRegistered(terminalKey, merchantId);
    }

    /// @inheritdoc IMerchantRegistry
    function setTerminalEnabled(address terminalKey, bool enabled) external onlySelf {
        Terminal storage t = _terminals[terminalKey];
        if (t.merchantId == 0) revert TerminalUnknown(terminalKey);
        t.enabled = enabled;
        _recordTerminal(terminalKey, t.merchantId, enabled);
        emit TerminalEnabledChanged(terminalKey, enabled);
    }

    /// @inheritdoc IMerchantRegistry
    function setAgreement(
        uint32 merchantId,
        Agreement calldata terms
    ) external onlySelf returns (uint32 version) {
        MerchantRecord storage m = _existingMerchant(merchantId);
        if (terms.baseRateBps > MAX_BASE_RATE_BPS) revert AgreementInvalid("baseRateBps");
        if (terms.maxPointsPerSettlement == 0) revert AgreementInvalid("maxPointsPerSettlement");
        if (terms.validFrom >= terms.validUntil) revert AgreementInvalid("validity");
        if (terms.currency == bytes3(0)) revert AgreementInvalid("currency");
        if (!_categoryRatesBounded(terms.baseRateBps, terms.categoryMultipliers)) {
            revert AgreementInvalid("categoryMultipliers");
        }
        version = ++m.agreementVersion;
        _agreements[merchantId][version] = terms;
        _recordMerchantTerms(merchantId);
        emit AgreementSet(merchantId, version, terms);
    }

    /// @inheritdoc IMerchantRegistry
    function setCreditPointRule(uint16 rateBps) external onlySelf returns (uint32 version) {
        if (rateBps > MAX_CREDIT_RATE_BPS) revert CreditRuleInvalid(rateBps);
        version = ++_creditRuleVersion;
        _creditRates[version] = rateBps;
        _creditRate = rateBps;
        _recordCreditPointRule();
        emit CreditPointRuleSet(version, rateBps);
    }

    /// @inheritdoc IMerchantRegistry
    function merchant(uint32 merchantId) external view returns (Merchant memory) {
        MerchantRecord storage m = _merchants[merchantId];
        return Merchant({cardId: m.cardId, agreementVersion: m.agreementVersion, active: m.active});
    }

    /// @inheritdoc IMerchantRegistry
    function merchantCount() external view returns (uint32) {
        return _merchantCount;
    }

    /// @inheritdoc IMerchantRegistry
    function merchantOfCard(bytes32 cardId) external view returns (uint32) {
        return _merchantOfCard[cardId];
    }

    /// @inheritdoc IMerchantRegistry
    function terminal(address terminalKey) external view returns (Terminal memory) {
        return _terminals[terminalKey];
    }

    /// @inheritdoc IMerchantRegistry
    function agreement(uint32 merchantId, uint32 version) external view returns (Agreement memory) {
        return _agreements[merchantId][version];
    }

    /// @inheritdoc IMerchantRegistry
    function creditPointRule() external view returns (uint32 version, uint16 rateBps) {
        version = _creditRuleVersion;
        rateBps = _creditRate;
    }

    /// @inheritdoc IMerchantRegistry
    function creditPointRate(uint32 version) external view returns (uint16 rateBps) {
        return _creditRates[version];
    }

    /// @inheritdoc IMerchantRegistry
    function settlementTerms(address terminalKey) external view returns (SettlementTerms memory terms) {
        Terminal memory t = _terminals[terminalKey];
        if (t.merchantId == 0) return terms;
        // One word of the merchant's record (not its card ID) and one of the credit rule.
        MerchantRecord storage m = _merchants[t.merchantId];
        terms.merchantId = t.merchantId;
        terms.terminalEnabled = t.enabled;
        terms.merchantActive = m.active;
        terms.merchantCardActive = m.cardActive;
        terms.agreementVersion = m.agreementVersion;
        terms.agreement = _agreements[t.merchantId][terms.agreementVersion];
        terms.creditRuleVersion = _creditRuleVersion;
        terms.creditRateBps = _creditRate;
    }

    /// @inheritdoc IMerchantRegistry
    function terminalStanding(address terminalKey) external view returns (TerminalStanding memory standing) {
        Terminal memory t = _terminals[terminalKey];
        if (t.merchantId == 0) return standing;
        MerchantRecord storage m = _merchants[t.merchantId];
        standing = TerminalStanding({
            merchantId: t.merchantId,
            terminalEnabled: t.enabled,
            merchantActive: m.active,
            merchantCardActive: m.cardActive
        });
    }

    /// @dev A merchant takes payments only while its card is active: a frozen card suspends it, a
    ///      closed one ends its service until the card is replaced (the merchant follows the new
    ///      card). Called on every status change of a card; a card bound to no merchant is ignored.
    function _merchantCardStatusChanged(bytes32 cardId, bool active) internal {
        uint32 merchantId = _merchantOfCard[cardId];
        if (merchantId == 0) return;
        _merchants[merchantId].cardActive = active;
        _recordMerchantTerms(merchantId);
    }

    /// @dev Whether every category's multiplier is at most MAX_CATEGORY_MULTIPLIER and its rate,
    ///      baseRateBps * multiplier / 100, at most MAX_BASE_RATE_BPS. Cannot overflow: the
    ///      product of a 32-bit rate and a 16-bit multiplier fits in 48 bits.
    function _categoryRatesBounded(uint32 baseRateBps, uint256 packedMultipliers) private pure returns (bool) {
        for (uint8 c; c < PointsMath.CATEGORY_COUNT; ++c) {
            uint256 multiplier = PointsMath.multiplierOf(packedMultipliers, c);
            if (multiplier > MAX_CATEGORY_MULTIPLIER) return false;
            if (uint256(baseRateBps) * multiplier > uint256(MAX_BASE_RATE_BPS) * PointsMath.MULTIPLIER_SCALE) return false;
        }
        return true;
    }

    /// @dev The card a merchant is to be bound to (the registry reads its own card records).
    function _cardForMerchant(bytes32 cardId) internal view virtual returns (ICardRegistry.Card memory);

    /// @dev Binds the merchant of `oldCardId`, if any, to `newCardId`, its replacement.
    function _moveMerchantCard(bytes32 oldCardId, bytes32 newCardId) internal {
        uint32 merchantId = _merchantOfCard[oldCardId];
        if (merchantId == 0) return;
        delete _merchantOfCard[oldCardId];
        _merchantOfCard[newCardId] = merchantId;
        MerchantRecord storage m = _merchants[merchantId];
        m.cardId = newCardId;
        m.cardActive = true; // a replacement card is issued active
        _recordMerchantTerms(merchantId);
        emit MerchantCardReplaced(merchantId, oldCardId, newCardId);
    }

    /// @dev The ledger that keeps copies of what settlements need of the registry (none before it
    ///      is named: no merchant, terminal or card exists then, and the credit rule is recorded
    ///      when it is named, `_recordCreditPointRule`).
    function _termsLedger() internal view virtual returns (address);

    /// @dev Records a merchant's standing and current agreement in the ledger, in the transaction
    ///      that changes either, so that the ledger's copy never lags the registry.
    function _recordMerchantTerms(uint32 merchantId) private {
        address ledger_ = _termsLedger();
        if (ledger_ == address(0)) return;
        MerchantRecord storage m = _merchants[merchantId];
        uint32 version = m.agreementVersion;
        IPointsLedger(ledger_).recordMerchantTerms(merchantId, m.active, m.cardActive, version, _agreements[merchantId][version]);
    }

    /// @dev Records a terminal's merchant and standing in the ledger.
    function _recordTerminal(address terminalKey, uint32 merchantId, bool enabled) private {
        address ledger_ = _termsLedger();
        if (ledger_ != address(0)) IPointsLedger(ledger_).recordTerminal(terminalKey, merchantId, enabled);
    }

    /// @dev Records the credit-point rule in force in the ledger.
    function _recordCreditPointRule() internal {
        address ledger_ = _termsLedger();
        if (ledger_ != address(0)) IPointsLedger(ledger_).recordCreditPointRule(_creditRuleVersion, _creditRate);
    }

    function _existingMerchant(uint32 merchantId) private view returns (MerchantRecord storage m) {
        m = _merchants[merchantId];
        if (m.cardId == bytes32(0)) revert MerchantUnknown(merchantId);
    }
}
