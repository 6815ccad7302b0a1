// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IPointsLedger} from "../ledger/IPointsLedger.sol";

/// @title A settlement's EIP-712 struct hash.
/// @notice The one place the Settlement type is hashed on chain (the ledger, and the benchmark's
/// floor, which must hash it as the ledger does).
library SettlementHashing {
    bytes32 internal constant TYPEHASH = keccak256(
        "Settlement(bytes32 cardId,address terminal,uint64 nonce,bytes32 orderId,bytes32 slipHash,uint64 amount,bytes3 currency,uint8 category,uint40 time)"
    );

    /// @notice EIP-712 hashStruct: keccak256(typeHash || the nine fields).
    /// @dev A Settlement is nine static words laid out contiguously in calldata, which are exactly
    ///      its EIP-712 encoding, so they are hashed in place instead of being re-encoded field by
    ///      field. Callers check the words are canonical where it matters (PointsLedger._isCanonical).
    function structHash(IPointsLedger.Settlement calldata s) internal pure returns (bytes32 hash) {
        bytes32 typeHash = TYPEHASH;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typeHash)
            calldatacopy(add(ptr, 0x20), s, 0x120)
            hash := keccak256(ptr, 0x140)
        }
    }
}
