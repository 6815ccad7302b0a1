// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Institution and role identifiers shared by every Credence contract.
/// @notice Institutions (docs/adr/0001-operators-sign-their-own-decisions.md): BANK and
/// CREDIT_CENTER name the institution of each operator credential in CredenceOperators. They are
/// never granted to addresses: an operator of the bank acts alone through `act` (merchants,
/// terminals, agreements, card status, pausing the ledger), an operator of either institution
/// freezes credit in an emergency, and every dual-control action needs an operator of each.
/// Roles, held in the registry (the ledger asks the registry):
/// - GATEWAY: the relayers that submit terminal-signed settlements, refunds and redemptions;
///   granted only after a delay from its schedule (IRoleGrantSchedule), revoked at once.
/// - CARD_FREEZER: keys of the gateway that relay a consumer's own "report my card lost"; it can
///   do one thing, move an active consumer card to frozen (`reportCardLost`), never back. Granted
///   and revoked as GATEWAY is (docs/adr/0010-freeze-only-lost-card-permission.md).
/// - DEFAULT_ADMIN_ROLE (OpenZeppelin): governance; schedules, grants and revokes GATEWAY, and
///   hands itself over only after a delay. It holds no credential and cannot act for either
///   institution.
library CredenceRoles {
    bytes32 internal constant BANK = keccak256("credence.role.bank");
    bytes32 internal constant CREDIT_CENTER = keccak256("credence.role.credit-center");
    bytes32 internal constant GATEWAY = keccak256("credence.role.gateway");
    bytes32 internal constant CARD_FREEZER = keccak256("credence.role.card-freezer");
}
