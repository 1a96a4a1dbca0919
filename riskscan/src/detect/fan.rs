//! Many to one, one to many, and coins passing straight through: the shapes of collecting and
//! spreading through mules, which no rule about one payment and two accounts sees.

use super::{Accounts, Detector, Id, Seen, slot};
use crate::{
    config,
    model::{Finding, PaymentRef, Severity, hours, score},
};
use alloy::primitives::map::HashMap;
use std::collections::VecDeque;
use timebank_bindings::types::Purpose;

/// Payments in a sliding window with the count per counterparty.
#[derive(Default)]
struct Window {
    payments: VecDeque<(Id, PaymentRef, u64)>,
    by_party: HashMap<Id, u32>,
    total: u64,
    /// The payments' weights added up (what a weight is, is the detector's).
    weight: u64,
    /// Payments up to this one (block, log index) were reported: a pattern needs new ones.
    reported_until: Option<(u64, u64)>,
}

impl Window {
    fn push(&mut self, party: Id, p: PaymentRef, weight: u64, window: u64) {
        while let Some((old, q, w)) = self.payments.front() {
            if q.time + window > p.time {
                break;
            }
            let old = *old;
            self.total -= q.micro;
            self.weight -= w;
            if let Some(n) = self.by_party.get_mut(&old) {
                *n -= 1;
                if *n == 0 {
                    self.by_party.remove(&old);
                }
            }
            self.payments.pop_front();
        }
        self.total += p.micro;
        self.weight += weight;
        *self.by_party.entry(party).or_default() += 1;
        self.payments.push_back((party, p, weight));
    }

    fn parties(&self) -> usize {
        self.by_party.len()
    }

    /// The window's payments, marked reported.
    fn report(&mut self) -> Vec<PaymentRef> {
        let payments: Vec<PaymentRef> = self.payments.iter().map(|(_, p, _)| p.clone()).collect();
        self.reported_until = payments.last().map(|p| (p.block, p.log_index));
        self.payments.clear();
        self.by_party.clear();
        self.total = 0;
        self.weight = 0;
        payments
    }
}

/// A whole threshold, in the millionths [`FanIn`] weighs each payment in.
const WHOLE: u64 = 1_000_000;

/// Fan-in: many payers to one account. Each payment weighs its share of its purpose's total
/// threshold (millionths): the pattern needs the shares to add up to a whole, so gifts and
/// service payments relabelled from gifts count together, each against its own threshold.
pub struct FanIn {
    params: config::FanIn,
    payees: Vec<Window>,
}

impl FanIn {
    /// The detector with `params`.
    pub fn new(params: &config::FanIn) -> Self {
        Self {
            params: params.clone(),
            payees: Vec::new(),
        }
    }
}

impl Detector for FanIn {
    fn name(&self) -> &'static str {
        "fan_in"
    }

    fn observe(&mut self, s: &Seen, accounts: &Accounts, found: &mut Vec<Finding>) {
        if !self.params.purposes.contains(&s.p.purpose) {
            return;
        }
        let threshold = if s.p.purpose == Purpose::ServicePayment {
            self.params.service_min_total_micro
        } else {
            self.params.min_total_micro
        };
        let share =
            u64::try_from(u128::from(s.p.micro) * u128::from(WHOLE) / u128::from(threshold.max(1)))
                .unwrap_or(u64::MAX);
        let w = slot(&mut self.payees, s.to);
        w.push(s.from, (&s.p).into(), share, self.params.window_secs);
        if w.parties() < self.params.min_payers || w.weight < WHOLE {
            return;
        }
        let (payers, total) = (w.parties(), w.total);
        let payments = w.report();
        let severity = Severity::Medium;
        found.push(Finding {
            detector: self.name(),
            account: accounts.address(s.to),
            counterparty: alloy::primitives::Address::ZERO,
            severity,
            score: score(severity, 30, total),
            summary: format!(
                "{payers} 个不同账户在窗口内向其付款共 {} 小时 / {payers} different payers sent \
                 it {} h within the window",
                hours(total),
                hours(total)
            ),
            figures: serde_json::json!({
                "payers": payers, "totalMicro": total, "windowSecs": self.params.window_secs,
                "minTotalMicro": self.params.min_total_micro,
                "serviceMinTotalMicro": self.params.service_min_total_micro,
                "purposes": self.params.purposes.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            }),
            payments,
            path: Vec::new(),
        });
    }
}

/// Fan-out: one account paying many, with coins it was just paid.
pub struct FanOut {
    params: config::FanOut,
    payers: Vec<Window>,
    /// What each account received from members, over twice the window (to fund the window).
    received: Vec<VecDeque<(u64, u64)>>,
}

impl FanOut {
    /// The detector with `params`.
    pub fn new(params: &config::FanOut) -> Self {
        Self {
            params: params.clone(),
            payers: Vec::new(),
            received: Vec::new(),
        }
    }
}

impl Detector for FanOut {
    fn name(&self) -> &'static str {
        "fan_out"
    }

    fn observe(&mut self, s: &Seen, accounts: &Accounts, found: &mut Vec<Finding>) {
        let window = self.params.window_secs;
        let into = slot(&mut self.received, s.to);
        while into
            .front()
            .is_some_and(|(t, _)| t + 2 * window <= s.p.time)
        {
            into.pop_front();
        }
        into.push_back((s.p.time, s.p.micro));
        let w = slot(&mut self.payers, s.from);
        w.push(s.to, (&s.p).into(), 0, window);
        if w.parties() < self.params.min_payees {
            return;
        }
        // Funded by what came in from the window before the first payment out, up to now.
        let start = w.payments.front().map_or(s.p.time, |(_, p, _)| p.time);
        let received: u64 = self
            .received
            .get(s.from as usize)
            .map(|r| {
                r.iter()
                    .filter(|(t, _)| t + window > start)
                    .map(|(_, m)| m)
                    .sum()
            })
            .unwrap_or(0);
        if received * 100 < w.total * self.params.funded_percent {
            return;
        }
        let (payees, total) = (w.parties(), w.total);
        let payments = w.report();
        let severity = Severity::Medium;
        found.push(Finding {
            detector: self.name(),
            account: accounts.address(s.from),
            counterparty: alloy::primitives::Address::ZERO,
            severity,
            score: score(severity, 35, total),
            summary: format!(
                "收到 {} 小时后在窗口内分散付给 {payees} 个账户共 {} 小时 / received {} h and \
                 spread {} h to {payees} accounts within the window",
                hours(received),
                hours(total),
                hours(received),
                hours(total)
            ),
            figures: serde_json::json!({
                "payees": payees, "totalMicro": total, "receivedMicro": received,
                "windowSecs": window, "fundedPercent": self.params.funded_percent,
            }),
            payments,
            path: Vec::new(),
        });
    }
}

/// Mule: coins in, then straight out again to someone else.
pub struct Mule {
    params: config::Mule,
    /// Recent payments into each account of at least `min_micro`.
    incoming: Vec<VecDeque<(Id, PaymentRef)>>,
}

impl Mule {
    /// The detector with `params`.
    pub fn new(params: &config::Mule) -> Self {
        Self {
            params: params.clone(),
            incoming: Vec::new(),
        }
    }
}

impl Detector for Mule {
    fn name(&self) -> &'static str {
        "mule"
    }

    fn observe(&mut self, s: &Seen, accounts: &Accounts, found: &mut Vec<Finding>) {
        let p = &s.p;
        let delay = self.params.max_delay_secs;
        // The payment out: does it pass on one that just came in from someone else?
        if let Some(inbox) = self.incoming.get_mut(s.from as usize) {
            while inbox.front().is_some_and(|(_, q)| q.time + delay < p.time) {
                inbox.pop_front();
            }
            let passed = inbox.iter().position(|(from, q)| {
                *from != s.to
                    && p.micro * 100 >= q.micro * self.params.pass_percent
                    && p.micro <= q.micro
            });
            if let Some(i) = passed {
                let (_, before) = inbox.remove(i).expect("found");
                let out: PaymentRef = p.into();
                let secs = out.time - before.time;
                let severity = Severity::Medium;
                found.push(Finding {
                    detector: self.name(),
                    account: accounts.address(s.from),
                    counterparty: p.recipient,
                    severity,
                    score: score(severity, 45, before.micro),
                    summary: format!(
                        "收到 {} 小时，{secs} 秒内转出 {} 小时给他人 / received {} h and passed \
                         {} h on within {secs} s",
                        hours(before.micro),
                        hours(out.micro),
                        hours(before.micro),
                        hours(out.micro)
                    ),
                    figures: serde_json::json!({
                        "delaySecs": secs, "inMicro": before.micro, "outMicro": out.micro,
                        "maxDelaySecs": delay, "passPercent": self.params.pass_percent,
                    }),
                    path: vec![before.from, before.to, out.to],
                    payments: vec![before, out],
                });
            }
        }
        if p.micro >= self.params.min_micro {
            slot(&mut self.incoming, s.to).push_back((s.from, p.into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        config::Config,
        detect::tests::{Stream, engine, who},
    };
    use timebank_bindings::types::Purpose::{Gift, ServicePayment};

    #[test]
    fn many_payers_of_gifts_to_one_account() {
        let mut e = engine(&Config::default(), "fan_in");
        let mut s = Stream::default();
        for n in 0..7 {
            s.pay(&mut e, n * 60, 10 + n as u8, 1, 1.5, Gift);
        }
        assert!(s.of("fan_in").is_empty(), "seven payers");
        s.pay(&mut e, 600, 30, 1, 1.5, Gift);
        assert_eq!(s.of("fan_in").len(), 1);
        assert_eq!(s.of("fan_in")[0].payments.len(), 8);
        // A provider paid by ten for a day's services is ordinary; so are gifts over weeks.
        for n in 0..20 {
            if n < 10 {
                s.pay(
                    &mut e,
                    1_000 + n * 3000,
                    40 + n as u8,
                    2,
                    2.0,
                    ServicePayment,
                );
            }
            s.pay(&mut e, 1_000 + n * 3 * 86_400, 70 + n as u8, 3, 2.0, Gift);
        }
        assert_eq!(s.of("fan_in").len(), 1, "{:?}", s.found);
    }

    #[test]
    fn gifts_relabelled_as_services_to_one_account_count_against_the_services_threshold() {
        let mut e = engine(&Config::default(), "fan_in");
        let mut s = Stream::default();
        // Eight payers, 3.5 h of "service" each within the hour: 28 h, more than a day has.
        for n in 0..8 {
            s.pay(&mut e, n * 60, 10 + n as u8, 1, 3.5, ServicePayment);
        }
        assert_eq!(s.of("fan_in").len(), 1, "{:?}", s.found);
        // Half gifts, half services: 6 h of gifts (3/4 of 8 h) and 8 h of services (1/3 of
        // 24 h) add up to more than a whole.
        for n in 0..4 {
            s.pay(&mut e, 10_000 + n * 60, 30 + n as u8, 2, 1.5, Gift);
            s.pay(
                &mut e,
                10_030 + n * 60,
                40 + n as u8,
                2,
                2.0,
                ServicePayment,
            );
        }
        assert_eq!(s.of("fan_in").len(), 2, "{:?}", s.found);
        assert_eq!(s.of("fan_in")[1].account, who(2));
        // Twin: the same with an hour of service each (3/4 + 1/6: less than a whole).
        for n in 0..4 {
            s.pay(&mut e, 20_000 + n * 60, 50 + n as u8, 3, 1.5, Gift);
            s.pay(
                &mut e,
                20_030 + n * 60,
                60 + n as u8,
                3,
                1.0,
                ServicePayment,
            );
        }
        assert_eq!(s.of("fan_in").len(), 2, "{:?}", s.found);
    }

    #[test]
    fn spreading_coins_just_received_but_not_an_organiser_paying_volunteers() {
        let mut e = engine(&Config::default(), "fan_out");
        let mut s = Stream::default();
        // An organiser pays twelve volunteers once each, from their own balance.
        for n in 0..12 {
            s.pay(&mut e, n * 60, 1, 10 + n as u8, 2.0, Gift);
        }
        assert!(s.of("fan_out").is_empty(), "{:?}", s.found);
        // A collector receives 20 h from two members and spreads it to eight accounts.
        s.pay(&mut e, 10_000, 40, 2, 10.0, Gift);
        s.pay(&mut e, 10_060, 41, 2, 10.0, Gift);
        for n in 0..8 {
            s.pay(&mut e, 11_000 + n * 60, 2, 50 + n as u8, 2.4, Gift);
        }
        let found = s.of("fan_out");
        assert_eq!(found.len(), 1, "{:?}", s.found);
        assert_eq!(found[0].account, who(2));
    }

    #[test]
    fn coins_passed_straight_on() {
        let mut e = engine(&Config::default(), "mule");
        let mut s = Stream::default();
        s.pay(&mut e, 0, 1, 2, 6.0, Gift);
        s.pay(&mut e, 300, 2, 3, 5.5, Gift);
        let found = s.of("mule");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, vec![who(1), who(2), who(3)]);
        // Paid for a service, and paying for another hours later; paying back the payer;
        // passing on a small part.
        s.pay(&mut e, 10_000, 4, 5, 6.0, ServicePayment);
        s.pay(&mut e, 10_000 + 3 * 3600, 5, 6, 6.0, ServicePayment);
        s.pay(&mut e, 20_000, 7, 8, 6.0, Gift);
        s.pay(&mut e, 20_100, 8, 7, 6.0, Gift);
        s.pay(&mut e, 30_000, 9, 10, 6.0, Gift);
        s.pay(&mut e, 30_100, 10, 11, 1.0, Gift);
        assert_eq!(s.of("mule").len(), 1, "{:?}", s.found);
    }

    #[test]
    fn a_mule_that_waits_thirty_one_minutes_but_not_a_member_paying_that_afternoon() {
        let mut e = engine(&Config::default(), "mule");
        let mut s = Stream::default();
        s.pay(&mut e, 0, 1, 2, 6.0, Gift);
        s.pay(&mut e, 31 * 60, 2, 3, 5.5, Gift);
        assert_eq!(s.of("mule").len(), 1, "{:?}", s.found);
        // Twin: paid for a service, pays for another three hours later.
        s.pay(&mut e, 10_000, 4, 5, 6.0, ServicePayment);
        s.pay(&mut e, 10_000 + 3 * 3600, 5, 6, 6.0, ServicePayment);
        assert_eq!(s.of("mule").len(), 1, "{:?}", s.found);
    }
}
