// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/**
 * @title PeerToken
 * @notice Benchmark only, not part of the product: a plain OpenZeppelin ERC-20 whose transfers
 * `npm run bench` counts per second on the gateway's node, the figure permissioned networks
 * publish (ERC-20 transfers per second), to set settlements per second beside.
 */
contract PeerToken is ERC20 {
    /// @notice Mints `amount` to each of `holders`.
    /// @param holders The accounts that send the benchmark's transfers.
    /// @param amount Tokens minted to each.
    constructor(address[] memory holders, uint256 amount) ERC20("Peer", "PEER") {
        for (uint256 i = 0; i < holders.length; i++) {
            _mint(holders[i], amount);
        }
    }
}
