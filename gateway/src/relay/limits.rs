//! What the relayer spends, bounded: relayed writes per signer per minute and per gateway per
//! second (in this process), and gas per signer per UTC day (in the branch database, shared by
//! the branch's replicas and kept across restarts). Beyond any of them: 429 with `Retry-After`.

use crate::{
    Settings,
    error::{ApiError, ApiResult},
};
use alloy::primitives::Address;
use governor::{
    DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};
use std::{num::NonZeroU32, time::Duration};
use timebank_indexer::Store;

/// Metric names (Prometheus).
pub mod names {
    /// Gas the relayer spent, by signer (counter).
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
}

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
        let spent = store.relay_gas(signer, now / DAY).await?;
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

    /// Counts `gas` the relayer spent for `signer`.
    pub async fn spent(&self, store: &Store, signer: Address, gas: u64) -> ApiResult<()> {
        metrics::counter!(names::RELAYED_GAS, "signer" => signer.to_string()).increment(gas);
        store
            .add_relay_gas(signer, crate::auth::unix_now() / DAY, gas)
            .await?;
        Ok(())
    }

    /// Forgets signers whose allowance is full again (a bound on memory).
    pub fn forget_idle(&self) {
        self.per_signer.retain_recent();
    }
}
