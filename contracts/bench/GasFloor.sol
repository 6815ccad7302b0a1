// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IPointsLedger} from "../ledger/IPointsLedger.sol";
import {SettlementHashing} from "../libraries/SettlementHashing.sol";

/// @title Gas floor only, not part of the product.
/// @notice The least a settlement can cost on the ledger's own input: the same signed batch
/// items, the same EIP-712 digest, and nothing but the two signature checks, a replay field (a
/// terminal's nonce bitmap), two balances (the card key's and the terminal's) and one event. No
/// registry, no agreement, no statistics, no batch record: the benchmark compares the ledger with it.
contract GasFloor is EIP712 {
    error GasFloorRejected(uint256 index);

    event Settled(bytes32 indexed cardId, address indexed terminal, uint64 nonce, uint256 points);

    mapping(address terminal => mapping(uint256 word => uint256 bits)) private _nonces;
    mapping(address holder => uint256) private _balances;

    constructor() EIP712("Credence", "1") {}

    /// @notice Settles every item or reverts: checks both signatures and the nonce, adds points.
    function settleBatch(IPointsLedger.SignedSettlement[] calldata items) external {
        for (uint256 i; i < items.length; ++i) {
            IPointsLedger.Settlement calldata s = items[i].settlement;
            IPointsLedger.Signatures calldata sig = items[i].signatures;
            bytes32 digest = _hashTypedDataV4(SettlementHashing.structHash(s));
            if (ECDSA.recover(digest, sig.terminalR, sig.terminalVS) != s.terminal) revert GasFloorRejected(i);
            address card = ECDSA.recover(digest, sig.cardR, sig.cardVS);
            uint256 bit = uint256(1) << (s.nonce & 0xff);
            uint256 bits = _nonces[s.terminal][s.nonce >> 8];
            if (bits & bit != 0) revert GasFloorRejected(i);
            _nonces[s.terminal][s.nonce >> 8] = bits | bit;
            uint256 points = s.amount / 10;
            _balances[card] += points;
            _balances[s.terminal] += points;
            emit Settled(s.cardId, s.terminal, s.nonce, points);
        }
    }

    /// @notice A holder's points.
    function balanceOf(address holder) external view returns (uint256) {
        return _balances[holder];
    }
}
