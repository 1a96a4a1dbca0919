//! Velocity against an account's own history: the chain counts payments against one number for
//! everyone; an account that usually moves an hour a day and moves twenty today is unusual for
//! itself even under that number. Today's (UTC day) outgoing total is compared with the median
//! of the account's active days over the history before it.

use super::{Accounts, Detector, Seen, slot};
use crate::{
    config,
    model::{Finding, PaymentRef, Severity, hours, score},
};
use std::collections::VecDeque;

const DAY: u64 = 86_400;

#[derive(Default)]
struct Payer {
    /// Outgoing totals of past active days (day number, micro), oldest first.
    days: VecDeque<(u64, u64)>,
    /// Today: its number, total, payments, and the median of the history before it.
    today: u64,
    total: u64,
    payments: Vec<PaymentRef>,
    median: Option<u64>,
    reported: bool,
}

/// See the module.
pub struct Velocity {
    params: config::Velocity,
    payers: Vec<Payer>,
}

impl Velocity {
    /// The detector with `params`.
    pub fn new(params: &config::Velocity) -> Self {
        Self {
            params: params.clone(),
            payers: Vec::new(),
        }
    }
}

impl Detector for Velocity {
    fn name(&self) -> &'static str {
        "velocity"
    }

    fn observe(&mut self, s: &Seen, accounts: &Accounts, found: &mut Vec<Finding>) {
        let day = s.p.time / DAY;
        let params = &self.params;
        let payer = slot(&mut self.payers, s.from);
        if payer.total == 0 || payer.today != day {
            // A new day: yesterday joins the history, the median is taken once for today.
            if payer.total > 0 {
                payer.days.push_back((payer.today, payer.total));
            }
            while payer
                .days
                .front()
                .is_some_and(|(d, _)| d + params.history_days < day)
            {
                payer.days.pop_front();
            }
            payer.median = (payer.days.len() >= params.min_active_days).then(|| {
                let mut totals: Vec<u64> = payer.days.iter().map(|(_, t)| *t).collect();
                totals.sort_unstable();
                totals[totals.len() / 2]
            });
            payer.today = day;
            payer.total = 0;
            payer.payments.clear();
            payer.reported = false;
        }
        payer.total += s.p.micro;
        if payer.payments.len() < 100 {
            payer.payments.push((&s.p).into());
        }
        let Some(median) = payer.median else {
            return;
        };
        if payer.reported
            || payer.total < params.min_total_micro
            || payer.total < median.saturating_mul(params.factor)
        {
            return;
        }
        payer.reported = true;
        let severity = Severity::Low;
        found.push(Finding {
            detector: "velocity",
            account: accounts.address(s.from),
            counterparty: alloy::primitives::Address::ZERO,
            severity,
            score: score(severity, 20, payer.total),
            summary: format!(
                "今日支出 {} 小时，是其过去活跃日中位数 {} 小时的 {} 倍以上 / {} h out today, \
                 over {} times its median active day of {} h",
                hours(payer.total),
                hours(median),
                params.factor,
                hours(payer.total),
                params.factor,
                hours(median)
            ),
            figures: serde_json::json!({
                "todayMicro": payer.total, "medianMicro": median,
                "activeDays": payer.days.len(), "factor": params.factor,
                "historyDays": params.history_days,
            }),
            payments: payer.payments.clone(),
            path: Vec::new(),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        config::Config,
        detect::tests::{Stream, engine},
    };
    use timebank_bindings::types::Purpose::ServicePayment;

    const DAY: u64 = 86_400;

    #[test]
    fn a_day_far_above_the_accounts_own_median() {
        let mut e = engine(&Config::default(), "velocity");
        let mut s = Stream::default();
        for d in 0..10 {
            s.pay(&mut e, d * DAY + 3600, 1, 2, 1.0, ServicePayment);
            // Another member who always moves a lot.
            s.pay(&mut e, d * DAY + 3600, 3, 4, 8.0, ServicePayment);
        }
        for n in 0..6 {
            s.pay(
                &mut e,
                10 * DAY + n * 600,
                1,
                5 + n as u8,
                1.0,
                ServicePayment,
            );
            s.pay(&mut e, 10 * DAY + n * 600, 3, 4, 1.5, ServicePayment);
        }
        let found = s.of("velocity");
        assert_eq!(found.len(), 1, "{:?}", s.found);
        assert_eq!(found[0].account, crate::detect::tests::who(1));
    }

    #[test]
    fn no_history_no_finding() {
        let mut e = engine(&Config::default(), "velocity");
        let mut s = Stream::default();
        s.pay(&mut e, 3600, 1, 2, 1.0, ServicePayment);
        for n in 0..30 {
            s.pay(&mut e, DAY + n, 1, 2, 3.0, ServicePayment);
        }
        assert!(s.of("velocity").is_empty());
    }
}
