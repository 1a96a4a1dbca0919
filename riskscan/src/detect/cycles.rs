//! Cycles: value that leaves an account and comes back to it through other accounts. The
//! chain's round-trip rule remembers one payee per payer (A paid B, B pays A back); a third
//! account in between, or several, passes it. When a payment to an account closes a path that
//! began with a payment from that account — each hop later than the one before, within the
//! window, each carrying the value on — that is a cycle. Dust is neither followed nor in the
//! way: only gifts of at least `min_micro` and service payments of at least
//! `service_min_micro` are remembered.
//!
//! What "carrying the value on" means, explicitly: a hop carries at most `tolerance_percent`
//! more than the hop before (more is new money, not the same value) and at least
//! `100 - skim_percent` percent of it, and the cycle brings back at least `100 - skim_percent`
//! percent of what left. A hop that keeps more than the tolerance but within the skim still
//! passed the rest on: the cycle is reported, and its figures name each such skim (who kept
//! how much). A hop that keeps more than `skim_percent` did not pass the value on.
//!
//! A cycle within `max_hops` and `window_secs` is fast (medium; four hops or more high); one
//! within `long_max_hops` and `long_window_secs` only is slow or long (low: listed, no case
//! unless `open_case_at` is low). The fast search runs first, so a pattern that is both is
//! reported as fast.

use super::{Accounts, Detector, Id, Seen, slot};
use crate::{
    config,
    model::{Finding, PaymentRef, Severity, hours, score},
};
use std::collections::VecDeque;
use timebank_bindings::types::Purpose;

/// A remembered payment into an account.
#[derive(Clone, Copy)]
struct Edge {
    from: Id,
    time: u64,
    micro: u64,
    block: u64,
    log_index: u64,
    purpose: Purpose,
}

/// See the module.
pub struct Cycles {
    params: config::Cycles,
    /// Payments into each account within the window, oldest first.
    incoming: Vec<VecDeque<Edge>>,
    /// The first payment of the last cycle reported per origin: not reported twice.
    reported: Vec<Option<(u64, u64)>>,
    /// Bounds the work of one search.
    budget: usize,
}

/// Most paths one search looks at: a hub with thousands of payers can't stall the agent.
const SEARCH_BUDGET: usize = 4_096;

impl Cycles {
    /// The detector with `params`.
    pub fn new(params: &config::Cycles) -> Self {
        Self {
            params: params.clone(),
            incoming: Vec::new(),
            reported: Vec::new(),
            budget: 0,
        }
    }

    /// Whether a hop of `later` passes on a hop of `earlier` before it (see the module).
    fn passes(&self, earlier: u64, later: u64) -> bool {
        let (earlier, later) = (u128::from(earlier), u128::from(later));
        later * 100 <= earlier * u128::from(100 + self.params.tolerance_percent)
            && later * 100 >= earlier * u128::from(100u64.saturating_sub(self.params.skim_percent))
    }

    /// Whether a payment is followed: its purpose, and at least its purpose's smallest amount.
    fn followed(&self, p: &crate::model::Payment) -> bool {
        let least = if p.purpose == Purpose::ServicePayment {
            self.params.service_min_micro
        } else {
            self.params.min_micro
        };
        p.micro >= least && self.params.purposes.contains(&p.purpose)
    }

    /// Paths back from `at` (payments into it, each earlier than `before` and passed on as
    /// `amount`) to `origin` in at most `max_hops`, ending in `path` (latest hop last); the
    /// first found.
    #[allow(clippy::too_many_arguments)]
    fn search(
        &mut self,
        origin: Id,
        at: Id,
        before: (u64, u64),
        amount: u64,
        since: u64,
        max_hops: usize,
        path: &mut Vec<Edge>,
    ) -> bool {
        if path.len() >= max_hops {
            return false;
        }
        let Some(edges) = self.incoming.get(at as usize) else {
            return false;
        };
        // Latest first: the hop most likely to have carried the value on.
        let candidates: Vec<Edge> = edges
            .iter()
            .rev()
            .filter(|e| (e.block, e.log_index) < before && e.time >= since)
            .filter(|e| self.passes(e.micro, amount))
            .copied()
            .collect();
        for e in candidates {
            if self.budget == 0 {
                return false;
            }
            self.budget -= 1;
            if path.iter().any(|p| p.from == e.from) {
                continue; // a path visits an account once
            }
            path.push(e);
            if e.from == origin {
                // What came back (the closing payment, first in `path`) against what left.
                let back = u128::from(path[0].micro) * 100;
                let kept = 100u64.saturating_sub(self.params.skim_percent);
                if path.len() >= self.params.min_hops
                    && back >= u128::from(e.micro) * u128::from(kept)
                {
                    return true;
                }
            } else if self.search(
                origin,
                e.from,
                (e.block, e.log_index),
                e.micro,
                since,
                max_hops,
                path,
            ) {
                return true;
            }
            path.pop();
        }
        false
    }
}

impl Detector for Cycles {
    fn name(&self) -> &'static str {
        "cycles"
    }

    fn observe(&mut self, s: &Seen, accounts: &Accounts, found: &mut Vec<Finding>) {
        let p = &s.p;
        if !self.followed(p) {
            return;
        }
        // The payment into `to` closes a cycle if `to` can be reached back from `from`.
        let closing = Edge {
            from: s.from,
            time: p.time,
            micro: p.micro,
            block: p.block_number,
            log_index: p.log_index,
            purpose: p.purpose,
        };
        // Fast cycles first; then slow or long ones.
        let params = &self.params;
        let searches = [
            (params.window_secs, params.max_hops),
            (params.long_window_secs, params.long_max_hops),
        ];
        let mut path = vec![closing];
        let mut hit = false;
        for (window, max_hops) in searches {
            self.budget = SEARCH_BUDGET;
            path.truncate(1);
            // Searching from the payer back to the payee: the payee is the origin.
            hit = self.search(
                s.to,
                s.from,
                (p.block_number, p.log_index),
                p.micro,
                p.time.saturating_sub(window),
                max_hops,
                &mut path,
            );
            if hit {
                break;
            }
        }
        // Remember this payment for later searches, and forget what left both windows.
        let kept = p
            .time
            .saturating_sub(self.params.window_secs.max(self.params.long_window_secs));
        let into = slot(&mut self.incoming, s.to);
        while into.front().is_some_and(|e| e.time < kept) {
            into.pop_front();
        }
        into.push_back(closing);
        if !hit {
            return;
        }
        // `path` runs back in time from the closing payment: reverse it into chain order.
        path.reverse();
        let first = (path[0].block, path[0].log_index);
        let reported = slot(&mut self.reported, s.to);
        if reported.is_some_and(|r| r >= first) {
            return; // this cycle's start was already reported
        }
        *reported = Some((p.block_number, p.log_index));
        let mut members = vec![accounts.address(s.to)];
        let payments: Vec<PaymentRef> = path
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let to = path.get(i + 1).map_or(s.to, |n| n.from);
                members.push(accounts.address(to));
                PaymentRef {
                    block: e.block,
                    log_index: e.log_index,
                    time: e.time,
                    from: accounts.address(e.from),
                    to: accounts.address(to),
                    micro: e.micro,
                    purpose: e.purpose.as_str().to_owned(),
                }
            })
            .collect();
        // Hops that kept more than the tolerance: who, and how much.
        let tolerance = self.params.tolerance_percent;
        let skims: Vec<serde_json::Value> = payments
            .windows(2)
            .filter(|w| {
                u128::from(w[1].micro) * 100
                    < u128::from(w[0].micro) * u128::from(100 - tolerance.min(100))
            })
            .map(
                |w| serde_json::json!({"account": w[1].from, "keptMicro": w[0].micro - w[1].micro}),
            )
            .collect();
        let out = payments[0].micro;
        let span = p.time - payments[0].time;
        let fast = payments.len() <= self.params.max_hops && span <= self.params.window_secs;
        let severity = match (fast, payments.len() >= 4) {
            (false, _) => Severity::Low,
            (true, true) => Severity::High,
            (true, false) => Severity::Medium,
        };
        let skimmed = if skims.is_empty() {
            String::new()
        } else {
            format!(
                "，{} 个账户截留超过容差 / , {} accounts kept more than the tolerance",
                skims.len(),
                skims.len()
            )
        };
        let (zh_skim, en_skim) = skimmed.split_once(" / ").unwrap_or(("", ""));
        found.push(Finding {
            detector: self.name(),
            account: accounts.address(s.to),
            counterparty: payments[0].to,
            severity,
            score: score(severity, 60, out),
            summary: format!(
                "{} 小时经 {} 个账户在 {} 秒内回到原账户{zh_skim} / {} h came back to its \
                 origin through {} accounts in {} s{en_skim}",
                hours(out),
                payments.len() - 1,
                span,
                hours(out),
                payments.len() - 1,
                span
            ),
            figures: serde_json::json!({
                "hops": payments.len(), "spanSecs": span, "outMicro": out,
                "backMicro": p.micro, "fast": fast, "skims": skims,
                "windowSecs": self.params.window_secs,
                "longWindowSecs": self.params.long_window_secs,
                "tolerancePercent": tolerance, "skimPercent": self.params.skim_percent,
            }),
            payments,
            path: members,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        config::Config,
        detect::tests::{Stream, engine, who},
        model::Severity,
    };
    use timebank_bindings::types::Purpose::{Gift, ServicePayment};

    const DAY: u64 = 86_400;

    #[test]
    fn a_cycle_through_two_others_with_dust_between_is_found() {
        let mut e = engine(&Config::default(), "cycles");
        let mut s = Stream::default();
        s.pay(&mut e, 0, 1, 2, 5.0, Gift);
        s.pay(&mut e, 60, 2, 7, 0.01, Gift); // dust, interleaved
        s.pay(&mut e, 120, 2, 3, 4.8, Gift); // a little skimmed
        s.pay(&mut e, 150, 3, 1, 0.02, Gift); // dust straight back: not the value
        assert!(s.of("cycles").is_empty());
        s.pay(&mut e, 200, 3, 1, 4.7, Gift);
        let found = s.of("cycles");
        assert_eq!(found.len(), 1, "{:?}", s.found);
        assert_eq!(found[0].account, who(1));
        assert_eq!(found[0].path, vec![who(1), who(2), who(3), who(1)]);
        assert_eq!(found[0].payments.len(), 3);
        assert_eq!(found[0].payments[0].time, 0, "chain order");
    }

    #[test]
    fn ordinary_exchanges_are_not_cycles() {
        let mut e = engine(&Config::default(), "cycles");
        let mut s = Stream::default();
        // Different amounts around a triangle; a direct round trip (the chain's rule);
        // the same amounts but in the wrong time order; a cycle slower than the window.
        s.pay(&mut e, 0, 1, 2, 2.0, ServicePayment);
        s.pay(&mut e, 10, 2, 3, 5.0, ServicePayment);
        s.pay(&mut e, 20, 3, 1, 1.0, ServicePayment);
        // Members serving each other round a circle, an hour each: what a time bank is for.
        s.pay(&mut e, 25, 12, 13, 1.0, ServicePayment);
        s.pay(&mut e, 26, 13, 14, 1.0, ServicePayment);
        s.pay(&mut e, 27, 14, 12, 1.0, ServicePayment);
        s.pay(&mut e, 30, 4, 5, 3.0, Gift);
        s.pay(&mut e, 40, 5, 4, 3.0, Gift);
        s.pay(&mut e, 50, 8, 6, 3.0, Gift); // 8 -> 6 first ...
        s.pay(&mut e, 60, 7, 8, 3.0, Gift); // ... then 7 -> 8 and 6 -> 7: not a path in time
        s.pay(&mut e, 70, 6, 7, 3.0, Gift);
        s.pay(&mut e, 1_000, 9, 10, 3.0, Gift);
        s.pay(&mut e, 2_000, 10, 11, 3.0, Gift);
        s.pay(&mut e, 1_000 + 8 * 86_400, 11, 9, 3.0, Gift); // slower than the long window
        assert!(s.of("cycles").is_empty(), "{:?}", s.found);
    }

    #[test]
    fn fast_up_to_max_hops_slow_or_long_up_to_long_max_hops_is_low() {
        let mut config = Config::default();
        config.cycles.max_hops = 4;
        let mut e = engine(&config, "cycles");
        let mut s = Stream::default();
        for (i, (from, to)) in [(1, 2), (2, 3), (3, 4), (4, 5), (5, 1)]
            .into_iter()
            .enumerate()
        {
            s.pay(&mut e, i as u64 * 10, from, to, 3.0, Gift);
        }
        assert_eq!(s.of("cycles").len(), 1);
        assert_eq!(
            s.of("cycles")[0].severity,
            Severity::Low,
            "five hops is more than four: long"
        );
        for (i, (from, to)) in [(11, 12), (12, 13), (13, 14), (14, 11)]
            .into_iter()
            .enumerate()
        {
            s.pay(&mut e, 100 + i as u64 * 10, from, to, 3.0, Gift);
        }
        assert_eq!(s.of("cycles").len(), 2);
        assert_eq!(s.of("cycles")[1].severity, Severity::High);
    }

    #[test]
    fn a_six_hop_cycle_within_seven_days_is_found_low_but_not_a_slower_or_longer_one() {
        let mut e = engine(&Config::default(), "cycles");
        let mut s = Stream::default();
        // Six hops, a day apart: within seven days.
        let six = [(1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 1)];
        for (i, (from, to)) in six.into_iter().enumerate() {
            s.pay(&mut e, i as u64 * DAY, from, to, 4.0, Gift);
        }
        let found = s.of("cycles");
        assert_eq!(found.len(), 1, "{:?}", s.found);
        assert_eq!(found[0].severity, Severity::Low);
        assert_eq!(found[0].payments.len(), 6);
        // Twins: the same six hops over eight days; seven hops within a week.
        for (i, (from, to)) in six.into_iter().enumerate() {
            let t = 20 * DAY + i as u64 * (8 * DAY / 5);
            s.pay(&mut e, t, from + 20, to + 20, 4.0, Gift);
        }
        let seven = [
            (41, 42),
            (42, 43),
            (43, 44),
            (44, 45),
            (45, 46),
            (46, 47),
            (47, 41),
        ];
        for (i, (from, to)) in seven.into_iter().enumerate() {
            s.pay(&mut e, 40 * DAY + i as u64 * 3600, from, to, 4.0, Gift);
        }
        assert_eq!(s.of("cycles").len(), 1, "{:?}", s.found);
    }

    #[test]
    fn a_hop_that_skims_more_than_the_tolerance_still_passed_the_rest_on() {
        let mut e = engine(&Config::default(), "cycles");
        let mut s = Stream::default();
        // 2 keeps 1 h of 5 (20 %, past the 10 % tolerance) and passes 4 h on.
        s.pay(&mut e, 0, 1, 2, 5.0, Gift);
        s.pay(&mut e, 60, 2, 3, 4.0, Gift);
        s.pay(&mut e, 120, 3, 1, 4.0, Gift);
        let found = s.of("cycles");
        assert_eq!(found.len(), 1, "{:?}", s.found);
        assert_eq!(found[0].severity, Severity::Medium);
        assert_eq!(
            found[0].figures["skims"],
            serde_json::json!([{"account": who(2), "keptMicro": 1_000_000}])
        );
        // Twins: a hop that keeps 40 % did not pass the value on; nor did three hops that
        // keep 15 % each (what comes back is 61 % of what left).
        s.pay(&mut e, 1_000, 11, 12, 5.0, Gift);
        s.pay(&mut e, 1_060, 12, 13, 3.0, Gift);
        s.pay(&mut e, 1_120, 13, 11, 3.0, Gift);
        s.pay(&mut e, 2_000, 21, 22, 5.0, Gift);
        s.pay(&mut e, 2_060, 22, 23, 4.25, Gift);
        s.pay(&mut e, 2_120, 23, 24, 3.6, Gift);
        s.pay(&mut e, 2_180, 24, 21, 3.05, Gift);
        assert_eq!(s.of("cycles").len(), 1, "{:?}", s.found);
    }

    #[test]
    fn service_payments_going_round_are_followed_with_their_own_threshold() {
        let mut e = engine(&Config::default(), "cycles");
        let mut s = Stream::default();
        // Twin: members serving each other round a circle, two hours each.
        s.pay(&mut e, 0, 1, 2, 2.0, ServicePayment);
        s.pay(&mut e, 3600, 2, 3, 2.0, ServicePayment);
        s.pay(&mut e, 7200, 3, 1, 2.0, ServicePayment);
        assert!(s.of("cycles").is_empty(), "{:?}", s.found);
        // Five hours of "service" round three members in an hour, a gift relabelled; and one
        // leg a gift.
        s.pay(&mut e, 10_000, 11, 12, 5.0, ServicePayment);
        s.pay(&mut e, 11_000, 12, 13, 5.0, Gift);
        s.pay(&mut e, 12_000, 13, 11, 5.0, ServicePayment);
        let found = s.of("cycles");
        assert_eq!(found.len(), 1, "{:?}", s.found);
        assert_eq!(found[0].account, who(11));
        assert_eq!(found[0].payments[0].purpose, "service_payment");
    }
}
