//! Structuring across the chain's window edges. The chain counts payments just below a
//! purpose's large-amount threshold in tumbling windows per payer (a window starts at the first
//! payment after the previous one ended): a payer who splits across an edge can make up to
//! about twice the count with no alert. This detector counts the same payments in a sliding
//! window and reports a pattern the chain's count did not catch.
//!
//! It also sees one large payment split across several payees: within `split_window_secs`,
//! payments by one payer to at least `split_payees` different payees, each below its purpose's
//! threshold (and at least `split_min_percent` of it, else it is fan-out's), whose shares of
//! their purposes' thresholds add up to a whole. Gifts and service payments count together,
//! each against its own threshold (the chain's `largeGift`, `largeServicePayment`): relabelling
//! part of a gift as services does not hide it. A split the band count already reported, or
//! the chain caught, is not reported again.

use super::{Accounts, Detector, Id, Seen, slot};
use crate::{
    config,
    model::{Finding, PaymentRef, Severity, hours, score},
};
use std::collections::VecDeque;
use timebank_bindings::{time_coin::MonitorRules, types::Purpose};

#[derive(Default)]
struct Payer {
    /// In-band payments in the sliding window, oldest first.
    band: VecDeque<PaymentRef>,
    /// The chain's tumbling window: its start and its in-band count.
    chain_start: u64,
    chain_count: u32,
    /// Parts of a possible split in its window, oldest first: payee, payment, share of the
    /// threshold (millionths).
    split: VecDeque<(Id, PaymentRef, u64)>,
}

/// A whole threshold, in the millionths a part's share is counted in.
const WHOLE: u64 = 1_000_000;

/// See the module.
pub struct Structuring {
    params: config::Structuring,
    count: u32,
    window: u64,
    chain_window: u64,
    /// The band per purpose (index: Purpose as u8): [low, high) in millionths of an hour.
    bands: [Option<(u64, u64)>; 8],
    payers: Vec<Payer>,
}

impl Structuring {
    /// The detector with `params`, defaults from the chain's `rules`.
    pub fn new(params: &config::Structuring, rules: &MonitorRules::Config) -> Self {
        let band = if params.band_percent == 0 {
            rules.structuringBand
        } else {
            params.band_percent
        };
        let chain_window = rules.window.to::<u64>();
        let mut bands = [None; 8];
        for (purpose, large) in [
            (Purpose::ActivityReward, rules.largeActivityReward),
            (Purpose::TrainingReward, rules.largeTrainingReward),
            (Purpose::ServicePayment, rules.largeServicePayment),
            (Purpose::Gift, rules.largeGift),
        ] {
            if large != 0 {
                let high = u64::from(large) * 1_000_000;
                let low = u64::from(large) * u64::from(100 - band.min(100)) * 10_000;
                bands[purpose as usize] = Some((low, high));
            }
        }
        Self {
            params: params.clone(),
            count: if params.count == 0 {
                u32::from(rules.structuringCount)
            } else {
                params.count
            },
            window: if params.window_secs == 0 {
                chain_window
            } else {
                params.window_secs
            },
            chain_window,
            bands,
            payers: Vec::new(),
        }
    }
}

impl Detector for Structuring {
    fn name(&self) -> &'static str {
        "structuring"
    }

    fn observe(&mut self, s: &Seen, accounts: &Accounts, found: &mut Vec<Finding>) {
        let p = &s.p;
        let Some((low, high)) = self.bands.get(p.purpose as usize).copied().flatten() else {
            return;
        };
        let split = &self.params;
        let payer = slot(&mut self.payers, s.from);
        // The chain's own count: every payment rolls its window, in-band ones count.
        if p.time >= payer.chain_start + self.chain_window {
            payer.chain_start = p.time;
            payer.chain_count = 0;
        }
        // A part of a split: below the threshold, and not a small one.
        if split.split_payees > 0
            && p.micro < high
            && u128::from(p.micro) * 100 >= u128::from(high) * u128::from(split.split_min_percent)
        {
            while payer
                .split
                .front()
                .is_some_and(|(_, q, _)| q.time + split.split_window_secs <= p.time)
            {
                payer.split.pop_front();
            }
            let share = u64::try_from(u128::from(p.micro) * u128::from(WHOLE) / u128::from(high))
                .unwrap_or(WHOLE);
            payer.split.push_back((s.to, p.into(), share));
        }
        if p.micro >= low && p.micro < high {
            payer.chain_count += 1;
            if payer.chain_count >= self.count {
                // The chain fired and opened a case for these: nothing the chain missed.
                payer.band.clear();
                payer.split.clear();
                return;
            }
            while payer
                .band
                .front()
                .is_some_and(|q| q.time + self.window <= p.time)
            {
                payer.band.pop_front();
            }
            payer.band.push_back(p.into());
            if payer.band.len() >= self.count as usize {
                let payments: Vec<PaymentRef> = payer.band.drain(..).collect();
                payer.split.clear();
                found.push(self.band_finding(
                    accounts.address(s.from),
                    p.recipient,
                    low,
                    high,
                    payments,
                ));
                return;
            }
        }
        let payees: std::collections::BTreeSet<Id> =
            payer.split.iter().map(|(to, ..)| *to).collect();
        let shares: u64 = payer.split.iter().map(|(.., share)| share).sum();
        if split.split_payees == 0 || payees.len() < split.split_payees || shares < WHOLE {
            return;
        }
        let payments: Vec<PaymentRef> = payer.split.drain(..).map(|(_, q, _)| q).collect();
        let total: u64 = payments.iter().map(|q| q.micro).sum();
        let span = payments.last().map_or(0, |q| q.time) - payments[0].time;
        found.push(Finding {
            detector: self.name(),
            account: accounts.address(s.from),
            counterparty: p.recipient,
            severity: Severity::Medium,
            score: score(Severity::Medium, 40, total),
            summary: format!(
                "{} 笔付款分给 {} 个收款人（共 {} 小时，{} 秒内），合计达到大额门槛 / {} payments \
                 split across {} payees ({} h in {} s) add up to the large-amount threshold",
                payments.len(),
                payees.len(),
                hours(total),
                span,
                payments.len(),
                payees.len(),
                hours(total),
                span
            ),
            figures: serde_json::json!({
                "kind": "split", "count": payments.len(), "payees": payees.len(),
                "totalMicro": total, "spanSecs": span,
                "sharesOfThreshold": shares as f64 / WHOLE as f64,
                "splitWindowSecs": split.split_window_secs,
                "splitMinPercent": split.split_min_percent,
            }),
            payments,
            path: Vec::new(),
        });
    }
}

impl Structuring {
    /// The band count's finding: `payments` in the band `[low, high)` by `payer`.
    fn band_finding(
        &self,
        payer: alloy::primitives::Address,
        payee: alloy::primitives::Address,
        low: u64,
        high: u64,
        payments: Vec<PaymentRef>,
    ) -> Finding {
        let total: u64 = payments.iter().map(|q| q.micro).sum();
        let span = payments.last().map_or(0, |q| q.time) - payments[0].time;
        Finding {
            detector: self.name(),
            account: payer,
            counterparty: payee,
            severity: Severity::Medium,
            score: score(Severity::Medium, 40, total),
            summary: format!(
                "{} 笔略低于大额门槛的付款（共 {} 小时，{} 秒内），跨越了链上规则的窗口 / {} \
                 payments just below the large-amount threshold ({} h in {} s) across the \
                 chain rule's window edge",
                payments.len(),
                hours(total),
                span,
                payments.len(),
                hours(total),
                span
            ),
            figures: serde_json::json!({
                "kind": "band", "count": payments.len(), "totalMicro": total, "spanSecs": span,
                "bandMicro": [low, high], "windowSecs": self.window,
                "chainWindowSecs": self.chain_window,
            }),
            payments,
            path: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        config::Config,
        detect::tests::{Stream, engine},
    };
    use timebank_bindings::types::Purpose::{Gift, ServicePayment};

    const DAY: u64 = 86_400;

    #[test]
    fn split_across_the_chains_window_edge_is_found() {
        let mut e = engine(&Config::default(), "structuring");
        let mut s = Stream::default();
        // The chain's window opens at t=0; two gifts of 9 h (band 8–10 h) late in it, two early
        // in the next: the chain counts 2 and 2, never 3.
        s.pay(&mut e, 0, 1, 9, 0.5, Gift);
        s.pay(&mut e, DAY - 200, 1, 2, 9.0, Gift);
        s.pay(&mut e, DAY - 100, 1, 3, 9.0, Gift);
        assert!(s.of("structuring").is_empty());
        s.pay(&mut e, DAY + 100, 1, 4, 9.5, Gift);
        let found = s.of("structuring");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].payments.len(), 3);
        assert_eq!(found[0].account, crate::detect::tests::who(1));
        // The fourth starts a new pattern: one more payment is not reported again.
        s.pay(&mut e, DAY + 200, 1, 5, 9.5, Gift);
        assert_eq!(s.of("structuring").len(), 1);
    }

    #[test]
    fn what_the_chain_caught_and_ordinary_payments_are_not_reported() {
        let mut e = engine(&Config::default(), "structuring");
        let mut s = Stream::default();
        // Three in one chain window: the chain's rule fired; nothing to add.
        for t in [0, 10, 20] {
            s.pay(&mut e, t, 1, 2, 9.0, Gift);
        }
        // Ordinary: services well below the band, a gift above the threshold (the chain
        // holds it), payments in the band spread over days.
        for day in 0..10 {
            s.pay(&mut e, 5 * DAY + day * DAY, 3, 4, 2.0, ServicePayment);
            s.pay(&mut e, 5 * DAY + day * 2 * DAY, 5, 6, 9.0, Gift);
        }
        s.pay(&mut e, 40 * DAY, 7, 8, 12.0, Gift);
        assert!(s.of("structuring").is_empty(), "{:?}", s.found);
    }

    #[test]
    fn one_large_payment_split_across_several_payees_gifts_and_services_mixed() {
        let mut e = engine(&Config::default(), "structuring");
        let mut s = Stream::default();
        // 12 h in gifts of 3 h to four payees within the hour: below the band (8-10 h), over
        // the 10 h threshold together.
        for n in 0..4 {
            s.pay(&mut e, n * 600, 1, 10 + n as u8, 3.0, Gift);
        }
        let found = s.of("structuring");
        assert_eq!(found.len(), 1, "{:?}", s.found);
        assert_eq!(found[0].figures["kind"], "split");
        assert_eq!(found[0].payments.len(), 4);
        // Relabelled in part: two gifts of 4 h (0.8 of 10 h) and 6 h of "service" (0.25 of
        // 24 h) to three payees.
        s.pay(&mut e, DAY, 2, 20, 4.0, Gift);
        s.pay(&mut e, DAY + 60, 2, 21, 4.0, Gift);
        s.pay(&mut e, DAY + 120, 2, 22, 6.0, ServicePayment);
        assert_eq!(s.of("structuring").len(), 2, "{:?}", s.found);
        assert_eq!(s.of("structuring")[1].account, crate::detect::tests::who(2));
    }

    #[test]
    fn ordinary_payments_to_several_payees_are_not_a_split() {
        let mut e = engine(&Config::default(), "structuring");
        let mut s = Stream::default();
        // Three providers paid 6 h each in an hour (18 of 24 h); gifts of 3 h to four people
        // over a day; an organiser's ten 2 h payments (below a quarter of the threshold: fan-out's).
        for n in 0..3 {
            s.pay(&mut e, n * 600, 1, 10 + n as u8, 6.0, ServicePayment);
        }
        for n in 0..4 {
            s.pay(&mut e, DAY + n * 4 * 3600, 2, 20 + n as u8, 3.0, Gift);
        }
        for n in 0..10 {
            s.pay(&mut e, 3 * DAY + n * 60, 3, 30 + n as u8, 2.0, Gift);
        }
        assert!(s.of("structuring").is_empty(), "{:?}", s.found);
    }

    #[test]
    fn parameters_change_what_counts() {
        let mut config = Config::default();
        config.structuring.count = 2;
        let mut e = engine(&config, "structuring");
        let mut s = Stream::default();
        s.pay(&mut e, 0, 1, 9, 0.5, Gift);
        s.pay(&mut e, DAY - 10, 1, 2, 9.0, Gift);
        s.pay(&mut e, DAY + 10, 1, 3, 9.0, Gift);
        assert_eq!(s.of("structuring").len(), 1);
    }
}
