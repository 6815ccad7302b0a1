// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {CardRegistry} from "./CardRegistry.sol";
import {ICardRegistry} from "./ICardRegistry.sol";
import {MerchantRegistry} from "./MerchantRegistry.sol";
import {DualControl} from "../access/DualControl.sol";
import {ICredenceOperators} from "../access/ICredenceOperators.sol";
import {IRoleGrantSchedule} from "../access/IRoleGrantSchedule.sol";
import {CredenceRoles} from "../access/CredenceRoles.sol";
import {IMerchantRegistry} from "./IMerchantRegistry.sol";
import {IPointsLedger} from "../ledger/IPointsLedger.sol";

/// @title The Credence registry: roles, cards, merchants, terminals and agreements.
/// @notice Governance (the default admin, behind a transfer delay) grants the gateway role, each
/// grant only after `roleGrantDelay` from its schedule (IRoleGrantSchedule). Cards are issued,
/// replaced and their holders' identities erased under dual control of the bank's and the credit
/// center's operators, whose credentials live in `operators` (CredenceOperators); the bank's
/// operators act alone (`act`) on merchants, terminals, agreements, the credit-point rule and
/// card status. A CARD_FREEZER key (the gateway's, for a holder's "report my card lost") can
/// only freeze an active consumer card (`reportCardLost`).
contract CredenceRegistry is AccessControlDefaultAdminRules, CardRegistry, MerchantRegistry, IRoleGrantSchedule {
    /// @dev ERC-5192 interface ID.
    bytes4 private constant _ERC5192_INTERFACE_ID = 0xb45a3c0e;

    /// @inheritdoc IRoleGrantSchedule
    uint64 public immutable roleGrantDelay;

    mapping(bytes32 role => mapping(address account => uint64 readyAt)) private _grantSchedules;

    /// @param adminTransferDelay seconds a governance handover must wait.
    /// @param governance the initial default admin.
    /// @param operators_ the deployment's credentials contract, which verifies dual-control steps.
    /// @param roleGrantDelay_ seconds between scheduling a role grant and making it (days on a
    /// real network; the embedded default may use a short one).
    /// @param gateways the initial GATEWAY holders, granted at once (RoleGranted events).
    /// @param cardFreezers the initial CARD_FREEZER holders (the gateway's keys that relay a
    /// holder's lost-card report), granted at once.
    constructor(
        uint48 adminTransferDelay,
        address governance,
        ICredenceOperators operators_,
        uint64 roleGrantDelay_,
        address[] memory gateways,
        address[] memory cardFreezers
    ) AccessControlDefaultAdminRules(adminTransferDelay, governance) DualControl(operators_) {
        roleGrantDelay = roleGrantDelay_;
        for (uint256 i; i < gateways.length; ++i) _grantRole(CredenceRoles.GATEWAY, gateways[i]);
        for (uint256 i; i < cardFreezers.length; ++i) _grantRole(CredenceRoles.CARD_FREEZER, cardFreezers[i]);
    }

    /// @inheritdoc IRoleGrantSchedule
    function scheduleRoleGrant(bytes32 role, address account) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (role == DEFAULT_ADMIN_ROLE || role == CredenceRoles.BANK || role == CredenceRoles.CREDIT_CENTER) {
            revert RoleGrantNotSchedulable(role);
        }
        uint64 readyAt = uint64(block.timestamp) + roleGrantDelay;
        _grantSchedules[role][account] = readyAt;
        emit RoleGrantScheduled(role, account, readyAt);
    }

    /// @inheritdoc IRoleGrantSchedule
    function cancelRoleGrant(bytes32 role, address account) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (_grantSchedules[role][account] == 0) revert RoleGrantNotReady(role, account, 0);
        delete _grantSchedules[role][account];
        emit RoleGrantCancelled(role, account);
    }

    /// @inheritdoc IRoleGrantSchedule
    function roleGrantReadyAt(bytes32 role, address account) external view returns (uint64) {
        return _grantSchedules[role][account];
    }

    /// @notice ERC-165, including ERC-5192 (cards are locked tokens).
    function supportsInterface(bytes4 interfaceId) public view override(AccessControl, AccessControlDefaultAdminRules) returns (bool) {
        return interfaceId == _ERC5192_INTERFACE_ID || super.supportsInterface(interfaceId);
    }

    function _grantRole(bytes32 role, address account) internal override(AccessControl, AccessControlDefaultAdminRules) returns (bool) {
        return super._grantRole(role, account);
    }

    /// @dev A gateway's role, revoked or renounced, is revoked in the ledger too, which keeps the
    ///      role of each gateway that has used it (IPointsLedger.recordGatewayRevoked).
    function _revokeRole(bytes32 role, address account) internal override(AccessControl, AccessControlDefaultAdminRules) returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        address ledger_ = _namedLedger();
        if (revoked && role == CredenceRoles.GATEWAY && ledger_ != address(0)) IPointsLedger(ledger_).recordGatewayRevoked(account);
    }

    function _setRoleAdmin(bytes32 role, bytes32 adminRole) internal override(AccessControl, AccessControlDefaultAdminRules) {
        super._setRoleAdmin(role, adminRole);
    }

    /// @notice Grant a role scheduled at least `roleGrantDelay` ago (role admin); consumes the schedule.
    /// @dev Refused with `RoleGrantNotReady` when not scheduled or not yet ready.
    function grantRole(bytes32 role, address account) public override(AccessControl, AccessControlDefaultAdminRules) {
        super.grantRole(role, account);
        uint64 readyAt = _grantSchedules[role][account];
        if (readyAt == 0 || block.timestamp < readyAt) revert RoleGrantNotReady(role, account, readyAt);
        delete _grantSchedules[role][account];
    }

    function revokeRole(bytes32 role, address account) public override(AccessControl, AccessControlDefaultAdminRules) {
        super.revokeRole(role, account);
    }

    function renounceRole(bytes32 role, address account) public override(AccessControl, AccessControlDefaultAdminRules) {
        super.renounceRole(role, account);
    }

    function _isDualControlled(bytes4 selector) internal pure override returns (bool) {
        return
            selector == ICardRegistry.issueCard.selector ||
            selector == ICardRegistry.replaceCard.selector ||
            selector == ICardRegistry.recordIdentityErasure.selector;
    }

    /// @dev Every single-institution function of the registry is the bank's.
    function _actingInstitution(bytes4 selector) internal pure override returns (bytes32) {
        if (
            selector == IMerchantRegistry.registerMerchant.selector ||
            selector == IMerchantRegistry.setMerchantActive.selector ||
            selector == IMerchantRegistry.registerTerminal.selector ||
            selector == IMerchantRegistry.setTerminalEnabled.selector ||
            selector == IMerchantRegistry.setAgreement.selector ||
            selector == IMerchantRegistry.setCreditPointRule.selector ||
            selector == ICardRegistry.freezeCard.selector ||
            selector == ICardRegistry.unfreezeCard.selector ||
            selector == ICardRegistry.closeCard.selector
        ) return CredenceRoles.BANK;
        return bytes32(0);
    }

    function _cardForMerchant(bytes32 cardId) internal view override returns (ICardRegistry.Card memory) {
        return _cardRecord(cardId);
    }

    function _afterCardReplaced(bytes32 oldCardId, bytes32 newCardId) internal override {
        _moveMerchantCard(oldCardId, newCardId);
    }

    function _termsLedger() internal view override returns (address) {
        return _namedLedger();
    }

    function _afterLedgerSet() internal override {
        _recordCreditPointRule();
    }

    function _afterCardStatusChanged(bytes32 cardId, CardStatus status) internal override {
        _merchantCardStatusChanged(cardId, status == CardStatus.Active);
    }
}
