//! Scans of accounts' and credentials' state, which no stream of payments shows: balances that
//! sit still, accounts opened and never used, rewards settled around the end of the credential
//! the activity required.

use crate::{
    config::Config,
    model::{Finding, PaymentRef, Severity, hours, score},
};
use alloy::primitives::Address;
use timebank_bindings::types::Purpose;
use timebank_indexer::Store;

const DAY: u64 = 86_400;

/// What the state scans find now (`now`: the index's head time).
pub async fn state(store: &Store, config: &Config, now: u64) -> eyre::Result<Vec<Finding>> {
    let mut found = Vec::new();
    let d = &config.dormant;
    if d.enabled {
        let never_before = now.saturating_sub(d.never_used_days * DAY);
        for a in store
            .account_activity(d.min_balance_micro, never_before)
            .await?
        {
            let idle_since = a.last_out.unwrap_or(a.activated_at);
            if a.balance_micro >= d.min_balance_micro && idle_since + d.idle_days * DAY <= now {
                found.push(Finding {
                    detector: "dormant",
                    account: a.account,
                    counterparty: Address::ZERO,
                    severity: Severity::Low,
                    score: score(Severity::Low, 10, a.balance_micro),
                    summary: format!(
                        "余额 {} 小时，{} 天未付款：被盗用前很难察觉 / {} h held with no payment \
                         out for {} days: a takeover would go unnoticed",
                        hours(a.balance_micro),
                        (now - idle_since) / DAY,
                        hours(a.balance_micro),
                        (now - idle_since) / DAY
                    ),
                    payments: Vec::new(),
                    path: Vec::new(),
                    figures: serde_json::json!({
                        "balanceMicro": a.balance_micro, "idleSince": idle_since,
                        "idleDays": d.idle_days, "minBalanceMicro": d.min_balance_micro,
                    }),
                });
            }
            if a.last_any.is_none() && a.activated_at < never_before {
                found.push(Finding {
                    detector: "never_used",
                    account: a.account,
                    counterparty: Address::ZERO,
                    severity: Severity::Low,
                    score: score(Severity::Low, 5, 0),
                    summary: format!(
                        "开户 {} 天从未使用：确认是否本人开立、是否应关闭 / active for {} days \
                         and never used: check it was opened for a real person, or close it",
                        (now - a.activated_at) / DAY,
                        (now - a.activated_at) / DAY
                    ),
                    payments: Vec::new(),
                    path: Vec::new(),
                    figures: serde_json::json!({
                        "activatedAt": a.activated_at, "neverUsedDays": d.never_used_days,
                    }),
                });
            }
        }
    }
    let c = &config.credentials;
    if c.enabled {
        let window = c.expiring_within_days.max(c.revoked_within_days) * DAY;
        for s in store
            .credentialed_settlements(now.saturating_sub(window + 30 * DAY))
            .await?
        {
            let reward = PaymentRef {
                block: s.block_number,
                log_index: s.log_index,
                time: s.time,
                from: Address::ZERO,
                to: s.volunteer,
                micro: s.micro,
                purpose: Purpose::ActivityReward.as_str().to_owned(),
            };
            let (detector, severity, zh, en) = match (s.revoked_at, s.expires_at) {
                (Some(at), _) if at >= s.time && at <= s.time + c.revoked_within_days * DAY => (
                    "credential_revoked_after_reward",
                    Severity::Medium,
                    "结算后不久所需证书被吊销",
                    "the required credential was revoked shortly after the reward",
                ),
                (_, None) => (
                    "credential_missing_at_reward",
                    Severity::High,
                    "结算时志愿者没有所需证书",
                    "the volunteer held no required credential at the reward",
                ),
                (_, Some(exp)) if exp < s.time => (
                    "credential_expired_at_reward",
                    Severity::High,
                    "结算时所需证书已过期",
                    "the required credential had expired at the reward",
                ),
                (_, Some(exp)) if exp <= s.time + c.expiring_within_days * DAY => (
                    "credential_expiring_at_reward",
                    Severity::Low,
                    "结算时所需证书即将过期",
                    "the required credential was about to expire at the reward",
                ),
                _ => continue,
            };
            found.push(Finding {
                detector,
                account: s.volunteer,
                counterparty: s.operator,
                severity,
                score: score(severity, 25, s.micro),
                summary: format!(
                    "活动 #{} 奖励 {} 小时：{zh} / activity #{} rewarded {} h: {en}",
                    s.activity_id,
                    hours(s.micro),
                    s.activity_id,
                    hours(s.micro)
                ),
                payments: vec![reward],
                path: Vec::new(),
                figures: serde_json::json!({
                    "activityId": s.activity_id, "credentialType": s.type_id,
                    "expiresAt": s.expires_at, "revokedAt": s.revoked_at,
                    "settledBy": s.operator,
                }),
            });
        }
    }
    Ok(found)
}
