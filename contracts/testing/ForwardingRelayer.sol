// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title TEST ONLY: a relayer contract that passes a call on (a step relayed through a
/// contract, as a smart-contract wallet or a batching relayer would do).
/// @notice The auditor reads steps from top-level calls; a step relayed through this contract has
/// no decodable top-level call, and the auditor must report it rather than skip it.
contract ForwardingRelayer {
    /// @dev The forwarded call reverted with `reason`.
    error ForwardingRelayerCallFailed(bytes reason);

    /// @notice Call `target` with `data` (anyone may: a relayer decides nothing).
    function forward(address target, bytes calldata data) external returns (bytes memory result) {
        bool ok;
        // solhint-disable-next-line avoid-low-level-calls
        (ok, result) = target.call(data);
        if (!ok) revert ForwardingRelayerCallFailed(result);
    }
}
