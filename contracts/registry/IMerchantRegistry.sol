// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Merchants, their terminals and their points agreements.
interface IMerchantRegistry {
    struct Merchant {
        bytes32 cardId;
        uint32 agreementVersion;
        bool active;
    }

    struct Terminal {
        uint32 merchantId;
        bool enabled;
    }

    /// @notice A merchant's points rule (the patent's agreement between provider and consumer).
    /// points = min(amount * baseRateBps * multiplier[category] / (10_000 * 100), maxPointsPerSettlement)
    /// with `amount` in the currency's minor units; multipliers are percentages (100 = 1x), 16
    /// categories packed as uint16 in `categoryMultipliers` (category c in bits 16c..16c+15).
    /// Bounds: a multiplier is at most 1,000 (10x), and no category's rate, baseRateBps *
    /// multiplier / 100, passes the maximum base rate of 100,000 bps (10 points per minor unit).
    struct Agreement {
        uint32 baseRateBps;
        uint32 maxPointsPerSettlement;
        uint64 minAmount;
        uint40 validFrom;
        uint40 validUntil;
        bytes3 currency;
        uint256 categoryMultipliers;
    }

    /// @notice Whether a terminal may take payments now. A merchant is in service when it is
    /// active (not suspended) and its merchant card is active (neither frozen nor closed).
    struct TerminalStanding {
        uint32 merchantId;
        bool terminalEnabled;
        bool merchantActive;
        bool merchantCardActive;
    }

    /// @notice Everything the ledger needs to price a settlement from one terminal.
    struct SettlementTerms {
        uint32 merchantId;
        bool terminalEnabled;
        bool merchantActive;
        bool merchantCardActive;
        uint32 agreementVersion;
        Agreement agreement;
        uint32 creditRuleVersion;
        uint16 creditRateBps;
    }

    error MerchantUnknown(uint32 merchantId);
    error MerchantCardNotEligible(bytes32 cardId);
    error MerchantCardAlreadyBound(bytes32 cardId, uint32 merchantId);
    error TerminalInvalidKey();
    error TerminalAlreadyRegistered(address terminal);
    error TerminalUnknown(address terminal);
    error AgreementInvalid(string field);
    error CreditRuleInvalid(uint16 rateBps);

    event MerchantRegistered(uint32 indexed merchantId, bytes32 indexed cardId);
    event MerchantActivationChanged(uint32 indexed merchantId, bool active);
    /// @notice The merchant's card was replaced: the merchant is now bound to the new card.
    event MerchantCardReplaced(uint32 indexed merchantId, bytes32 oldCardId, bytes32 newCardId);
    event TerminalRegistered(address indexed terminal, uint32 indexed merchantId);
    event TerminalEnabledChanged(address indexed terminal, bool enabled);
    event AgreementSet(uint32 indexed merchantId, uint32 indexed version, Agreement agreement);
    event CreditPointRuleSet(uint32 indexed version, uint16 rateBps);

    /// @notice Register a merchant bound to its active merchant card (a bank operator's `act`).
    /// @return merchantId the merchant's number (1, 2, ...).
    function registerMerchant(bytes32 merchantCardId) external returns (uint32 merchantId);

    /// @notice Suspend or resume a merchant (a bank operator's `act`). A suspended merchant's settlements, refunds
    /// and redemptions are rejected, as are those of a merchant whose card is frozen or closed.
    function setMerchantActive(uint32 merchantId, bool active) external;

    /// @notice Register a terminal's signing key for a merchant (a bank operator's `act`).
    function registerTerminal(address terminal, uint32 merchantId) external;

    /// @notice Enable or disable a terminal (a bank operator's `act`). A disabled terminal's signatures are rejected.
    function setTerminalEnabled(address terminal, bool enabled) external;

    /// @notice Set a new version of a merchant's points agreement (a bank operator's `act`). Refused with
    /// `AgreementInvalid(field)` for a base rate or a category rate above 100,000 bps, a
    /// multiplier above 1,000, a zero cap, an empty validity window or a zero currency.
    /// @return version the new version number (1, 2, ...).
    function setAgreement(uint32 merchantId, Agreement calldata agreement) external returns (uint32 version);

    /// @notice Set the rule that turns points a merchant grants into its credit points (a bank operator's `act`):
    /// creditPoints = points * rateBps / 10_000, rounded down.
    /// @return version the new rule version.
    function setCreditPointRule(uint16 rateBps) external returns (uint32 version);

    /// @notice A merchant by ID.
    function merchant(uint32 merchantId) external view returns (Merchant memory);

    /// @notice Number of registered merchants (IDs are 1..merchantCount).
    function merchantCount() external view returns (uint32);

    /// @notice The merchant ID bound to a merchant card, or 0.
    function merchantOfCard(bytes32 cardId) external view returns (uint32);

    /// @notice A terminal by signing key.
    function terminal(address terminalKey) external view returns (Terminal memory);

    /// @notice One version of a merchant's agreement.
    function agreement(uint32 merchantId, uint32 version) external view returns (Agreement memory);

    /// @notice The current credit-point rule: version and rate. Version 0 means none set (rate 0).
    function creditPointRule() external view returns (uint32 version, uint16 rateBps);

    /// @notice The credit-point rate of a given rule version.
    function creditPointRate(uint32 version) external view returns (uint16 rateBps);

    /// @notice The terms that price a settlement from `terminalKey` right now.
    function settlementTerms(address terminalKey) external view returns (SettlementTerms memory);

    /// @notice Whether `terminalKey` may take payments now: its merchant (0 when unregistered),
    /// and whether the terminal is enabled, the merchant active and the merchant's card active.
    function terminalStanding(address terminalKey) external view returns (TerminalStanding memory);
}
