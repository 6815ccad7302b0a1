// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Role identifiers shared by every Credence contract.
/// @notice Roles are held in the registry; the ledger asks the registry.
/// - BANK: the issuing bank's operators (registers merchants and terminals, sets agreements,
///   freezes cards, pauses the ledger, one side of every dual-control action).
/// - CREDIT_CENTER: the credit-service center's operators (the other side of dual control).
/// - GATEWAY: the relayer that submits terminal-signed settlements, refunds and redemptions.
/// - DEFAULT_ADMIN_ROLE (OpenZeppelin): governance; grants and revokes the roles above at once
///   (only handing the admin role itself over waits out a delay). It holds neither controlling
///   role, so it cannot move points or issue cards through its own role; whoever governs must
///   not also control one address of each side, or dual control is only as strong as that.
library CredenceRoles {
    bytes32 internal constant BANK = keccak256("credence.role.bank");
    bytes32 internal constant CREDIT_CENTER = keccak256("credence.role.credit-center");
    bytes32 internal constant GATEWAY = keccak256("credence.role.gateway");
}
