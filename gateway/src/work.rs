//! What waits for a branch's people, as lists with paging and filters, scoped by role: members
//! waiting for a second operator, moves in and out, activities with their participants,
//! services waiting for a confirmation, partners' alerts, the minting quota, credential types
//! and their issuers, credentials about to expire. Who may call each is in `docs/api.md`.

use crate::{
    AppState,
    access::{Caller, Role},
    api::limit,
    error::{ApiError, ApiResult, Json, Path, Query},
    vocabulary::iso,
};
use axum::extract::State;
use serde::Deserialize;
use std::sync::Arc;
use timebank_bindings::types::{ActivityStatus, ServiceStatus};
pub use timebank_client::api::{
    Activity, Alert, BranchStats, CredentialType, DayCount, ExpiringCredential, MemberSummary,
    Participant, Quota, Service, StatusCount, WeekHours,
};
use timebank_indexer::query::{
    MemberRow,
    work::{ActivityRow, Page},
};
use utoipa::{IntoParams, ToSchema};

/// Paging.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
    /// Skip this many first.
    pub offset: Option<u32>,
}

impl Paging {
    fn page(&self) -> ApiResult<Page> {
        Ok(Page {
            limit: limit(self.limit)?,
            offset: i64::from(self.offset.unwrap_or(0)),
        })
    }
}

/// Whether `caller` sees `branch`'s work: its operators, supervisors, auditors, the admin.
fn branch_staff(caller: &Caller, branch: u64) -> ApiResult<()> {
    if caller.operator_branch == Some(branch)
        || caller.is(Role::Supervisor)
        || caller.is(Role::Auditor)
        || caller.is(Role::Admin)
    {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "branch {branch}'s work lists are for its operators, supervisors, auditors and the \
             admin"
        )))
    }
}

fn everything(caller: &Caller) -> bool {
    caller.is(Role::Supervisor) || caller.is(Role::Auditor) || caller.is(Role::Admin)
}

fn summary(m: MemberRow) -> MemberSummary {
    MemberSummary {
        account: m.account,
        member_id: m.member_id,
        home_branch: m.home_branch,
        status: m.status,
        pending_move_to: m.pending_move_to,
        submitted_by: m.submitted_by,
        submitted_at: iso(m.submitted_at),
        block_number: m.block_number,
        updated_at: iso(m.updated_at),
    }
}

/// Members of a branch waiting for a second operator's approval, oldest first.
#[utoipa::path(get, path = "/v1/branches/{branch}/pending-members", tag = "branches",
    security(("session" = [])), params(("branch" = u64, Path, description = "Branch id"), Paging),
    responses((status = 200, body = Vec<MemberSummary>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn pending_members(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(branch): Path<u64>,
    Query(paging): Query<Paging>,
) -> ApiResult<Json<Vec<MemberSummary>>> {
    branch_staff(&caller, branch)?;
    let rows = state.store.pending_members(branch, paging.page()?).await?;
    Ok(Json(rows.into_iter().map(summary).collect()))
}

/// Which way a move goes.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Members asked to move into the branch (its operators accept).
    In,
    /// The branch's members asked to move elsewhere.
    Out,
}

/// Move filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MoveFilter {
    /// `in` (default) or `out`.
    pub direction: Option<Direction>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
    /// Skip this many first.
    pub offset: Option<u32>,
}

/// Members moving into a branch, or out of it.
#[utoipa::path(get, path = "/v1/branches/{branch}/moves", tag = "branches",
    security(("session" = [])), params(("branch" = u64, Path, description = "Branch id"), MoveFilter),
    responses((status = 200, body = Vec<MemberSummary>), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn moves(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(branch): Path<u64>,
    Query(filter): Query<MoveFilter>,
) -> ApiResult<Json<Vec<MemberSummary>>> {
    branch_staff(&caller, branch)?;
    let page = Paging {
        limit: filter.limit,
        offset: filter.offset,
    }
    .page()?;
    let incoming = !matches!(filter.direction, Some(Direction::Out));
    let rows = state.store.moves(branch, incoming, page).await?;
    Ok(Json(rows.into_iter().map(summary).collect()))
}

/// Activity filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityFilter {
    /// Only this branch's.
    pub branch: Option<u64>,
    /// Only open or closed ones.
    #[param(schema_with = timebank_client::schema::activity_status)]
    pub status: Option<ActivityStatus>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
    /// Skip this many first.
    pub offset: Option<u32>,
}

/// Activities and trainings, newest first, with their participants: staff of the activity's
/// branch (and supervisors, auditors, the admin) see every participant; anyone else, only
/// themselves.
#[utoipa::path(get, path = "/v1/activities", tag = "activities", security(("session" = [])),
    params(ActivityFilter),
    responses((status = 200, body = Vec<Activity>), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody)))]
pub async fn activities(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(filter): Query<ActivityFilter>,
) -> ApiResult<Json<Vec<Activity>>> {
    let page = Paging {
        limit: filter.limit,
        offset: filter.offset,
    }
    .page()?;
    let rows = state
        .store
        .activities(filter.branch, filter.status, page)
        .await?;
    Ok(Json(
        rows.into_iter().map(|a| activity(&caller, a)).collect(),
    ))
}

fn activity(caller: &Caller, a: ActivityRow) -> Activity {
    let all = everything(caller) || caller.operator_branch == Some(a.branch_id);
    Activity {
        activity_id: a.activity_id,
        branch_id: a.branch_id,
        kind: a.kind,
        organizer: a.organizer,
        hours_cap: a.hours_cap,
        required_credential_type: a.required_credential_type,
        details: a.details,
        status: a.status,
        block_number: a.block_number,
        updated_at: iso(a.updated_at),
        participants: a
            .participants
            .into_iter()
            .filter(|p| all || p.volunteer == caller.address)
            .map(|p| Participant {
                volunteer: p.volunteer,
                status: p.status,
                amount: p.amount,
                approved_by: p.approved_by,
                updated_at: iso(p.updated_at),
            })
            .collect(),
    }
}

/// Service filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ServiceFilter {
    /// Only about members of this branch (supervisors, auditors, the admin; an operator's is
    /// their own branch).
    pub branch: Option<u64>,
    /// Only in this state (`proposed`: waiting for the requester's confirmation).
    #[param(schema_with = timebank_client::schema::service_status)]
    pub status: Option<ServiceStatus>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
    /// Skip this many first.
    pub offset: Option<u32>,
}

/// Services, newest first: a member's own (as provider or requester); an operator's branch's
/// members'; any branch's for supervisors, auditors and the admin.
#[utoipa::path(get, path = "/v1/services", tag = "activities", security(("session" = [])),
    params(ServiceFilter),
    responses((status = 200, body = Vec<Service>), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn services(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(filter): Query<ServiceFilter>,
) -> ApiResult<Json<Vec<Service>>> {
    let page = Paging {
        limit: filter.limit,
        offset: filter.offset,
    }
    .page()?;
    let (party, branch) = if everything(&caller) {
        (None, filter.branch)
    } else if let Some(own) = caller.operator_branch {
        match filter.branch {
            Some(b) if b != own => {
                return Err(ApiError::forbidden(format!(
                    "operators see their own branch's services, not branch {b}'s"
                )));
            }
            _ => (None, Some(own)),
        }
    } else if caller.is(Role::Member) {
        (Some(caller.address), None)
    } else {
        return Err(ApiError::forbidden(
            "services are for their members, their branch's operators, supervisors, auditors and \
             the admin",
        ));
    };
    let rows = state
        .store
        .services(party, branch, filter.status, page)
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|s| Service {
                service_id: s.service_id,
                provider: s.provider,
                requester: s.requester,
                amount: s.amount,
                details: s.details,
                status: s.status,
                block_number: s.block_number,
                updated_at: iso(s.updated_at),
            })
            .collect(),
    ))
}

/// Alert filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AlertFilter {
    /// Only those not yet assessed.
    pub pending: Option<bool>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
    /// Skip this many first.
    pub offset: Option<u32>,
}

/// Partners' alerts, newest first: every alert for supervisors, auditors and the admin; a
/// partner's own (with their assessment); an operator's branch's members'. Never one about the
/// caller.
#[utoipa::path(get, path = "/v1/alerts", tag = "cases", security(("session" = [])),
    params(AlertFilter),
    responses((status = 200, body = Vec<Alert>), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn alerts(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(filter): Query<AlertFilter>,
) -> ApiResult<Json<Vec<Alert>>> {
    let page = Paging {
        limit: filter.limit,
        offset: filter.offset,
    }
    .page()?;
    let (partner, branch) = if everything(&caller) {
        (None, None)
    } else if caller.is(Role::Partner) {
        (Some(caller.address), None)
    } else if let Some(own) = caller.operator_branch {
        (None, Some(own))
    } else {
        return Err(ApiError::forbidden(
            "alerts are for supervisors, auditors, the admin, the partners who raised them and \
             the members' operators",
        ));
    };
    let rows = state
        .store
        .alerts(filter.pending.unwrap_or(false), partner, branch, page)
        .await?;
    Ok(Json(
        rows.into_iter()
            .filter(|a| a.account != caller.address)
            .map(|a| Alert {
                alert_id: a.alert_id,
                account: a.account,
                home_branch: a.home_branch,
                partner: a.partner,
                assessed: a.assessed,
                level: a.level,
                supervisor: a.supervisor,
                block_number: a.block_number,
                updated_at: iso(a.updated_at),
            })
            .collect(),
    ))
}

/// A branch's minting quota: its limit, what its settlements minted, what is left.
#[utoipa::path(get, path = "/v1/branches/{branch}/quota", tag = "branches",
    security(("session" = [])), params(("branch" = u64, Path, description = "Branch id")),
    responses((status = 200, body = Quota), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn quota(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(branch): Path<u64>,
) -> ApiResult<Json<Quota>> {
    branch_staff(&caller, branch)?;
    let q = state.store.quota(branch).await?;
    Ok(Json(Quota {
        branch_id: q.branch_id,
        limit: q.limit,
        minted: q.minted,
        left: q.left,
        second_approval_above: q.second_approval_above,
        block_number: caller.head.map_or(0, |h| h.number),
    }))
}

/// Every credential type and who may issue it.
#[utoipa::path(get, path = "/v1/credential-types", tag = "members", security(("session" = [])),
    responses((status = 200, body = Vec<CredentialType>), (status = 401, body = crate::error::ErrorBody)))]
pub async fn credential_types(
    State(state): State<Arc<AppState>>,
    _caller: Caller,
) -> ApiResult<Json<Vec<CredentialType>>> {
    let rows = state.store.credential_types().await?;
    Ok(Json(
        rows.into_iter()
            .map(|t| CredentialType {
                type_id: t.type_id,
                kind: t.kind,
                name: t.name,
                active: t.active,
                issuers: t.issuers,
                updated_at: iso(t.updated_at),
            })
            .collect(),
    ))
}

/// Expiry window.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Expiring {
    /// Credentials expiring within this many days (1–3650, default 30).
    pub days: Option<u32>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
    /// Skip this many first.
    pub offset: Option<u32>,
}

/// Credentials of a branch's members expiring within `days` (by the chain's time), soonest
/// first; revoked ones left out.
#[utoipa::path(get, path = "/v1/branches/{branch}/expiring-credentials", tag = "branches",
    security(("session" = [])), params(("branch" = u64, Path, description = "Branch id"), Expiring),
    responses((status = 200, body = Vec<ExpiringCredential>), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn expiring_credentials(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(branch): Path<u64>,
    Query(window): Query<Expiring>,
) -> ApiResult<Json<Vec<ExpiringCredential>>> {
    branch_staff(&caller, branch)?;
    let days = window.days.unwrap_or(30);
    if !(1..=3650).contains(&days) {
        return Err(ApiError::bad_request(format!(
            "`days` is {days}; it must be between 1 and 3650"
        )));
    }
    let page = Paging {
        limit: window.limit,
        offset: window.offset,
    }
    .page()?;
    let now = caller.head.map_or_else(crate::auth::unix_now, |h| h.time);
    let rows = state
        .store
        .expiring_credentials(branch, now, now + u64::from(days) * 86_400, page)
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|c| ExpiringCredential {
                account: c.account,
                member_id: c.member_id,
                type_id: c.type_id,
                type_name: c.type_name,
                expires_at: iso(c.expires_at),
                issuer: c.issuer,
            })
            .collect(),
    ))
}

/// How far back a branch's figures go.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Since {
    /// Figures of the last this many days (1–366, default 56: eight weeks).
    pub days: Option<u32>,
}

/// A branch in figures (its overview's charts): members by status, its members' payments per
/// day, and the hours its members were rewarded per week by purpose.
#[utoipa::path(get, path = "/v1/branches/{branch}/stats", tag = "branches",
    security(("session" = [])), params(("branch" = u64, Path, description = "Branch id"), Since),
    responses((status = 200, body = BranchStats), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn stats(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(branch): Path<u64>,
    Query(since): Query<Since>,
) -> ApiResult<Json<BranchStats>> {
    branch_staff(&caller, branch)?;
    let days = since.days.unwrap_or(56);
    if !(1..=366).contains(&days) {
        return Err(ApiError::bad_request(format!(
            "`days` is {days}; it must be between 1 and 366"
        )));
    }
    let now = caller.head.map_or_else(crate::auth::unix_now, |h| h.time);
    let from = now.saturating_sub(u64::from(days) * 86_400);
    let s = state.store.branch_stats(branch, from).await?;
    let date = |unix: u64| iso(unix).get(..10).unwrap_or_default().to_owned();
    Ok(Json(BranchStats {
        branch_id: branch,
        since: iso(from),
        members_by_status: s
            .members_by_status
            .into_iter()
            .map(|(status, count)| StatusCount { status, count })
            .collect(),
        payments_per_day: s
            .payments_per_day
            .into_iter()
            .map(|(day, count)| DayCount {
                day: date(day),
                count,
            })
            .collect(),
        rewards_per_week: s
            .rewards_per_week
            .into_iter()
            .map(|(week, purpose, micro)| WeekHours {
                week: date(week),
                purpose,
                hours: hours_of_micro(micro),
            })
            .collect(),
        block_number: caller.head.map_or(0, |h| h.number),
    }))
}

/// Millionths of an hour as a decimal number of hours, without trailing zeros.
fn hours_of_micro(micro: u64) -> String {
    let (whole, part) = (micro / 1_000_000, micro % 1_000_000);
    if part == 0 {
        return whole.to_string();
    }
    format!("{whole}.{part:06}")
        .trim_end_matches('0')
        .to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hours_are_written_as_people_write_them() {
        assert_eq!(super::hours_of_micro(20_000_000), "20");
        assert_eq!(super::hours_of_micro(1_500_000), "1.5");
        assert_eq!(super::hours_of_micro(10), "0.00001");
        assert_eq!(super::hours_of_micro(0), "0");
    }
}
