//! `ServiceLedger`: activities, participations, settlements, quotas and services.

use super::{Ctx, SettlementRow, id, micro, n};
use crate::Result;
use alloy::primitives::U256;
use timebank_bindings::{
    ServiceLedger::ServiceLedgerEvents as E,
    types::{ActivityStatus, ParticipationStatus, ServiceStatus},
};

pub(super) fn project(event: &E, cx: &mut Ctx<'_>) -> Result<()> {
    let at = cx.raw.at;
    match event {
        E::ActivityCreated(e) => cx.op(
            "INSERT INTO activity (activity_id, branch_id, kind, organizer, hours_cap, \
             required_credential_type, details_hash, status, block_number, tx_hash, log_index) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (activity_id) DO NOTHING",
            vec![
                id(e.activityId, "activityId")?.into(),
                e.branchId.into(),
                e.kind.into(),
                e.organizer.into(),
                e.hoursCap.to_string().into(),
                e.requiredCredentialType.into(),
                e.detailsHash.into(),
                n(ActivityStatus::Open),
            ],
        ),
        E::ActivityClosed(e) => cx.op(
            "UPDATE activity SET status = $2, block_number = $3, tx_hash = $4, log_index = $5 \
             WHERE activity_id = $1",
            vec![
                id(e.activityId, "activityId")?.into(),
                n(ActivityStatus::Closed),
            ],
        ),
        E::ActivityJoined(e) => cx.op(
            "INSERT INTO participation (activity_id, volunteer, status, amount, block_number, \
             tx_hash, log_index) VALUES ($1, $2, $3, '0', $4, $5, $6) \
             ON CONFLICT (activity_id, volunteer) DO NOTHING",
            vec![
                id(e.activityId, "activityId")?.into(),
                e.volunteer.into(),
                n(ParticipationStatus::Joined),
            ],
        ),
        // A correction, even after a confirmation, waits for the volunteer again.
        E::HoursRecorded(e) => cx.op(
            "UPDATE participation SET status = $3, amount = $4, approved_by = NULL, \
             block_number = $5, tx_hash = $6, log_index = $7 \
             WHERE activity_id = $1 AND volunteer = $2",
            vec![
                id(e.activityId, "activityId")?.into(),
                e.volunteer.into(),
                n(ParticipationStatus::Recorded),
                e.amount.to_string().into(),
            ],
        ),
        E::HoursConfirmed(e) => cx.op(
            "UPDATE participation SET status = $3, block_number = $4, tx_hash = $5, \
             log_index = $6 WHERE activity_id = $1 AND volunteer = $2",
            vec![
                id(e.activityId, "activityId")?.into(),
                e.volunteer.into(),
                n(ParticipationStatus::Confirmed),
            ],
        ),
        E::SettlementApproved(e) => cx.op(
            "UPDATE participation SET approved_by = $3, block_number = $4, tx_hash = $5, \
             log_index = $6 WHERE activity_id = $1 AND volunteer = $2",
            vec![
                id(e.activityId, "activityId")?.into(),
                e.volunteer.into(),
                e.operator.into(),
            ],
        ),
        E::ActivitySettled(e) => {
            let activity = id(e.activityId, "activityId")?;
            if cx.ingest() {
                let amount = U256::from(e.amount);
                cx.batch.settlements.push(SettlementRow {
                    activity_id: activity,
                    volunteer: e.volunteer,
                    branch_id: e.branchId,
                    amount: amount.to_string(),
                    amount_micro: micro(amount),
                    operator: e.operator,
                    block_number: at.block_number,
                    block_hash: at.block_hash,
                    tx_hash: at.tx_hash,
                    log_index: at.log_index,
                });
            }
            cx.op(
                "UPDATE participation SET status = $3, block_number = $4, tx_hash = $5, \
                 log_index = $6 WHERE activity_id = $1 AND volunteer = $2",
                vec![
                    activity.into(),
                    e.volunteer.into(),
                    n(ParticipationStatus::Settled),
                ],
            );
        }
        E::MintQuotaSet(e) => cx.op(
            "INSERT INTO mint_quota (branch_id, quota_limit, block_number, tx_hash, log_index) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (branch_id) DO UPDATE SET \
             quota_limit = excluded.quota_limit, block_number = excluded.block_number, \
             tx_hash = excluded.tx_hash, log_index = excluded.log_index",
            vec![e.branchId.into(), e.limit.to_string().into()],
        ),
        E::SecondApprovalSet(e) => cx.op(
            "INSERT INTO mint_quota (branch_id, quota_limit, second_approval_above, \
             block_number, tx_hash, log_index) VALUES ($1, '0', $2, $3, $4, $5) \
             ON CONFLICT (branch_id) DO UPDATE SET \
             second_approval_above = excluded.second_approval_above, \
             block_number = excluded.block_number, tx_hash = excluded.tx_hash, \
             log_index = excluded.log_index",
            vec![e.branchId.into(), e.amount.to_string().into()],
        ),
        E::ServiceProposed(e) => cx.op(
            "INSERT INTO service (service_id, provider, requester, amount, details_hash, status, \
             block_number, tx_hash, log_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (service_id) DO NOTHING",
            vec![
                id(e.serviceId, "serviceId")?.into(),
                e.provider.into(),
                e.requester.into(),
                e.amount.to_string().into(),
                e.detailsHash.into(),
                n(ServiceStatus::Proposed),
            ],
        ),
        E::ServiceCompleted(e) => service_status(cx, e.serviceId, ServiceStatus::Completed)?,
        E::ServiceCancelled(e) => service_status(cx, e.serviceId, ServiceStatus::Cancelled)?,
    }
    Ok(())
}

fn service_status(cx: &mut Ctx<'_>, service: U256, status: ServiceStatus) -> Result<()> {
    cx.op(
        "UPDATE service SET status = $2, block_number = $3, tx_hash = $4, log_index = $5 \
         WHERE service_id = $1",
        vec![id(service, "serviceId")?.into(), n(status)],
    );
    Ok(())
}
