// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {CardRegistry} from "./CardRegistry.sol";
import {ICardRegistry} from "./ICardRegistry.sol";
import {MerchantRegistry} from "./MerchantRegistry.sol";
import {DualControl} from "../access/DualControl.sol";
import {ICredenceOperators} from "../access/ICredenceOperators.sol";

/// @title The Credence registry: roles, cards, merchants, terminals and agreements.
/// @notice Governance (the default admin, behind a transfer delay) grants the bank, credit-center
/// and gateway roles. Cards are issued and replaced under dual control of the bank's and the
/// credit center's operators, whose credentials live in `operators` (CredenceOperators).
contract CredenceRegistry is AccessControlDefaultAdminRules, CardRegistry, MerchantRegistry {
    /// @dev ERC-5192 interface ID.
    bytes4 private constant _ERC5192_INTERFACE_ID = 0xb45a3c0e;

    /// @param adminTransferDelay seconds a governance handover must wait.
    /// @param governance the initial default admin.
    /// @param operators_ the deployment's credentials contract, which verifies dual-control steps.
    constructor(
        uint48 adminTransferDelay,
        address governance,
        ICredenceOperators operators_
    ) AccessControlDefaultAdminRules(adminTransferDelay, governance) DualControl(operators_) {}

    /// @notice ERC-165, including ERC-5192 (cards are locked tokens).
    function supportsInterface(bytes4 interfaceId) public view override(AccessControl, AccessControlDefaultAdminRules) returns (bool) {
        return interfaceId == _ERC5192_INTERFACE_ID || super.supportsInterface(interfaceId);
    }

    function _grantRole(bytes32 role, address account) internal override(AccessControl, AccessControlDefaultAdminRules) returns (bool) {
        return super._grantRole(role, account);
    }

    function _revokeRole(bytes32 role, address account) internal override(AccessControl, AccessControlDefaultAdminRules) returns (bool) {
        return super._revokeRole(role, account);
    }

    function _setRoleAdmin(bytes32 role, bytes32 adminRole) internal override(AccessControl, AccessControlDefaultAdminRules) {
        super._setRoleAdmin(role, adminRole);
    }

    function grantRole(bytes32 role, address account) public override(AccessControl, AccessControlDefaultAdminRules) {
        super.grantRole(role, account);
    }

    function revokeRole(bytes32 role, address account) public override(AccessControl, AccessControlDefaultAdminRules) {
        super.revokeRole(role, account);
    }

    function renounceRole(bytes32 role, address account) public override(AccessControl, AccessControlDefaultAdminRules) {
        super.renounceRole(role, account);
    }

    function _isDualControlled(bytes4 selector) internal pure override returns (bool) {
        return selector == ICardRegistry.issueCard.selector || selector == ICardRegistry.replaceCard.selector;
    }

    function _cardForMerchant(bytes32 cardId) internal view override returns (ICardRegistry.Card memory) {
        return _cardRecord(cardId);
    }

    function _afterCardReplaced(bytes32 oldCardId, bytes32 newCardId) internal override {
        _moveMerchantCard(oldCardId, newCardId);
    }

    function _afterCardStatusChanged(bytes32 cardId, CardStatus status) internal override {
        _merchantCardStatusChanged(cardId, status == CardStatus.Active);
    }
}
