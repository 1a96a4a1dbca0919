//! `SupervisionDesk`: cases and their decisions.

use super::{Ctx, id, n, tell_partners};
use crate::Result;
use timebank_bindings::{
    SupervisionDesk::SupervisionDeskEvents as E,
    types::{CaseKind, CaseStatus, name_of},
};

pub(super) fn project(event: &E, cx: &mut Ctx<'_>) -> Result<()> {
    let at = cx.raw.at;
    match event {
        E::CaseOpened(e) => {
            // A rule hit names its rules; an agent's case has none. Recoveries and adopted
            // holds are marked by the events that follow (RecoveryRequested, HoldAdopted).
            let kind = if e.rules != 0 {
                CaseKind::RuleHit
            } else {
                CaseKind::Agent
            };
            cx.op(
                "INSERT INTO supervision_case (case_id, account, counterparty, rules, action, \
                 amount, purpose, ref, hold_id, opened_by, reason_hash, status, kind, \
                 opened_block, block_number, tx_hash, log_index) VALUES ($1, $2, $3, $4, $5, \
                 $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
                 ON CONFLICT (case_id) DO NOTHING",
                vec![
                    id(e.caseId, "caseId")?.into(),
                    e.account.into(),
                    e.counterparty.into(),
                    u64::from(e.rules).into(),
                    e.action.into(),
                    e.amount.to_string().into(),
                    e.purpose.into(),
                    e.r#ref.into(),
                    id(e.holdId, "holdId")?.into(),
                    e.openedBy.into(),
                    e.reasonHash.into(),
                    n(CaseStatus::Open),
                    n(kind),
                    at.block_number.into(),
                ],
            );
        }
        E::RecoveryRequested(e) => cx.plain(
            "UPDATE supervision_case SET kind = $2 WHERE case_id = $1",
            vec![id(e.caseId, "caseId")?.into(), n(CaseKind::Recovery)],
        ),
        E::CaseDecided(e) => {
            cx.op(
                "UPDATE supervision_case SET status = $2, risk_level = $3, note_hash = $4, \
                 decided_by = $5, block_number = $6, tx_hash = $7, log_index = $8 \
                 WHERE case_id = $1",
                vec![
                    id(e.caseId, "caseId")?.into(),
                    e.outcome.into(),
                    e.riskLevel.into(),
                    e.noteHash.into(),
                    e.supervisor.into(),
                ],
            );
            // The decision, never the note or the rules that fired.
            tell_partners(
                cx,
                e.account,
                "case.decided",
                serde_json::json!({
                    "caseId": id(e.caseId, "caseId")?,
                    "account": e.account,
                    "outcome": name_of("CaseStatus", e.outcome),
                    "riskLevel": name_of("RiskLevel", e.riskLevel),
                }),
            );
        }
    }
    Ok(())
}
