// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ICardRegistry} from "../registry/ICardRegistry.sol";
import {IMerchantRegistry} from "../registry/IMerchantRegistry.sol";
import {IDualControl} from "../access/IDualControl.sol";
import {ICredenceOperators} from "../access/ICredenceOperators.sol";
import {IPointsLedger} from "../ledger/IPointsLedger.sol";

/// @title TEST ONLY: a registry front that lies to the ledger, so auditor tests can build a
/// faulty ledger out of the real, unmodified PointsLedger.
/// @notice A PointsLedger deployed with this contract as its registry reads roles and cards from
/// the real registry, but the settlement terms this front reports: it can inflate an agreement's
/// base rate (the ledger then grants more points than the agreement says) and make an
/// unregistered key pass for a registered terminal, report another key as a card's, or report
/// frozen or closed merchant cards as active. The auditor, which replays the REAL registry's
/// events, must name each. It records cards and terminals' terms in its ledger as it reports them
/// (`recordCards`, `recordTerminals`, and again after each lie it is told), a substituted key
/// included, where the real registry records them in the real ledger.
contract MisreportingRegistry {
    address public immutable real;
    uint32 public baseRateFactor = 1;
    mapping(address impostor => address terminal) public impersonated;
    mapping(bytes32 cardId => address key) public substitutedKeys;
    bool public merchantCardsReportedActive;
    IPointsLedger public ledger;
    address[] private _recordedTerminals;

    constructor(address real_) {
        real = real_;
    }

    /// @notice Multiply every agreement's base rate by `factor` in the terms the ledger reads.
    function setBaseRateFactor(uint32 factor) external {
        baseRateFactor = factor;
        _recordAllTerms();
    }

    /// @notice Report `terminal`'s registration and terms for `impostor` too.
    function impersonate(address impostor, address terminal) external {
        impersonated[impostor] = terminal;
        _recordedTerminals.push(impostor);
        _recordTerms(impostor);
    }

    /// @notice Report `key` as `cardId`'s card key (and record it so in the ledger, once attached).
    function substituteCardKey(bytes32 cardId, address key) external {
        substitutedKeys[cardId] = key;
        if (address(ledger) != address(0)) ledger.recordCard(cardId, card(cardId));
    }

    /// @notice The ledger this front reports to (the real registry records cards in its own).
    function attachLedger(IPointsLedger ledger_) external {
        ledger = ledger_;
    }

    /// @notice Record cards issued before the ledger was attached, as this front reports them.
    function recordCards(bytes32[] calldata cardIds) external {
        for (uint256 i; i < cardIds.length; ++i) ledger.recordCard(cardIds[i], card(cardIds[i]));
    }

    /// @notice Report every merchant's card as active, whatever its status.
    function reportMerchantCardsActive() external {
        merchantCardsReportedActive = true;
        _recordAllTerms();
    }

    /// @notice Record terminals' terms in the ledger, as this front reports them.
    function recordTerminals(address[] calldata terminals) external {
        for (uint256 i; i < terminals.length; ++i) {
            _recordedTerminals.push(terminals[i]);
            _recordTerms(terminals[i]);
        }
    }

    function settlementTerms(address terminalKey) public view returns (IMerchantRegistry.SettlementTerms memory terms) {
        terms = IMerchantRegistry(real).settlementTerms(_stand(terminalKey));
        terms.agreement.baseRateBps *= baseRateFactor;
        if (merchantCardsReportedActive) terms.merchantCardActive = true;
    }

    function terminal(address terminalKey) external view returns (IMerchantRegistry.Terminal memory) {
        return IMerchantRegistry(real).terminal(_stand(terminalKey));
    }

    function terminalStanding(address terminalKey) external view returns (IMerchantRegistry.TerminalStanding memory standing) {
        standing = IMerchantRegistry(real).terminalStanding(_stand(terminalKey));
        if (merchantCardsReportedActive) standing.merchantCardActive = true;
    }

    function card(bytes32 cardId) public view returns (ICardRegistry.Card memory c) {
        c = ICardRegistry(real).card(cardId);
        if (substitutedKeys[cardId] != address(0)) c.key = substitutedKeys[cardId];
    }

    /// @notice The real registry's credentials contract (the ledger verifies its steps there).
    function operators() external view returns (ICredenceOperators) {
        return IDualControl(real).operators();
    }

    function hasRole(bytes32 role, address account) external view returns (bool) {
        return IAccessControl(real).hasRole(role, account);
    }

    function _recordAllTerms() private {
        for (uint256 i; i < _recordedTerminals.length; ++i) _recordTerms(_recordedTerminals[i]);
    }

    function _recordTerms(address terminalKey) private {
        IMerchantRegistry.SettlementTerms memory terms = settlementTerms(terminalKey);
        if (address(ledger) == address(0) || terms.merchantId == 0) return;
        ledger.recordTerminal(terminalKey, terms.merchantId, terms.terminalEnabled);
        ledger.recordMerchantTerms(terms.merchantId, terms.merchantActive, terms.merchantCardActive, terms.agreementVersion, terms.agreement);
        ledger.recordCreditPointRule(terms.creditRuleVersion, terms.creditRateBps);
    }

    function _stand(address terminalKey) private view returns (address) {
        address stand = impersonated[terminalKey];
        return stand == address(0) ? terminalKey : stand;
    }
}
