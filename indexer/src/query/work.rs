//! What waits for a branch's people: members waiting for a second operator, moves in and out,
//! activities with their participants, services waiting for a confirmation, partners' alerts,
//! the branch's minting quota, credential types with their issuers, credentials about to
//! expire. Every row carries the time of its last change (its block's time).

use super::{members::MemberRow, row::Columns};
use crate::{
    Result,
    store::{Store, to_i64},
};
use alloy::primitives::{Address, B256, U256};
use serde::Serialize;
use std::str::FromStr;
use timebank_bindings::types::{
    ActivityKind, ActivityStatus, CredentialKind, MemberStatus, ParticipationStatus, Purpose,
    RiskLevel, ServiceStatus,
};

/// A page: at most `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Rows at most.
    pub limit: i64,
    /// Rows skipped.
    pub offset: i64,
}

/// An activity or training.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityRow {
    /// Id.
    pub activity_id: u64,
    /// The branch running it.
    pub branch_id: u64,
    /// Activity or training.
    pub kind: ActivityKind,
    /// The operator who created it.
    pub organizer: Address,
    /// The most hours one volunteer may be rewarded (base units, decimal).
    pub hours_cap: String,
    /// The credential type a volunteer needs (0: none).
    pub required_credential_type: u64,
    /// keccak256 of its details.
    pub details_hash: B256,
    /// The details, when written through this branch's gateway.
    pub details: Option<String>,
    /// Open or closed.
    pub status: ActivityStatus,
    /// Block of the last change.
    pub block_number: u64,
    /// Its time.
    pub updated_at: u64,
    /// Who joined, with their hours.
    pub participants: Vec<ParticipantRow>,
}

/// A volunteer in an activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParticipantRow {
    /// The volunteer.
    pub volunteer: Address,
    /// Joined, recorded, confirmed or settled.
    pub status: ParticipationStatus,
    /// Hours recorded (base units, decimal).
    pub amount: String,
    /// The first operator's approval of a large settlement.
    pub approved_by: Option<Address>,
    /// Its time.
    pub updated_at: u64,
}

/// A service between two members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceRow {
    /// Id.
    pub service_id: u64,
    /// Who provides it.
    pub provider: Address,
    /// Who receives (and pays) it.
    pub requester: Address,
    /// Hours (base units, decimal).
    pub amount: String,
    /// keccak256 of its details.
    pub details_hash: B256,
    /// The details, when written through this branch's gateway.
    pub details: Option<String>,
    /// Proposed, completed or cancelled.
    pub status: ServiceStatus,
    /// Block of the last change.
    pub block_number: u64,
    /// Its time.
    pub updated_at: u64,
}

/// A partner's risk alert about a member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertRow {
    /// Id.
    pub alert_id: u64,
    /// About whom.
    pub account: Address,
    /// Their home branch.
    pub home_branch: Option<u64>,
    /// The partner who raised it.
    pub partner: Address,
    /// keccak256 of the partner's reason.
    pub reason_hash: B256,
    /// Whether a supervisor assessed it.
    pub assessed: bool,
    /// The level the supervisor set.
    pub level: RiskLevel,
    /// The supervisor who assessed it.
    pub supervisor: Option<Address>,
    /// Block of the last change.
    pub block_number: u64,
    /// Its time.
    pub updated_at: u64,
}

/// A branch in figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BranchStats {
    /// Its members by status.
    pub members_by_status: Vec<(MemberStatus, u64)>,
    /// Its members' payments (services and gifts) per UTC day: the day's start, the count.
    pub payments_per_day: Vec<(u64, u64)>,
    /// Rewards its settlements minted per week: the week's start, the purpose, millionths of an
    /// hour.
    pub rewards_per_week: Vec<(u64, Purpose, u64)>,
}

/// A branch's minting quota.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotaRow {
    /// The branch.
    pub branch_id: u64,
    /// Its limit (base units, decimal; 0 when never set).
    pub limit: String,
    /// Minted by its settlements so far.
    pub minted: String,
    /// What is left.
    pub left: String,
    /// Settlements above this need two operators (0: none).
    pub second_approval_above: String,
}

/// A credential type with the accounts that may issue it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialTypeRow {
    /// Id.
    pub type_id: u64,
    /// What it attests.
    pub kind: CredentialKind,
    /// Its name.
    pub name: String,
    /// Whether credentials of it count.
    pub active: bool,
    /// Who may issue it.
    pub issuers: Vec<Address>,
    /// Its time.
    pub updated_at: u64,
}

/// A member's credential that expires soon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpiringRow {
    /// The member.
    pub account: Address,
    /// Their id.
    pub member_id: u64,
    /// The credential's type.
    pub type_id: u64,
    /// Its name.
    pub type_name: String,
    /// When it expires (unix seconds).
    pub expires_at: u64,
    /// Who issued it.
    pub issuer: Address,
}

impl Store {
    /// Members of `branch` waiting for a second operator's approval, oldest first.
    pub async fn pending_members(&self, branch: u64, page: Page) -> Result<Vec<MemberRow>> {
        let sql = format!(
            "{} WHERE m.home_branch = $1 AND m.status = $2 ORDER BY m.member_id LIMIT $3 OFFSET $4",
            MemberRow::SELECT
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to_i64(branch))
            .bind(i64::from(u8::from(MemberStatus::Pending)))
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(MemberRow::read).collect()
    }

    /// Members asked to move into `branch` (`incoming`), or out of it.
    pub async fn moves(&self, branch: u64, incoming: bool, page: Page) -> Result<Vec<MemberRow>> {
        let filter = if incoming {
            "m.pending_move_to = $1"
        } else {
            "m.home_branch = $1 AND m.pending_move_to <> 0"
        };
        let sql = format!(
            "{} WHERE {filter} ORDER BY m.member_id LIMIT $2 OFFSET $3",
            MemberRow::SELECT
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to_i64(branch))
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(MemberRow::read).collect()
    }

    /// Activities, newest first, optionally of one branch and status, each with its
    /// participants (one query for the page, one for all their participants).
    pub async fn activities(
        &self,
        branch: Option<u64>,
        status: Option<ActivityStatus>,
        page: Page,
    ) -> Result<Vec<ActivityRow>> {
        let rows = sqlx::query(
            "SELECT a.activity_id, a.branch_id, a.kind, a.organizer, a.hours_cap, \
             a.required_credential_type, a.details_hash, n.text AS details, a.status, \
             a.block_number, COALESCE(b.block_time, 0) AS updated_at \
             FROM activity a LEFT JOIN note n ON n.hash = a.details_hash \
             LEFT JOIN indexed_block b ON b.block_number = a.block_number \
             WHERE ($1 = 0 OR a.branch_id = $2) AND ($3 = 0 OR a.status = $4) \
             ORDER BY a.activity_id DESC LIMIT $5 OFFSET $6",
        )
        .bind(i64::from(branch.is_some()))
        .bind(to_i64(branch.unwrap_or_default()))
        .bind(i64::from(status.is_some()))
        .bind(status.map_or(0, |s| i64::from(u8::from(s))))
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(self.pool())
        .await?;
        let mut activities = rows
            .iter()
            .map(|r| {
                Ok(ActivityRow {
                    activity_id: r.u64("activity_id")?,
                    branch_id: r.u64("branch_id")?,
                    kind: r.kind("kind")?,
                    organizer: r.address("organizer")?,
                    hours_cap: r.text("hours_cap")?,
                    required_credential_type: r.u64("required_credential_type")?,
                    details_hash: r.hash("details_hash")?,
                    details: r.opt_text("details")?,
                    status: r.kind("status")?,
                    block_number: r.u64("block_number")?,
                    updated_at: r.u64("updated_at")?,
                    participants: Vec::new(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let (Some(first), Some(last)) = (activities.last(), activities.first()) else {
            return Ok(activities);
        };
        let participants = sqlx::query(
            "SELECT p.activity_id, p.volunteer, p.status, p.amount, p.approved_by, \
             COALESCE(b.block_time, 0) AS updated_at FROM participation p \
             LEFT JOIN indexed_block b ON b.block_number = p.block_number \
             WHERE p.activity_id >= $1 AND p.activity_id <= $2 ORDER BY p.activity_id, p.volunteer",
        )
        .bind(to_i64(first.activity_id))
        .bind(to_i64(last.activity_id))
        .fetch_all(self.pool())
        .await?;
        for r in &participants {
            let id = r.u64("activity_id")?;
            if let Some(activity) = activities.iter_mut().find(|a| a.activity_id == id) {
                activity.participants.push(ParticipantRow {
                    volunteer: r.address("volunteer")?,
                    status: r.kind("status")?,
                    amount: r.text("amount")?,
                    approved_by: r.opt_address("approved_by")?,
                    updated_at: r.u64("updated_at")?,
                });
            }
        }
        Ok(activities)
    }

    /// Services, newest first: of one party (`party`), or about members of `branch` (either
    /// party at home there), optionally of one status.
    pub async fn services(
        &self,
        party: Option<Address>,
        branch: Option<u64>,
        status: Option<ServiceStatus>,
        page: Page,
    ) -> Result<Vec<ServiceRow>> {
        let rows = sqlx::query(
            "SELECT s.service_id, s.provider, s.requester, s.amount, s.details_hash, \
             n.text AS details, s.status, s.block_number, COALESCE(b.block_time, 0) AS updated_at \
             FROM service s LEFT JOIN note n ON n.hash = s.details_hash \
             LEFT JOIN indexed_block b ON b.block_number = s.block_number \
             WHERE ($1 = 0 OR s.provider = $2 OR s.requester = $3) \
             AND ($4 = 0 OR EXISTS (SELECT 1 FROM member m WHERE m.home_branch = $5 \
                  AND (m.account = s.provider OR m.account = s.requester))) \
             AND ($6 = 0 OR s.status = $7) \
             ORDER BY s.service_id DESC LIMIT $8 OFFSET $9",
        )
        .bind(i64::from(party.is_some()))
        .bind(party.unwrap_or_default().to_vec())
        .bind(party.unwrap_or_default().to_vec())
        .bind(i64::from(branch.is_some()))
        .bind(to_i64(branch.unwrap_or_default()))
        .bind(i64::from(status.is_some()))
        .bind(status.map_or(0, |s| i64::from(u8::from(s))))
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ServiceRow {
                    service_id: r.u64("service_id")?,
                    provider: r.address("provider")?,
                    requester: r.address("requester")?,
                    amount: r.text("amount")?,
                    details_hash: r.hash("details_hash")?,
                    details: r.opt_text("details")?,
                    status: r.kind("status")?,
                    block_number: r.u64("block_number")?,
                    updated_at: r.u64("updated_at")?,
                })
            })
            .collect()
    }

    /// Partners' alerts, newest first: optionally only those not yet assessed, of one partner,
    /// or about members of one branch.
    pub async fn alerts(
        &self,
        pending_only: bool,
        partner: Option<Address>,
        branch: Option<u64>,
        page: Page,
    ) -> Result<Vec<AlertRow>> {
        let rows = sqlx::query(
            "SELECT a.alert_id, a.account, m.home_branch, a.partner, a.reason_hash, \
             CASE WHEN a.assessed THEN 1 ELSE 0 END AS assessed, a.level, a.supervisor, \
             a.block_number, COALESCE(b.block_time, 0) AS updated_at FROM risk_alert a \
             LEFT JOIN member m ON m.account = a.account \
             LEFT JOIN indexed_block b ON b.block_number = a.block_number \
             WHERE ($1 = 0 OR NOT a.assessed) AND ($2 = 0 OR a.partner = $3) \
             AND ($4 = 0 OR m.home_branch = $5) \
             ORDER BY a.alert_id DESC LIMIT $6 OFFSET $7",
        )
        .bind(i64::from(pending_only))
        .bind(i64::from(partner.is_some()))
        .bind(partner.unwrap_or_default().to_vec())
        .bind(i64::from(branch.is_some()))
        .bind(to_i64(branch.unwrap_or_default()))
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let supervisor = r.address("supervisor")?;
                Ok(AlertRow {
                    alert_id: r.u64("alert_id")?,
                    account: r.address("account")?,
                    home_branch: r.opt_u64("home_branch")?,
                    partner: r.address("partner")?,
                    reason_hash: r.hash("reason_hash")?,
                    assessed: r.flag("assessed")?,
                    level: r.kind("level")?,
                    supervisor: (!supervisor.is_zero()).then_some(supervisor),
                    block_number: r.u64("block_number")?,
                    updated_at: r.u64("updated_at")?,
                })
            })
            .collect()
    }

    /// `branch` in figures since `since` (unix seconds): its members by status, its members'
    /// payments (by the payer's home branch now) per day, and the hours the branch rewarded per
    /// week by purpose (in millionths of an hour).
    pub async fn branch_stats(&self, branch: u64, since: u64) -> Result<BranchStats> {
        let b = to_i64(branch);
        let since = to_i64(since);
        let members_by_status = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM member WHERE home_branch = $1 \
             GROUP BY status ORDER BY status",
        )
        .bind(b)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| Ok((r.kind("status")?, r.u64("n")?)))
        .collect::<Result<_>>()?;
        let payments_per_day = sqlx::query(
            "SELECT p.block_time / 86400 AS day, COUNT(*) AS n FROM payment p \
             JOIN member m ON m.account = p.sender \
             WHERE m.home_branch = $1 AND p.block_time >= $2 AND p.purpose IN ($3, $4) \
             GROUP BY p.block_time / 86400 ORDER BY day",
        )
        .bind(b)
        .bind(since)
        .bind(i64::from(Purpose::ServicePayment as u8))
        .bind(i64::from(Purpose::Gift as u8))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| Ok((r.u64("day")? * 86_400, r.u64("n")?)))
        .collect::<Result<_>>()?;
        // Rewards by the branch that settled them (its quota), whoever the volunteer is now.
        let rewards_per_week = sqlx::query(
            "SELECT e.block_time / 604800 AS week, a.kind, \
             CAST(SUM(s.amount_micro) AS BIGINT) AS micro FROM activity_settlement s \
             JOIN activity a ON a.activity_id = s.activity_id \
             JOIN event_log e ON e.block_number = s.block_number AND e.log_index = s.log_index \
             WHERE s.branch_id = $1 AND e.block_time >= $2 \
             GROUP BY e.block_time / 604800, a.kind ORDER BY week, a.kind",
        )
        .bind(b)
        .bind(since)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            let purpose = match r.kind::<ActivityKind>("kind")? {
                ActivityKind::Activity => Purpose::ActivityReward,
                ActivityKind::Training => Purpose::TrainingReward,
            };
            Ok((r.u64("week")? * 604_800, purpose, r.u64("micro")?))
        })
        .collect::<Result<_>>()?;
        Ok(BranchStats {
            members_by_status,
            payments_per_day,
            rewards_per_week,
        })
    }

    /// `branch`'s minting quota: its limit, what its settlements minted, what is left.
    pub async fn quota(&self, branch: u64) -> Result<QuotaRow> {
        let row = sqlx::query(
            "SELECT quota_limit, second_approval_above FROM mint_quota WHERE branch_id = $1",
        )
        .bind(to_i64(branch))
        .fetch_optional(self.pool())
        .await?;
        let (limit, second) = match &row {
            Some(r) => (r.text("quota_limit")?, r.text("second_approval_above")?),
            None => ("0".to_owned(), "0".to_owned()),
        };
        let minted = sqlx::query("SELECT amount FROM activity_settlement WHERE branch_id = $1")
            .bind(to_i64(branch))
            .fetch_all(self.pool())
            .await?
            .iter()
            .try_fold(U256::ZERO, |sum, r| -> Result<U256> {
                Ok(sum + decimal(&r.text("amount")?)?)
            })?;
        let limit_value = decimal(&limit)?;
        Ok(QuotaRow {
            branch_id: branch,
            left: limit_value.saturating_sub(minted).to_string(),
            limit,
            minted: minted.to_string(),
            second_approval_above: second,
        })
    }

    /// Every credential type, with the accounts holding its issuer role.
    pub async fn credential_types(&self) -> Result<Vec<CredentialTypeRow>> {
        let types = sqlx::query(
            "SELECT t.type_id, t.kind, t.name, CASE WHEN t.active THEN 1 ELSE 0 END AS active, \
             COALESCE(b.block_time, 0) AS updated_at FROM credential_type t \
             LEFT JOIN indexed_block b ON b.block_number = t.block_number ORDER BY t.type_id",
        )
        .fetch_all(self.pool())
        .await?;
        let holders = sqlx::query("SELECT role, account FROM role_member")
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| Ok((r.hash("role")?, r.address("account")?)))
            .collect::<Result<Vec<_>>>()?;
        types
            .iter()
            .map(|r| {
                let type_id = r.u64("type_id")?;
                let role = timebank_bindings::roles::issuer(u32::try_from(type_id).unwrap_or(0));
                Ok(CredentialTypeRow {
                    type_id,
                    kind: r.kind("kind")?,
                    name: r.text("name")?,
                    active: r.flag("active")?,
                    issuers: holders
                        .iter()
                        .filter(|(held, _)| *held == role)
                        .map(|(_, account)| *account)
                        .collect(),
                    updated_at: r.u64("updated_at")?,
                })
            })
            .collect()
    }

    /// Credentials of `branch`'s members that expire after `from` and before `until` (unix
    /// seconds), soonest first; revoked ones left out.
    pub async fn expiring_credentials(
        &self,
        branch: u64,
        from: u64,
        until: u64,
        page: Page,
    ) -> Result<Vec<ExpiringRow>> {
        let rows = sqlx::query(
            "SELECT c.account, c.member_id, c.type_id, t.name, c.expires_at, c.issuer \
             FROM credential c JOIN member m ON m.member_id = c.member_id \
             JOIN credential_type t ON t.type_id = c.type_id \
             WHERE m.home_branch = $1 AND NOT c.revoked AND c.expires_at > $2 \
             AND c.expires_at <= $3 ORDER BY c.expires_at LIMIT $4 OFFSET $5",
        )
        .bind(to_i64(branch))
        .bind(to_i64(from))
        .bind(to_i64(until))
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ExpiringRow {
                    account: r.address("account")?,
                    member_id: r.u64("member_id")?,
                    type_id: r.u64("type_id")?,
                    type_name: r.text("name")?,
                    expires_at: r.u64("expires_at")?,
                    issuer: r.address("issuer")?,
                })
            })
            .collect()
    }
}

/// A stored decimal amount.
fn decimal(text: &str) -> Result<U256> {
    U256::from_str(text)
        .map_err(|err| crate::Error::Inconsistent(format!("a stored amount {text:?}: {err}")))
}
