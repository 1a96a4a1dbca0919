//! The detectors over payments. Each keeps, per account, only what its window needs, sees
//! every member-to-member payment once in chain order, and reports a pattern once: a
//! detector that fired for an account waits for a new pattern (new payments) before it fires
//! again. The engine feeds them and collects what they find.

mod cycles;
mod fan;
mod structuring;
mod velocity;

use crate::{
    config::Config,
    model::{Finding, Payment},
};
use alloy::primitives::{Address, map::HashMap};
use timebank_bindings::time_coin::MonitorRules;

pub use cycles::Cycles;
pub use fan::{FanIn, FanOut, Mule};
pub use structuring::Structuring;
pub use velocity::Velocity;

/// An account's number inside the engine: its state lives in vectors indexed by it.
pub type Id = u32;

/// Accounts seen so far, numbered in order of appearance.
#[derive(Debug, Default)]
pub struct Accounts {
    ids: HashMap<Address, Id>,
    addresses: Vec<Address>,
}

impl Accounts {
    /// `account`'s number, given one if it is new.
    pub fn id(&mut self, account: Address) -> Id {
        let next = self.addresses.len() as Id;
        *self.ids.entry(account).or_insert_with(|| {
            self.addresses.push(account);
            next
        })
    }

    /// The account numbered `id`.
    pub fn address(&self, id: Id) -> Address {
        self.addresses[id as usize]
    }
}

/// A payment with its two sides numbered.
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    /// The payment.
    pub p: Payment,
    /// Payer's number.
    pub from: Id,
    /// Payee's number.
    pub to: Id,
}

/// One detector.
pub trait Detector: Send + Sync {
    /// Its name (`structuring`, `cycles`, ...), as the config and the findings call it.
    fn name(&self) -> &'static str;
    /// Sees the next payment; pushes what it finds.
    fn observe(&mut self, s: &Seen, accounts: &Accounts, found: &mut Vec<Finding>);
}

/// Per-account state, grown as accounts appear.
pub(crate) fn slot<T: Default>(v: &mut Vec<T>, id: Id) -> &mut T {
    let i = id as usize;
    if v.len() <= i {
        v.resize_with(i + 1, T::default);
    }
    &mut v[i]
}

/// The detectors the config switches on, fed in chain order.
pub struct Engine {
    accounts: Accounts,
    detectors: Vec<Box<dyn Detector>>,
    seen: u64,
    last: Option<(u64, u64)>,
}

impl Engine {
    /// Every detector `config` switches on; `rules` are the chain's (structuring's defaults).
    pub fn new(config: &Config, rules: &MonitorRules::Config) -> Self {
        let mut detectors: Vec<Box<dyn Detector>> = Vec::new();
        if config.structuring.enabled {
            detectors.push(Box::new(Structuring::new(&config.structuring, rules)));
        }
        if config.cycles.enabled {
            detectors.push(Box::new(Cycles::new(&config.cycles)));
        }
        if config.fan_in.enabled {
            detectors.push(Box::new(FanIn::new(&config.fan_in)));
        }
        if config.fan_out.enabled {
            detectors.push(Box::new(FanOut::new(&config.fan_out)));
        }
        if config.mule.enabled {
            detectors.push(Box::new(Mule::new(&config.mule)));
        }
        if config.velocity.enabled {
            detectors.push(Box::new(Velocity::new(&config.velocity)));
        }
        Self {
            accounts: Accounts::default(),
            detectors,
            seen: 0,
            last: None,
        }
    }

    /// Only the detector called `name` (a backtest).
    pub fn only(mut self, name: &str) -> eyre::Result<Self> {
        let names: Vec<&str> = self.detectors.iter().map(|d| d.name()).collect();
        if !names.contains(&name) {
            eyre::bail!("no detector called {name:?} is on; these are: {names:?}");
        }
        self.detectors.retain(|d| d.name() == name);
        Ok(self)
    }

    /// Sees `p`, the next payment in chain order; pushes findings to `found`. A payment at or
    /// before the last one seen is ignored (a page read twice).
    pub fn observe(&mut self, p: &Payment, found: &mut Vec<Finding>) {
        let at = (p.block_number, p.log_index);
        if self.last.is_some_and(|last| at <= last) {
            return;
        }
        self.last = Some(at);
        self.seen += 1;
        let s = Seen {
            p: *p,
            from: self.accounts.id(p.sender),
            to: self.accounts.id(p.recipient),
        };
        for d in &mut self.detectors {
            d.observe(&s, &self.accounts, found);
        }
    }

    /// Payments seen.
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// The last payment seen (block, log index).
    pub fn last(&self) -> Option<(u64, u64)> {
        self.last
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use timebank_bindings::types::Purpose;

    /// The chain's default rules, as `MonitorRules.defaults()` has them.
    pub fn rules() -> MonitorRules::Config {
        MonitorRules::Config {
            enabled: 0xff,
            largeActivityReward: 40,
            largeTrainingReward: 40,
            largeServicePayment: 24,
            largeGift: 10,
            window: alloy::primitives::aliases::U24::from(86_400),
            velocityCount: 20,
            volumeOut: 60,
            volumeIn: 60,
            structuringCount: 3,
            structuringBand: 20,
            roundTripWindow: alloy::primitives::aliases::U24::from(2 * 86_400),
            newAccountDays: 30,
            dustAmount: 50,
            newAccountAmount: 20,
            riskyLevel: 3,
            dormantDays: 180,
            dormantAmount: 10,
        }
    }

    /// A payment stream for tests: accounts by small numbers, times in seconds.
    #[derive(Default)]
    pub struct Stream {
        block: u64,
        pub found: Vec<Finding>,
    }

    pub fn who(n: u8) -> Address {
        Address::with_last_byte(n)
    }

    impl Stream {
        pub fn pay(
            &mut self,
            engine: &mut Engine,
            time: u64,
            from: u8,
            to: u8,
            hours: f64,
            purpose: Purpose,
        ) {
            self.block += 1;
            let p = Payment {
                block_number: self.block,
                log_index: 0,
                time,
                sender: who(from),
                recipient: who(to),
                micro: (hours * 1e6).round() as u64,
                purpose,
            };
            engine.observe(&p, &mut self.found);
        }

        pub fn of(&self, detector: &str) -> Vec<&Finding> {
            self.found
                .iter()
                .filter(|f| f.detector == detector)
                .collect()
        }
    }

    pub fn engine(config: &Config, only: &str) -> Engine {
        Engine::new(config, &rules()).only(only).unwrap()
    }
}
