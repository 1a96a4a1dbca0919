//! What the relayer spends, bounded: relayed writes per signer per minute and per gateway per
//! second (in this process), and gas per signer per UTC day (in the branch database, shared by
//! the branch's replicas and kept across restarts). Beyond any of them: 429 with `Retry-After`.
//!
//! The gas a relay spends is added up here and written to the database once a second (one
//! statement for all signers, which answers with each one's total across the replicas), and
//! what the database says of a signer who relayed nothing since is read again after two
//! seconds: a relay does not wait for the database, and a replica sees another's spending
//! within about two seconds.

use crate::{
    Settings,
    error::{ApiError, ApiResult},
};
use alloy::primitives::Address;
use governor::{
    DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};
use std::{
    collections::HashMap,
    num::NonZeroU32,
    sync::{Mutex, PoisonError},
    time::{Duration, Instant},
};
use timebank_indexer::Store;

/// Metric names (Prometheus).
pub mod names {
    /// Gas the relayer spent (counter). Not by signer: a series per member would grow with the
    /// membership; each member's spending is in `relay_gas`.
    pub const RELAYED_GAS: &str = "timebank_gateway_relayed_gas_total";
    /// Relayed writes refused by a limit, by limit (counter).
    pub const LIMITED: &str = "timebank_gateway_relay_limited_total";
    /// The relayer's balance, in ether (gauge).
    pub const RELAYER_BALANCE: &str = "timebank_gateway_relayer_balance_ether";
}

const DAY: u64 = 86_400;

/// The relay's limits.
#[derive(Debug)]
pub struct Limits {
    per_signer: DefaultKeyedRateLimiter<Address>,
    per_gateway: DefaultDirectRateLimiter,
    daily_gas: u64,
    clock: DefaultClock,
    spending: Mutex<Spending>,
}

/// Per (signer, day): gas and writes relayed not yet written to the database, and the gas the
/// database last said was spent (with when it said so).
#[derive(Debug, Default)]
struct Spending {
    unwritten: HashMap<(Address, u64), Unwritten>,
    read: HashMap<(Address, u64), (u64, Instant)>,
}

impl Spending {
    /// Keeps `gas`, what the database said when asked at `asked`, unless a later answer is
    /// kept already (two reads can finish out of order); returns the answer kept.
    fn newer_read(&mut self, key: (Address, u64), gas: u64, asked: Instant) -> u64 {
        let kept = self.read.entry(key).or_insert((gas, asked));
        if kept.1 < asked {
            *kept = (gas, asked);
        }
        kept.0
    }
}

/// What a signer's relays spent since the last write.
#[derive(Debug, Default, Clone, Copy)]
struct Unwritten {
    gas: u64,
    relayed: u64,
}

/// How often the gas counted in memory is written to the database (by the gateway's chores).
pub const WRITE_INTERVAL: Duration = Duration::from_secs(1);

/// How long a signer's spending read from the database stands: past one write, so that a
/// signer relaying every second is never read apart from the write's own answer.
const REREAD: Duration = WRITE_INTERVAL.saturating_mul(2);

impl Limits {
    /// The limits `settings` name (a zero rate is taken as one).
    pub fn new(settings: &Settings) -> Self {
        let nonzero = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        Self {
            per_signer: RateLimiter::keyed(Quota::per_minute(nonzero(
                settings.relay_per_signer_per_minute,
            ))),
            per_gateway: RateLimiter::direct(Quota::per_second(nonzero(settings.relay_per_second))),
            daily_gas: settings.relay_daily_gas_per_signer,
            clock: DefaultClock::default(),
            spending: Mutex::default(),
        }
    }

    /// Takes one relayed write from `signer`'s and the gateway's allowance, or says when to
    /// come back.
    pub fn admit(&self, signer: Address) -> ApiResult<()> {
        if let Err(not_until) = self.per_signer.check_key(&signer) {
            metrics::counter!(names::LIMITED, "limit" => "per_signer").increment(1);
            return Err(ApiError::too_many(
                "rate_limited",
                format!("{signer} sent too many writes in the last minute; try again shortly"),
                not_until.wait_time_from(self.clock.now()),
            ));
        }
        if let Err(not_until) = self.per_gateway.check() {
            metrics::counter!(names::LIMITED, "limit" => "per_gateway").increment(1);
            return Err(ApiError::too_many(
                "rate_limited",
                "this branch's gateway is relaying as many writes as it may; try again shortly",
                not_until.wait_time_from(self.clock.now()),
            ));
        }
        Ok(())
    }

    /// 429 until midnight (UTC) when relaying `gas` more for `signer` today would pass the
    /// daily budget.
    pub async fn within_budget(&self, store: &Store, signer: Address, gas: u64) -> ApiResult<()> {
        let now = crate::auth::unix_now();
        let key = (signer, now / DAY);
        let known = self
            .spending()
            .read
            .get(&key)
            .filter(|(_, at)| at.elapsed() < REREAD)
            .map(|(gas, _)| *gas);
        let stored = match known {
            Some(gas) => gas,
            None => {
                let asked = Instant::now();
                let gas = store.relay_gas(signer, key.1).await?;
                self.spending().newer_read(key, gas, asked)
            }
        };
        let spent = stored + self.spending().unwritten.get(&key).map_or(0, |u| u.gas);
        if spent.saturating_add(gas) > self.daily_gas {
            metrics::counter!(names::LIMITED, "limit" => "daily_gas").increment(1);
            return Err(ApiError::too_many(
                "gas_budget",
                format!(
                    "the relayer spent {spent} gas for {signer} today; the daily budget is {} \
                     (a write may take up to {gas}): try again after midnight UTC",
                    self.daily_gas
                ),
                Duration::from_secs(DAY - now % DAY),
            ));
        }
        Ok(())
    }

    /// Counts `gas` the relayer spent for `signer` (written by [`Limits::write`]).
    pub fn spent(&self, signer: Address, gas: u64) {
        metrics::counter!(names::RELAYED_GAS).increment(gas);
        let mut spending = self.spending();
        let unwritten = spending
            .unwritten
            .entry((signer, crate::auth::unix_now() / DAY))
            .or_default();
        unwritten.gas += gas;
        unwritten.relayed += 1;
    }

    /// Writes what was relayed since the last call to the database, in one transaction, and
    /// keeps the totals it answers (every replica's) as just read; what could not be written
    /// is kept for the next call.
    pub async fn write(&self, store: &Store) -> ApiResult<()> {
        let unwritten = std::mem::take(&mut self.spending().unwritten);
        if unwritten.is_empty() {
            return Ok(());
        }
        let rows: Vec<_> = unwritten
            .iter()
            .map(|(&(signer, day), u)| (signer, day, u.gas, u.relayed))
            .collect();
        let asked = Instant::now();
        let totals = match store.add_relay_gas(&rows).await {
            Ok(totals) => totals,
            Err(err) => {
                let mut spending = self.spending();
                for (key, u) in unwritten {
                    let kept = spending.unwritten.entry(key).or_default();
                    kept.gas += u.gas;
                    kept.relayed += u.relayed;
                }
                return Err(err.into());
            }
        };
        let mut spending = self.spending();
        for (signer, day, gas) in totals {
            spending.newer_read((signer, day), gas, asked);
        }
        Ok(())
    }

    fn spending(&self) -> std::sync::MutexGuard<'_, Spending> {
        self.spending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets signers whose allowance is full again, and spending read before today (a bound
    /// on memory).
    pub fn forget_idle(&self) {
        self.per_signer.retain_recent();
        let today = crate::auth::unix_now() / DAY;
        self.spending().read.retain(|(_, day), _| *day == today);
    }
}
