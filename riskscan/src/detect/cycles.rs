//! Cycles: value that leaves an account and comes back to it through other accounts. The
//! chain's round-trip rule remembers one payee per payer (A paid B, B pays A back); a third
//! account in between, or several, passes it. When a payment to an account closes a path that
//! began with a payment from that account — each hop later than the one before, within the
//! window, each amount within the tolerance of the one before — that is a cycle. Dust is
//! neither followed nor in the way: only payments of at least `min_micro` are remembered.

use super::{Accounts, Detector, Id, Seen, slot};
use crate::{
    config,
    model::{Finding, PaymentRef, Severity, hours, score},
};
use std::collections::VecDeque;

/// A remembered payment into an account.
#[derive(Clone, Copy)]
struct Edge {
    from: Id,
    time: u64,
    micro: u64,
    block: u64,
    log_index: u64,
    purpose: timebank_bindings::types::Purpose,
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

    fn close(&self, a: u64, b: u64) -> bool {
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        (hi - lo) * 100 <= hi * self.params.tolerance_percent
    }

    /// Paths back from `at` (payments into it, each earlier than `before` and close to
    /// `amount`) to `origin`, ending in `path` (latest hop last); the first found.
    fn search(
        &mut self,
        origin: Id,
        at: Id,
        before: (u64, u64),
        amount: u64,
        since: u64,
        path: &mut Vec<Edge>,
    ) -> bool {
        if path.len() >= self.params.max_hops {
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
            .filter(|e| self.close(e.micro, amount))
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
                if path.len() >= self.params.min_hops {
                    return true;
                }
            } else if self.search(origin, e.from, (e.block, e.log_index), e.micro, since, path) {
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
        if p.micro < self.params.min_micro || !self.params.purposes.contains(&p.purpose) {
            return;
        }
        let since = p.time.saturating_sub(self.params.window_secs);
        // The payment into `to` closes a cycle if `to` can be reached back from `from`.
        let closing = Edge {
            from: s.from,
            time: p.time,
            micro: p.micro,
            block: p.block_number,
            log_index: p.log_index,
            purpose: p.purpose,
        };
        self.budget = SEARCH_BUDGET;
        let mut path = vec![closing];
        // Searching from the payer back to the payee: the payee is the origin.
        let hit = self.search(
            s.to,
            s.from,
            (p.block_number, p.log_index),
            p.micro,
            since,
            &mut path,
        );
        // Remember this payment for later searches, and forget what left the window.
        let into = slot(&mut self.incoming, s.to);
        while into.front().is_some_and(|e| e.time < since) {
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
        let out = payments[0].micro;
        let span = p.time - payments[0].time;
        let severity = if payments.len() >= 4 {
            Severity::High
        } else {
            Severity::Medium
        };
        found.push(Finding {
            detector: self.name(),
            account: accounts.address(s.to),
            counterparty: payments[0].to,
            severity,
            score: score(severity, 60, out),
            summary: format!(
                "{} 小时经 {} 个账户在 {} 秒内回到原账户 / {} h came back to its origin \
                 through {} accounts in {} s",
                hours(out),
                payments.len() - 1,
                span,
                hours(out),
                payments.len() - 1,
                span
            ),
            figures: serde_json::json!({
                "hops": payments.len(), "spanSecs": span, "outMicro": out,
                "backMicro": p.micro, "windowSecs": self.params.window_secs,
                "tolerancePercent": self.params.tolerance_percent,
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
    };
    use timebank_bindings::types::Purpose::{Gift, ServicePayment};

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
        s.pay(&mut e, 1_000 + 3 * 86_400, 11, 9, 3.0, Gift);
        assert!(s.of("cycles").is_empty(), "{:?}", s.found);
    }

    #[test]
    fn up_to_max_hops() {
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
        assert!(s.of("cycles").is_empty(), "five hops is more than four");
        for (i, (from, to)) in [(11, 12), (12, 13), (13, 14), (14, 11)]
            .into_iter()
            .enumerate()
        {
            s.pay(&mut e, 100 + i as u64 * 10, from, to, 3.0, Gift);
        }
        assert_eq!(s.of("cycles").len(), 1);
        assert_eq!(s.of("cycles")[0].severity, crate::model::Severity::High);
    }
}
