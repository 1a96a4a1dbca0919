//! The agent's parameters (`riskscan.toml`): one table per detector and one for the platform
//! scans. Every field has a default; a file names only what it changes, and a misspelt field
//! is an error, not a silent default. docs/risk.md explains each parameter.

use alloy::primitives::{Address, U256};
use serde::Deserialize;
use std::path::Path;
use timebank_bindings::types::Purpose;

use crate::model::Severity;

const HOUR: u64 = 1_000_000; // micro-hours
const DAY: u64 = 86_400;

/// Everything the agent reads from its file (serialized back for `set`, which goes through
/// TOML).
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Findings at or above this severity open a case on chain; the others are listed only.
    pub open_case_at: Severity,
    /// Most cases the agent opens about one account in any 24 hours (its clock); a finding
    /// over the cap is added to the account's open case as evidence. Whatever the cap, an
    /// account has at most one open case per detector: a finding for a detector whose case is
    /// still open is added to it.
    pub daily_cases_per_account: u64,
    /// Several payments just below a large-amount threshold in a sliding window.
    pub structuring: Structuring,
    /// Value returning to where it came from through other accounts.
    pub cycles: Cycles,
    /// Many payers to one account.
    pub fan_in: FanIn,
    /// One account paying many, with coins it just received.
    pub fan_out: FanOut,
    /// Coins in, then straight out again.
    pub mule: Mule,
    /// An account's outgoing total today against its own history.
    pub velocity: Velocity,
    /// High balances that do not move; accounts never used.
    pub dormant: Dormant,
    /// Rewards settled around a credential's expiry or revocation; expired credentials still
    /// listed as valid.
    pub credentials: Credentials,
    /// The platform's nodes, services and contracts.
    pub platform: Platform,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            open_case_at: Severity::Medium,
            daily_cases_per_account: 3,
            structuring: Structuring::default(),
            cycles: Cycles::default(),
            fan_in: FanIn::default(),
            fan_out: FanOut::default(),
            mule: Mule::default(),
            velocity: Velocity::default(),
            dormant: Dormant::default(),
            credentials: Credentials::default(),
            platform: Platform::default(),
        }
    }
}

impl Config {
    /// Reads `path`; the defaults if it is `None`.
    pub fn load(path: Option<&Path>) -> eyre::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path)
            .map_err(|err| eyre::eyre!("cannot read {}: {err}", path.display()))?;
        toml::from_str(&text).map_err(|err| eyre::eyre!("{}: {err}", path.display()))
    }

    /// Sets `detector.param = value` (a TOML value: `4`, `"2h"`, `["gift"]`), as `backtest
    /// --param` does.
    pub fn set(&mut self, detector: &str, param: &str, value: &str) -> eyre::Result<()> {
        let mut doc = toml::Table::try_from(&*self)?;
        let table = doc
            .get_mut(detector)
            .and_then(toml::Value::as_table_mut)
            .ok_or_else(|| eyre::eyre!("no detector called {detector:?}"))?;
        if !table.contains_key(param) {
            let known: Vec<&String> = table.keys().collect();
            eyre::bail!("{detector} has no parameter {param:?}; it has {known:?}");
        }
        let parsed: toml::Value = toml::from_str::<toml::Table>(&format!("v = {value}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| toml::Value::String(value.to_owned()));
        table.insert(param.to_owned(), parsed);
        *self = doc.try_into()?;
        Ok(())
    }
}

macro_rules! params {
    ($($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident: $ty:ty = $default:expr),* $(,)? })*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Deserialize, serde::Serialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            $($(#[$fdoc])* pub $field: $ty,)*
        }
        impl Default for $name {
            fn default() -> Self {
                Self { $($field: $default,)* }
            }
        }
    )*};
}

params! {
    /// Structuring: `count` payments by one payer in the band below their purpose's
    /// large-amount threshold within any `window_secs` (sliding), when the chain's tumbling
    /// window did not already catch them; and one payer's payments to at least `split_payees`
    /// different payees within `split_window_secs`, each below its purpose's threshold and at
    /// least `split_min_percent` of it, whose totals measured against each purpose's threshold
    /// add up to one (one large payment split across several payees, gifts and services
    /// mixed). Thresholds and the band come from the chain's rules unless set here.
    Structuring {
        /// On or off.
        enabled: bool = true,
        /// Payments in the band that make the pattern (0: the chain's `structuringCount`).
        count: u32 = 0,
        /// The sliding window (0: the chain's `window`).
        window_secs: u64 = 0,
        /// Percent below the threshold that counts (0: the chain's `structuringBand`).
        band_percent: u8 = 0,
        /// Different payees of a split (0: off).
        split_payees: usize = 3,
        /// The window a split is made in.
        split_window_secs: u64 = 3600,
        /// Smallest part of a split, in percent of its purpose's threshold (smaller parts to
        /// many payees are fan-out's).
        split_min_percent: u64 = 25,
    }
    /// Cycles: value leaving an account and coming back to it through `min_hops` to
    /// `max_hops` payments within `window_secs` (medium; four hops or more high), or through up
    /// to `long_max_hops` within `long_window_secs` (slower or longer: low). Each hop carries at
    /// most `tolerance_percent` more than the hop before and at least `100 - skim_percent`
    /// percent of it, and what comes back is at least `100 - skim_percent` percent of what
    /// left: a hop that keeps a part (a skim) still passed the rest on, and the finding names
    /// each skim; a hop that keeps more than `skim_percent` did not pass the value on. Gifts
    /// below `min_micro` and service payments below `service_min_micro` are neither followed
    /// nor in the way.
    Cycles {
        /// On or off.
        enabled: bool = true,
        /// Fewest payments in a cycle (2 would repeat the chain's round-trip rule).
        min_hops: usize = 3,
        /// Most payments in a fast cycle.
        max_hops: usize = 5,
        /// How long the value may take to come back in a fast cycle.
        window_secs: u64 = 2 * DAY,
        /// Most payments in a slow or long cycle (low severity).
        long_max_hops: usize = 6,
        /// How long the value may take to come back in a slow or long cycle.
        long_window_secs: u64 = 7 * DAY,
        /// How much more a hop may carry than the hop before, in percent (and how much less
        /// before it is a skim).
        tolerance_percent: u64 = 10,
        /// How much a hop may keep and still pass the rest on, in percent; also the most the
        /// whole cycle may lose.
        skim_percent: u64 = 30,
        /// Smallest gift followed, in millionths of an hour.
        min_micro: u64 = HOUR,
        /// Smallest service payment followed: members serving each other round a circle, an
        /// hour or two at a time, is what a time bank is for; hours of "service" going round at
        /// once are relabelled gifts.
        service_min_micro: u64 = 3 * HOUR,
        /// Purposes followed.
        purposes: Vec<Purpose> = vec![Purpose::Gift, Purpose::ServicePayment],
    }
    /// Fan-in: at least `min_payers` different payers to one account within `window_secs`,
    /// counting payments of `purposes`, when each purpose's total measured against its own
    /// threshold adds up to one: gifts against `min_total_micro`, service payments against
    /// `service_min_total_micro` (a provider paid by many for a day's work is ordinary; more
    /// hours of service than a day has is not).
    FanIn {
        /// On or off.
        enabled: bool = true,
        /// Different payers that make the pattern.
        min_payers: usize = 8,
        /// The sliding window.
        window_secs: u64 = DAY,
        /// Purposes counted.
        purposes: Vec<Purpose> = vec![Purpose::Gift, Purpose::ServicePayment],
        /// Gifts' total that makes the pattern, in millionths of an hour.
        min_total_micro: u64 = 8 * HOUR,
        /// Service payments' total that makes the pattern, in millionths of an hour.
        service_min_total_micro: u64 = 24 * HOUR,
    }
    /// Fan-out: one account paying at least `min_payees` different accounts within
    /// `window_secs`, at least `funded_percent` of it with coins members paid it within the
    /// window before (an organiser paying volunteers from their own balance is not this).
    FanOut {
        /// On or off.
        enabled: bool = true,
        /// Different payees that make the pattern.
        min_payees: usize = 8,
        /// The sliding window.
        window_secs: u64 = DAY,
        /// Share of the outgoing total that came in from other members just before.
        funded_percent: u64 = 80,
    }
    /// Mule: an account paid at least `min_micro` passes at least `pass_percent` of it on to
    /// someone else within `max_delay_secs` (two hours: a mule that waits half an hour and a
    /// minute is still a mule; a member paid for a service who pays for another that
    /// afternoon is not).
    Mule {
        /// On or off.
        enabled: bool = true,
        /// How soon the coins leave again.
        max_delay_secs: u64 = 2 * 3600,
        /// Share of what came in that goes out.
        pass_percent: u64 = 80,
        /// Least amount in, in millionths of an hour.
        min_micro: u64 = 4 * HOUR,
    }
    /// Velocity: an account's outgoing total on a day at least `factor` times its median
    /// over the active days of the `history_days` before (at least `min_active_days` of them).
    Velocity {
        /// On or off.
        enabled: bool = true,
        /// History looked at.
        history_days: u64 = 90,
        /// How many times the median.
        factor: u64 = 5,
        /// Days with outgoing payments needed before the median means anything.
        min_active_days: usize = 5,
        /// Least total on the day, in millionths of an hour.
        min_total_micro: u64 = 5 * HOUR,
    }
    /// Dormant accounts: a balance of at least `min_balance_micro` with no outgoing payment
    /// for `idle_days`; accounts active for `never_used_days` that never paid or received.
    Dormant {
        /// On or off.
        enabled: bool = true,
        /// Days without an outgoing payment.
        idle_days: u64 = 180,
        /// Least balance, in millionths of an hour.
        min_balance_micro: u64 = 10 * HOUR,
        /// Days since activation with no payment at all.
        never_used_days: u64 = 90,
    }
    /// Credentials: a reward settled for an activity whose required credential expired within
    /// `expiring_within_days` after it, or was revoked within `revoked_within_days`; and
    /// credentials past their expiry still listed as valid.
    Credentials {
        /// On or off.
        enabled: bool = true,
        /// Days after the settlement.
        expiring_within_days: u64 = 7,
        /// Days after the settlement.
        revoked_within_days: u64 = 7,
    }
    /// The platform: every branch's node and services, the contracts.
    Platform {
        /// On or off.
        enabled: bool = true,
        /// Seconds between scans.
        interval_secs: u64 = 30,
        /// Each branch's node and services.
        branches: Vec<BranchEndpoints> = Vec::new(),
        /// A node this many blocks behind the highest is behind.
        max_lag_blocks: u64 = 10,
        /// A head block older than this is a stuck chain.
        max_block_age_secs: u64 = 120,
        /// A head block this far ahead of the agent's clock is drift.
        max_drift_secs: u64 = 15,
        /// Fewest peers a node should have (0: no check, e.g. a single dev node).
        min_peers: u64 = 0,
        /// Relayers whose balance pays for members' transactions.
        relayers: Vec<Address> = Vec::new(),
        /// A relayer below this many wei runs low.
        min_relayer_wei: U256 = U256::from(10u128.pow(18)),
        /// A quota this full (percent) is near its end.
        quota_percent: u64 = 90,
    }
}

/// One branch's node and services, as the platform scans reach them.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct BranchEndpoints {
    /// The branch's id.
    pub branch: u64,
    /// Its node's JSON-RPC.
    pub rpc_url: url::Url,
    /// Its gateway (`/health`, `/ready`).
    pub gateway_url: Option<url::Url>,
}
