// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title Gas baseline only, not part of the product.
/// @notice The naive design the benchmark compares against: one transaction per settlement that
/// checks the same two signatures, mints an ERC-20 to the card's address and to the merchant's,
/// and records the order ID.
contract NaiveLoyalty is ERC20 {
    error NaiveLoyaltyOrderSettled(bytes32 orderId);
    error NaiveLoyaltyBadSignature();

    mapping(bytes32 orderId => bool) public settled;

    constructor() ERC20("Naive points", "NPT") {}

    /// @notice Settle one order: verify both signatures, mint points and merchant credit points.
    function settle(
        bytes32 orderId,
        address card,
        address merchant,
        uint256 points,
        uint256 creditPoints,
        bytes calldata terminalSignature,
        bytes calldata cardSignature,
        address terminal
    ) external {
        if (settled[orderId]) revert NaiveLoyaltyOrderSettled(orderId);
        bytes32 digest = keccak256(abi.encode(orderId, card, merchant, points));
        if (ECDSA.recover(digest, terminalSignature) != terminal) revert NaiveLoyaltyBadSignature();
        if (ECDSA.recover(digest, cardSignature) != card) revert NaiveLoyaltyBadSignature();
        settled[orderId] = true;
        _mint(card, points);
        _mint(merchant, creditPoints);
    }
}
