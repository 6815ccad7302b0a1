// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICardRegistry} from "../registry/ICardRegistry.sol";
import {ICreditScores} from "./ICreditScores.sol";
import {IDualControl} from "../access/IDualControl.sol";

/// @title The credit-limit policy and the credit-grant registry (the patent's credit-granting unit).
/// @notice The policy maps a card's score and points to an eligible limit, by tiers per card
/// kind. A grant gives a card's account a credit limit (minor currency units) until an expiry,
/// under the policy version in force. Setting the policy, granting, decreasing, revoking and
/// unfreezing are dual-controlled (IDualControl: the bank proposes and the credit center
/// approves, or the reverse); an operator of either institution alone may freeze a grant in an
/// emergency (an `act`), and the freeze lapses after FREEZE_LAPSE unless an operator of the other
/// institution confirms it (`confirmFreeze`).
interface ICreditGrants {
    /// @notice One step of the policy: a card with `score >= minScore` and `points >= minPoints`
    /// is eligible for `limit`. A card's eligible limit is the highest limit of the tiers it meets.
    struct Tier {
        uint16 minScore;
        uint64 minPoints;
        uint128 limit;
    }

    /// @notice A credit grant. `limit` 0 means no grant. In the views, `frozen` is true only while
    /// a freeze holds (confirmed, or not yet lapsed).
    struct Grant {
        uint128 limit;
        uint64 expiresAt;
        uint32 policyVersion;
        bool frozen;
    }

    /// @notice The latest emergency freeze of a grant: the credential that placed it and its
    /// institution, when it lapses unless confirmed, and whether the other institution
    /// confirmed it (then it holds until lifted by dual control). Kept after it lapses.
    struct CreditFreeze {
        uint64 credentialId;
        uint64 lapsesAt;
        bool confirmed;
        bytes32 institution;
    }

    /// @notice Everything the credit center reads about one card.
    /// `availableLimit` is the grant's limit when the grant is in force (not expired, not frozen,
    /// the card active), else 0.
    struct CreditLine {
        ICreditScores.CardScore card;
        uint128 eligibleLimit;
        Grant grant;
        uint128 availableLimit;
    }

    /// @dev The card is unknown or not active.
    error CreditCardNotActive(bytes32 cardId, ICardRegistry.CardStatus status);
    /// @dev The limit exceeds what the policy allows the card now.
    error CreditLimitAboveEligible(bytes32 cardId, uint128 limit, uint128 eligibleLimit);
    /// @dev A grant needs a positive limit (revoke to remove one).
    error CreditLimitZero(bytes32 cardId);
    /// @dev The expiry must be after now and at most MAX_TERM ahead.
    error CreditExpiryInvalid(uint64 expiresAt, uint64 earliest, uint64 latest);
    /// @dev The card's account has no grant.
    error CreditNoGrant(bytes32 cardId);
    /// @dev A decrease must lower the limit and keep it positive.
    error CreditNotADecrease(bytes32 cardId, uint128 currentLimit, uint128 limit);
    /// @dev The grant is frozen: unfreeze it (dual control) before changing its limit.
    error CreditGrantFrozen(bytes32 cardId);
    /// @dev The grant is not frozen (never, lifted, or its unconfirmed freeze lapsed).
    error CreditGrantNotFrozen(bytes32 cardId);
    /// @dev The freeze was already confirmed.
    error CreditFreezeAlreadyConfirmed(bytes32 cardId);
    /// @dev `institution`'s last freeze of this grant lapsed unconfirmed: it may freeze it again
    /// from `renewableAt` (the freeze has then lapsed for FREEZE_LAPSE).
    error CreditFreezeRenewalTooSoon(bytes32 cardId, bytes32 institution, uint64 renewableAt);
    /// @dev Tier `index` breaks a policy rule (too many tiers, score above 1000, zero limit, or
    /// limits not strictly increasing with non-decreasing thresholds).
    error CreditPolicyInvalid(uint256 index);

    event CreditPolicySet(uint32 indexed version, ICardRegistry.CardKind indexed kind, Tier[] tiers);
    event CreditGranted(
        bytes32 indexed cardId,
        uint64 indexed account,
        uint128 limit,
        uint128 previousLimit,
        uint64 expiresAt,
        uint32 policyVersion,
        uint16 score
    );
    event CreditLimitDecreased(bytes32 indexed cardId, uint64 indexed account, uint128 previousLimit, uint128 limit);
    event CreditRevoked(bytes32 indexed cardId, uint64 indexed account, uint128 previousLimit);
    /// @notice `credentialId`, of `institution`, froze the grant; unless confirmed it lapses at `lapsesAt`.
    event CreditFrozen(
        bytes32 indexed cardId,
        uint64 indexed account,
        uint64 indexed credentialId,
        bytes32 institution,
        uint64 lapsesAt
    );
    /// @notice `credentialId`, of the other institution, confirmed the freeze: it holds until lifted.
    event CreditFreezeConfirmed(bytes32 indexed cardId, uint64 indexed account, uint64 indexed credentialId);
    event CreditUnfrozen(bytes32 indexed cardId, uint64 indexed account);

    /// @notice Replace the tiers of one card kind (dual control). Bumps the policy version.
    /// @param tiers at most MAX_TIERS, limits strictly increasing, thresholds non-decreasing.
    function setPolicy(ICardRegistry.CardKind kind, Tier[] calldata tiers) external;

    /// @notice Grant (or change) a card's credit limit until `expiresAt` (dual control). The
    /// limit must not exceed the card's eligible limit, checked when proposed and again when
    /// the approval runs it. The grant records the policy version in force.
    function grantCredit(bytes32 cardId, uint128 limit, uint64 expiresAt) external;

    /// @notice Lower a grant's limit (dual control); works on a frozen or expired grant too.
    function decreaseLimit(bytes32 cardId, uint128 limit) external;

    /// @notice Remove a card's grant (dual control).
    function revokeCredit(bytes32 cardId) external;

    /// @notice Emergency: freeze a card's grant at once (an `act` of an operator of either
    /// institution). It lapses after FREEZE_LAPSE unless confirmed; an institution whose freeze
    /// lapsed unconfirmed may freeze the grant again only once it has lapsed for FREEZE_LAPSE.
    function freezeCredit(bytes32 cardId) external;

    /// @notice Confirm a freeze, so that it holds until lifted (dual control, `unfreezeCredit`).
    /// @dev A `Confirm` step signed by an active credential of the institution that did not
    /// freeze; its subject and actionHash are `freezeConfirmation(cardId)`. Anyone may relay.
    function confirmFreeze(bytes32 cardId, IDualControl.StepSignature calldata step) external;

    /// @notice Lift a freeze (dual control).
    function unfreezeCredit(bytes32 cardId) external;

    /// @notice The current policy version (0 until a policy is set).
    function policyVersion() external view returns (uint32);

    /// @notice The tiers of one card kind.
    function policy(ICardRegistry.CardKind kind) external view returns (Tier[] memory);

    /// @notice The limit the policy allows `cardId` now (0 for a card that is not active).
    function eligibleLimit(bytes32 cardId) external view returns (uint128);

    /// @notice The grant of the card's account (carried over to replacement cards).
    function grantOf(bytes32 cardId) external view returns (Grant memory);

    /// @notice The latest freeze of the card's grant (zero when none; kept after it lapses).
    function freezeOf(bytes32 cardId) external view returns (CreditFreeze memory);

    /// @notice What a `Confirm` step of the card's current freeze binds: its subject (the card's
    /// account) and its actionHash (keccak256(abi.encode(cardId, credentialId, lapsesAt)) of the
    /// freeze).
    function freezeConfirmation(bytes32 cardId) external view returns (uint256 subject, bytes32 actionHash);

    /// @notice A card's score, eligible limit, grant and available limit.
    function creditOf(bytes32 cardId) external view returns (CreditLine memory);

    /// @notice The credit lines of accounts `fromAccount`... (see ICreditScores.scoresPage).
    function creditPage(uint64 fromAccount, uint256 count) external view returns (CreditLine[] memory page, uint64 nextAccount);
}
