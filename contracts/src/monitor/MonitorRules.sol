// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Purpose} from "../Types.sol";

/// @title MonitorRules: the eight transaction rules every time-coin movement passes
/// @notice Pure rule logic over packed words: the rule parameters (one storage slot) and each
/// side's per-account state (one storage slot per account, shared with the account's
/// standing). No loops, no history: every movement costs the same, whatever came before.
/// The words are handled as `uint256` with fixed bit offsets (below) rather than as memory
/// structs, which keeps a monitored transfer within 1.5x of a plain ERC-20 transfer;
/// `Config` is the readable form used at the edges (setter, event, view).
///
/// Rule ids (`fired` bit = id - 1):
///  1 LARGE_AMOUNT          one movement at or above the purpose's threshold
///  2 VELOCITY              the sender's outgoing movements in its window reach a count
///  3 VOLUME                the sender's outgoing total in its window reaches an amount;
///                          bit 8 (VOLUME_IN_BIT) marks the recipient's incoming total instead
///  4 STRUCTURING           several movements just below the large-amount threshold in a window
///  5 ROUND_TRIP            A paid B, and B pays A back within a window
///  6 NEW_ACCOUNT           a recently activated account receives at least an amount
///  7 RISKY_COUNTERPARTY    either side's risk level is at or above a level
///  8 DORMANT_REACTIVATION  an account with no outgoing movement for N days sends at least an amount
///
/// Windows are tumbling, per account: a window starts at the first movement after the previous
/// one ended and all its counters reset together. docs/monitoring.md discusses the trade-off.
/// A movement below the dust amount still counts for velocity, volume and structuring, but
/// does not refresh the sender's last outgoing time (dormancy) or remembered payee (round
/// trip): a few cents can't reset what a rule remembers.
library MonitorRules {
    uint8 internal constant LARGE_AMOUNT = 1;
    uint8 internal constant VELOCITY = 2;
    uint8 internal constant VOLUME = 3;
    uint8 internal constant STRUCTURING = 4;
    uint8 internal constant ROUND_TRIP = 5;
    uint8 internal constant NEW_ACCOUNT = 6;
    uint8 internal constant RISKY_COUNTERPARTY = 7;
    uint8 internal constant DORMANT_REACTIVATION = 8;
    uint8 internal constant RULE_COUNT = 8;
    /// @notice `fired` bit of an incoming-volume hit (rule 3 on the recipient's side).
    uint16 internal constant VOLUME_IN_BIT = 1 << 8;
    /// @notice `fired` bits that are about the recipient, not the sender.
    uint16 internal constant RECIPIENT_BITS = VOLUME_IN_BIT | uint16(1 << (NEW_ACCOUNT - 1));

    /// @notice Rule parameters, readable form; packed into one word by `packConfig`. Amounts
    /// are in whole TIME (hours); a zero threshold switches that check off.
    struct Config {
        uint8 enabled; // bit (id - 1) set: rule id is on
        uint16 largeActivityReward;
        uint16 largeTrainingReward;
        uint16 largeServicePayment;
        uint16 largeGift;
        uint24 window; // seconds; the per-account window of rules 2, 3 and 4
        uint8 velocityCount;
        uint16 volumeOut;
        uint16 volumeIn;
        uint8 structuringCount;
        uint8 structuringBand; // percent below the large-amount threshold that counts
        uint24 roundTripWindow; // seconds
        uint8 newAccountDays; // days since activation
        uint16 dustAmount; // hundredths of an hour (centi-TIME)
        uint16 newAccountAmount;
        uint8 riskyLevel; // a RiskLevel, 1 (Low) to 4 (Blocked)
        uint16 dormantDays;
        uint16 dormantAmount;
    }

    // ---- config word: bit offsets, low to high (widths as in Config) -------------------------
    uint256 private constant C_LARGE = 8; // four 16-bit thresholds, indexed by Purpose
    uint256 private constant C_WINDOW = 72;
    uint256 private constant C_VELOCITY = 96;
    uint256 private constant C_VOLUME_OUT = 104;
    uint256 private constant C_VOLUME_IN = 120;
    uint256 private constant C_STRUCT_COUNT = 136;
    uint256 private constant C_STRUCT_BAND = 144;
    uint256 private constant C_ROUND_TRIP = 152;
    uint256 private constant C_NEW_DAYS = 176;
    uint256 private constant C_DUST = 184;
    uint256 private constant C_NEW_AMOUNT = 200;
    uint256 private constant C_RISKY = 216;
    uint256 private constant C_DORMANT_DAYS = 224;
    uint256 private constant C_DORMANT_AMOUNT = 240;

    // ---- account word: bit offsets, low to high ----------------------------------------------
    // [0, 8) standing: bit 0 may transact, bits 1-3 RiskLevel      (owned by TimeCoin.syncMember)
    // [8, 40) activatedAt                                             (owned by TimeCoin.syncMember)
    uint256 internal constant A_ACTIVATED = 8;
    uint256 private constant A_WINDOW_START = 40; // uint32
    uint256 private constant A_OUT_COUNT = 72; // uint8, saturating
    uint256 private constant A_STRUCT_COUNT = 80; // uint8, saturating
    uint256 private constant A_OUT_VOLUME = 88; // uint32 centi-TIME (0.01 h), saturating
    uint256 private constant A_IN_VOLUME = 120; // uint32 centi-TIME, saturating
    uint256 private constant A_LAST_OUT = 152; // uint32
    uint256 private constant A_PAYEE_TAG = 184; // uint40: low 40 bits of the last payee
    uint256 private constant A_PAYEE_AT = 224; // uint32
    /// @dev The fields a new window resets: window start, both counts and both volumes.
    uint256 private constant A_WINDOW_FIELDS = ((uint256(1) << 112) - 1) << A_WINDOW_START;

    uint256 private constant _CENTI = 1e16;
    uint256 private constant M16 = 0xffff;
    uint256 private constant M24 = 0xffffff;
    uint256 private constant M32 = 0xffffffff;
    uint256 private constant M40 = 0xffffffffff;
    // Enabled bits in the config word's low byte, and the matching `fired` bits.
    uint256 private constant ON_LARGE = 1 << (LARGE_AMOUNT - 1);
    uint256 private constant ON_VELOCITY = 1 << (VELOCITY - 1);
    uint256 private constant ON_VOLUME = 1 << (VOLUME - 1);
    uint256 private constant ON_STRUCTURING = 1 << (STRUCTURING - 1);
    uint256 private constant ON_ROUND_TRIP = 1 << (ROUND_TRIP - 1);
    uint256 private constant ON_NEW_ACCOUNT = 1 << (NEW_ACCOUNT - 1);
    uint256 private constant ON_RISKY = 1 << (RISKY_COUNTERPARTY - 1);
    uint256 private constant ON_DORMANT = 1 << (DORMANT_REACTIVATION - 1);
    uint16 private constant BIT_LARGE = uint16(ON_LARGE);
    uint16 private constant BIT_VELOCITY = uint16(ON_VELOCITY);
    uint16 private constant BIT_VOLUME = uint16(ON_VOLUME);
    uint16 private constant BIT_STRUCTURING = uint16(ON_STRUCTURING);
    uint16 private constant BIT_ROUND_TRIP = uint16(ON_ROUND_TRIP);
    uint16 private constant BIT_NEW_ACCOUNT = uint16(ON_NEW_ACCOUNT);
    uint16 private constant BIT_RISKY = uint16(ON_RISKY);
    uint16 private constant BIT_DORMANT = uint16(ON_DORMANT);

    /// @notice Applies the rules to a movement and returns both sides' advanced state.
    /// @param c The packed config. @param f The sender's word (ignored for a mint).
    /// @param t The recipient's word (ignored for a burn).
    /// @return fired Bit (id - 1) for each rule that fired, plus VOLUME_IN_BIT.
    function evaluate(
        uint256 c,
        uint256 f,
        uint256 t,
        address from,
        address to,
        uint256 amount,
        Purpose purpose,
        uint256 time
    ) internal pure returns (uint16 fired, uint256, uint256) {
        // Unchecked: fields are at most 40 bits wide, thresholds are whole hours below 2^16
        // times 1e18, timestamps fit 32 bits and `amount` is a balance, so no sum or product
        // here comes near 2^256.
        unchecked {
            if (c & 0xff == 0) return (0, f, t);
            uint256 largeHours =
                purpose <= Purpose.Gift ? (c >> (C_LARGE + 16 * uint256(purpose))) & M16 : 0;
            if (c & ON_LARGE != 0 && largeHours != 0 && amount >= largeHours * 1e18) {
                fired = BIT_LARGE;
            }
            uint256 centi = amount / _CENTI;
            if (from != address(0)) {
                if (c & ON_ROUND_TRIP != 0 && to != address(0)) {
                    uint256 paidAt = (t >> A_PAYEE_AT) & M32;
                    if (
                        paidAt != 0 && (t >> A_PAYEE_TAG) & M40 == uint160(from) & M40
                            && time <= paidAt + ((c >> C_ROUND_TRIP) & M24)
                    ) fired |= BIT_ROUND_TRIP;
                }
                uint16 senderFired;
                (senderFired, f) = _sender(c, f, to, amount, centi, largeHours, time);
                fired |= senderFired;
            }
            if (to != address(0)) {
                uint16 recipientFired;
                (recipientFired, t) = _recipient(c, t, amount, centi, time);
                fired |= recipientFired;
            }
            if (c & ON_RISKY != 0) {
                uint256 level = (c >> C_RISKY) & 0xff;
                if (
                    (from != address(0) && (f & 0xff) >> 1 >= level)
                        || (to != address(0) && (t & 0xff) >> 1 >= level)
                ) fired |= BIT_RISKY;
            }
            return (fired, f, t);
        }
    }

    /// @dev Recipient-side rules: incoming volume and new account.
    function _recipient(uint256 c, uint256 t, uint256 amount, uint256 centi, uint256 time)
        private
        pure
        returns (uint16 fired, uint256)
    {
        // Unchecked: see evaluate.
        unchecked {
            t = _roll(t, c, time);
            uint256 volume = _sat32(((t >> A_IN_VOLUME) & M32) + centi);
            t = (t & ~(M32 << A_IN_VOLUME)) | volume << A_IN_VOLUME;
            uint256 limit = (c >> C_VOLUME_IN) & M16;
            if (c & ON_VOLUME != 0 && limit != 0 && volume >= limit * 100) fired = VOLUME_IN_BIT;
            uint256 activatedAt = (t >> A_ACTIVATED) & M32;
            if (
                c & ON_NEW_ACCOUNT != 0 && activatedAt != 0
                    && time < activatedAt + ((c >> C_NEW_DAYS) & 0xff) * 1 days
                    && amount >= ((c >> C_NEW_AMOUNT) & M16) * 1e18
            ) fired |= BIT_NEW_ACCOUNT;
            return (fired, t);
        }
    }

    /// @dev Sender-side rules: dormancy, velocity, outgoing volume, structuring; records the
    /// payee for the round-trip rule and the time of this outgoing movement.
    function _sender(
        uint256 c,
        uint256 f,
        address to,
        uint256 amount,
        uint256 centi,
        uint256 largeHours,
        uint256 time
    ) private pure returns (uint16 fired, uint256) {
        // Unchecked: see evaluate.
        unchecked {
            if (c & ON_DORMANT != 0) {
                uint256 last = (f >> A_LAST_OUT) & M32;
                uint256 activatedAt = (f >> A_ACTIVATED) & M32;
                if (activatedAt > last) last = activatedAt;
                if (
                    last != 0 && time >= last + ((c >> C_DORMANT_DAYS) & M16) * 1 days
                        && amount >= ((c >> C_DORMANT_AMOUNT) & M16) * 1e18
                ) fired = BIT_DORMANT;
            }
            f = _roll(f, c, time);
            uint256 count = (f >> A_OUT_COUNT) & 0xff;
            if (count < 0xff) f += uint256(1) << A_OUT_COUNT; // saturating: stays at 255
            if (c & ON_VELOCITY != 0 && count + 1 >= (c >> C_VELOCITY) & 0xff) {
                fired |= BIT_VELOCITY;
            }
            uint256 volume = _sat32(((f >> A_OUT_VOLUME) & M32) + centi);
            f = (f & ~(M32 << A_OUT_VOLUME)) | volume << A_OUT_VOLUME;
            uint256 limit = (c >> C_VOLUME_OUT) & M16;
            if (c & ON_VOLUME != 0 && limit != 0 && volume >= limit * 100) fired |= BIT_VOLUME;
            if (
                c & ON_STRUCTURING != 0 && largeHours != 0 && amount < largeHours * 1e18
                    && amount >= largeHours * (100 - ((c >> C_STRUCT_BAND) & 0xff)) * 1e16
            ) {
                count = (f >> A_STRUCT_COUNT) & 0xff;
                if (count < 0xff) f += uint256(1) << A_STRUCT_COUNT;
                if (count + 1 >= (c >> C_STRUCT_COUNT) & 0xff) fired |= BIT_STRUCTURING;
            }
            // Dust neither ends dormancy nor replaces the payee the round-trip rule remembers.
            if (centi < (c >> C_DUST) & M16) return (fired, f);
            uint256 stamp = time & M32;
            f = (f & ~(M32 << A_LAST_OUT)) | stamp << A_LAST_OUT;
            if (to != address(0)) {
                f = (f & ~(M40 << A_PAYEE_TAG | M32 << A_PAYEE_AT)) | (uint160(to) & M40)
                    << A_PAYEE_TAG | stamp << A_PAYEE_AT;
            }
            return (fired, f);
        }
    }

    /// @notice The parameters and actions timebank ships with; docs/monitoring.md explains each.
    function defaults() internal pure returns (Config memory c, uint32 actions) {
        c = Config({
            enabled: 0xff,
            largeActivityReward: 40,
            largeTrainingReward: 40,
            largeServicePayment: 24,
            largeGift: 10,
            window: 1 days,
            velocityCount: 20,
            volumeOut: 60,
            volumeIn: 60,
            structuringCount: 3,
            structuringBand: 20,
            roundTripWindow: 2 days,
            newAccountDays: 30,
            dustAmount: 50, // half an hour
            newAccountAmount: 20,
            riskyLevel: 3, // High
            dormantDays: 180,
            dormantAmount: 10
        });
        // Large amounts are held for a supervisor; every other rule flags.
        actions = 2;
        for (uint8 id = 2; id <= RULE_COUNT; ++id) {
            actions |= uint32(1) << (2 * (id - 1));
        }
    }

    /// @notice The strongest action among the fired rules, and the lowest Block rule id (or 0).
    /// @param actions 2 bits per rule id, at bits 2 * (id - 1): a MonitorAction.
    function strongest(uint16 fired, uint32 actions)
        internal
        pure
        returns (uint8 action, uint8 blockingRule)
    {
        // An incoming-volume hit takes rule 3's action.
        if (fired & VOLUME_IN_BIT != 0) fired |= _bit(VOLUME);
        for (uint8 id = 1; id <= RULE_COUNT; ++id) {
            if (fired & _bit(id) == 0) continue;
            uint8 a = uint8((actions >> (2 * (id - 1))) & 3);
            if (a == 3 && blockingRule == 0) blockingRule = id;
            if (a > action) action = a;
        }
    }

    function packConfig(Config memory c) internal pure returns (uint256 w) {
        w = uint256(c.enabled);
        w |= uint256(c.largeActivityReward) << C_LARGE;
        w |= uint256(c.largeTrainingReward) << (C_LARGE + 16);
        w |= uint256(c.largeServicePayment) << (C_LARGE + 32);
        w |= uint256(c.largeGift) << (C_LARGE + 48);
        w |= uint256(c.window) << C_WINDOW;
        w |= uint256(c.velocityCount) << C_VELOCITY;
        w |= uint256(c.volumeOut) << C_VOLUME_OUT;
        w |= uint256(c.volumeIn) << C_VOLUME_IN;
        w |= uint256(c.structuringCount) << C_STRUCT_COUNT;
        w |= uint256(c.structuringBand) << C_STRUCT_BAND;
        w |= uint256(c.roundTripWindow) << C_ROUND_TRIP;
        w |= uint256(c.newAccountDays) << C_NEW_DAYS;
        w |= uint256(c.dustAmount) << C_DUST;
        w |= uint256(c.newAccountAmount) << C_NEW_AMOUNT;
        w |= uint256(c.riskyLevel) << C_RISKY;
        w |= uint256(c.dormantDays) << C_DORMANT_DAYS;
        w |= uint256(c.dormantAmount) << C_DORMANT_AMOUNT;
    }

    function unpackConfig(uint256 w) internal pure returns (Config memory c) {
        c.enabled = uint8(w);
        c.largeActivityReward = uint16(w >> C_LARGE);
        c.largeTrainingReward = uint16(w >> (C_LARGE + 16));
        c.largeServicePayment = uint16(w >> (C_LARGE + 32));
        c.largeGift = uint16(w >> (C_LARGE + 48));
        c.window = uint24(w >> C_WINDOW);
        c.velocityCount = uint8(w >> C_VELOCITY);
        c.volumeOut = uint16(w >> C_VOLUME_OUT);
        c.volumeIn = uint16(w >> C_VOLUME_IN);
        c.structuringCount = uint8(w >> C_STRUCT_COUNT);
        c.structuringBand = uint8(w >> C_STRUCT_BAND);
        c.roundTripWindow = uint24(w >> C_ROUND_TRIP);
        c.newAccountDays = uint8(w >> C_NEW_DAYS);
        c.dustAmount = uint16(w >> C_DUST);
        c.newAccountAmount = uint16(w >> C_NEW_AMOUNT);
        c.riskyLevel = uint8(w >> C_RISKY);
        c.dormantDays = uint16(w >> C_DORMANT_DAYS);
        c.dormantAmount = uint16(w >> C_DORMANT_AMOUNT);
    }

    /// @dev Starts a new window when the current one has ended; all window counters reset.
    function _roll(uint256 a, uint256 c, uint256 time) private pure returns (uint256) {
        // Unchecked: a 32-bit time plus a 24-bit window.
        unchecked {
            if (time >= ((a >> A_WINDOW_START) & M32) + ((c >> C_WINDOW) & M24)) {
                a = (a & ~A_WINDOW_FIELDS) | (time & M32) << A_WINDOW_START;
            }
        }
        return a;
    }

    function _sat32(uint256 x) private pure returns (uint256) {
        return x > M32 ? M32 : x;
    }

    function _bit(uint8 id) private pure returns (uint16) {
        return uint16(1 << (id - 1));
    }
}
