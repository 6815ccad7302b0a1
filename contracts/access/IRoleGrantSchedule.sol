// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Delayed role grants: governance schedules a grant, and may make it only once the
/// delay has passed, so a new relayer is visible on chain before it can relay.
/// @notice Revoking stays immediate (a missing relayer can only delay decisions). The default
/// admin's own handover keeps OpenZeppelin's AccessControlDefaultAdminRules and is not
/// scheduled here.
interface IRoleGrantSchedule {
    /// @dev No schedule for this grant, or it is not ready until `readyAt` (0: none).
    error RoleGrantNotReady(bytes32 role, address account, uint64 readyAt);
    /// @dev The role cannot be scheduled: the default admin (handed over by its own rules) or an
    /// institution identifier (BANK, CREDIT_CENTER), which is no longer granted to addresses.
    error RoleGrantNotSchedulable(bytes32 role);

    /// @notice Governance scheduled granting `role` to `account`; `grantRole` works from `readyAt`.
    event RoleGrantScheduled(bytes32 indexed role, address indexed account, uint64 readyAt);
    /// @notice Governance cancelled a scheduled grant.
    event RoleGrantCancelled(bytes32 indexed role, address indexed account);

    /// @notice Schedule granting `role` to `account` after `roleGrantDelay()` (default admin).
    /// @dev Rescheduling a pending grant restarts its delay.
    function scheduleRoleGrant(bytes32 role, address account) external;

    /// @notice Cancel a scheduled grant (default admin). Refused when none is scheduled.
    function cancelRoleGrant(bytes32 role, address account) external;

    /// @notice When a scheduled grant becomes ready (0: none scheduled).
    function roleGrantReadyAt(bytes32 role, address account) external view returns (uint64);

    /// @notice Seconds between scheduling a grant and making it.
    function roleGrantDelay() external view returns (uint64);
}
