//! `IdentityRegistry`: members, their profiles, moves, risk, partner alerts and recoveries.

use super::{Ctx, ProfileVersionRow, id, n, tell_partners};
use crate::Result;
use alloy::primitives::{Address, B256};
use serde_json::json;
use timebank_bindings::{
    IdentityRegistry::IdentityRegistryEvents as E,
    types::{MemberStatus, RiskLevel, name_of},
};

pub(super) fn project(event: &E, cx: &mut Ctx<'_>) -> Result<()> {
    let at = cx.raw.at;
    match event {
        E::MemberSubmitted(e) => cx.op(
            "INSERT INTO member (account, member_id, home_branch, status, risk, profile_version, \
             commitment, pending_move_to, submitted_by, submitted_at, activated_at, \
             block_number, tx_hash, log_index) \
             VALUES ($1, $2, $3, $4, $5, 0, $6, 0, $7, $8, 0, $9, $10, $11) \
             ON CONFLICT (account) DO NOTHING",
            vec![
                e.account.into(),
                e.memberId.to::<u64>().into(),
                e.branchId.into(),
                n(MemberStatus::Pending),
                n(RiskLevel::None),
                B256::ZERO.into(),
                e.operator.into(),
                at.block_time.into(),
            ],
        ),
        E::ProfileUpdated(e) => {
            if cx.ingest() {
                cx.batch.profile_versions.push(ProfileVersionRow {
                    member_id: e.memberId.to::<u64>(),
                    version: e.version,
                    account: e.account,
                    branch_id: e.branchId,
                    commitment: e.commitment,
                    encrypted_data: e.encryptedData.to_vec(),
                    operator: e.operator,
                    block_number: at.block_number,
                    block_hash: at.block_hash,
                    tx_hash: at.tx_hash,
                    log_index: at.log_index,
                });
            }
            cx.op(
                "UPDATE member SET profile_version = $2, commitment = $3, block_number = $4, \
                 tx_hash = $5, log_index = $6 WHERE account = $1",
                vec![e.account.into(), e.version.into(), e.commitment.into()],
            );
        }
        E::MemberStatusChanged(e) => {
            let approved = MemberStatus::try_from(e.previous) == Ok(MemberStatus::Pending)
                && MemberStatus::try_from(e.current) == Ok(MemberStatus::Active);
            cx.op(
                "UPDATE member SET status = $2, \
                 activated_at = CASE WHEN $3 > 0 THEN $3 ELSE activated_at END, \
                 block_number = $4, tx_hash = $5, log_index = $6 WHERE account = $1",
                vec![
                    e.account.into(),
                    e.current.into(),
                    if approved { at.block_time } else { 0 }.into(),
                ],
            );
            tell_partners(
                cx,
                e.account,
                "member.status_changed",
                json!({
                    "account": e.account,
                    "memberId": e.memberId.to::<u64>(),
                    "branchId": e.branchId,
                    "status": name_of("MemberStatus", e.current),
                }),
            );
        }
        E::MoveRequested(e) => cx.op(
            "UPDATE member SET pending_move_to = $2, block_number = $3, tx_hash = $4, \
             log_index = $5 WHERE account = $1",
            vec![e.account.into(), e.toBranch.into()],
        ),
        E::MoveCancelled(e) => cx.op(
            "UPDATE member SET pending_move_to = 0, block_number = $2, tx_hash = $3, \
             log_index = $4 WHERE account = $1",
            vec![e.account.into()],
        ),
        E::MemberMoved(e) => cx.op(
            "UPDATE member SET home_branch = $2, pending_move_to = 0, block_number = $3, \
             tx_hash = $4, log_index = $5 WHERE account = $1",
            vec![e.account.into(), e.toBranch.into()],
        ),
        E::RiskLevelChanged(e) => {
            cx.op(
                "UPDATE member SET risk = $2, block_number = $3, tx_hash = $4, log_index = $5 \
                 WHERE account = $1",
                vec![e.account.into(), e.current.into()],
            );
            tell_partners(
                cx,
                e.account,
                "member.risk_changed",
                json!({
                    "account": e.account,
                    "memberId": e.memberId.to::<u64>(),
                    "branchId": e.branchId,
                    "riskLevel": name_of("RiskLevel", e.current),
                }),
            );
        }
        E::RiskAlertRaised(e) => cx.op(
            "INSERT INTO risk_alert (alert_id, account, partner, reason_hash, assessed, level, \
             supervisor, block_number, tx_hash, log_index) \
             VALUES ($1, $2, $3, $4, FALSE, $5, $6, $7, $8, $9) \
             ON CONFLICT (alert_id) DO NOTHING",
            vec![
                id(e.alertId, "alertId")?.into(),
                e.account.into(),
                e.partner.into(),
                e.reasonHash.into(),
                n(RiskLevel::None),
                Address::ZERO.into(),
            ],
        ),
        E::RiskAlertAssessed(e) => cx.op(
            "UPDATE risk_alert SET assessed = TRUE, level = $2, supervisor = $3, \
             block_number = $4, tx_hash = $5, log_index = $6 WHERE alert_id = $1",
            vec![
                id(e.alertId, "alertId")?.into(),
                e.level.into(),
                e.supervisor.into(),
            ],
        ),
        E::MemberRecovered(e) => {
            cx.op(
                "UPDATE member SET account = $2, block_number = $3, tx_hash = $4, \
                 log_index = $5 WHERE account = $1",
                vec![e.previousAccount.into(), e.newAccount.into()],
            );
            cx.plain(
                "UPDATE credential SET account = $2 WHERE account = $1",
                vec![e.previousAccount.into(), e.newAccount.into()],
            );
        }
        E::PartnerConsentChanged(e) => {
            let member_id = e.memberId.to::<u64>();
            cx.op(
                "INSERT INTO partner_consent (member_id, partner, granted, block_number, \
                 tx_hash, log_index) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (member_id, partner) DO UPDATE SET granted = excluded.granted, \
                 block_number = excluded.block_number, tx_hash = excluded.tx_hash, \
                 log_index = excluded.log_index",
                vec![member_id.into(), e.partner.into(), e.granted.into()],
            );
            // Withdrawn: the partner hears nothing more of this member, queued messages
            // included.
            if !e.granted {
                super::cancel_partner_messages(cx, e.partner, Some(member_id));
            }
        }
        // In the event log only: set once, at deployment.
        // In the event log only: the gateway's audit reads keys from the chain.
        E::TimeCoinSet(_) | E::UniquenessKeySet(_) | E::UniquenessKeyReleased(_) => {}
    }
    Ok(())
}
