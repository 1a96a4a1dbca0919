//! The risk agent's findings (`timebank-riskscan` writes them to this branch's database): the
//! patterns it found about accounts, each with its evidence — beside the case it opened, whose
//! `reasonHash` is the evidence's hash — and the platform's weak spots while they last. For
//! supervisors, auditors and the admin; nobody sees a finding they are part of.

use crate::{
    AppState,
    access::{Caller, Role},
    api::limit,
    error::{ApiError, ApiResult, Json, Query},
    vocabulary::iso,
};
use axum::extract::State;
use serde::Deserialize;
use std::sync::Arc;
pub use timebank_client::api::{PlatformFinding, RiskFinding, Severity};
use utoipa::IntoParams;

const WHO: &[Role] = &[Role::Supervisor, Role::Auditor, Role::Admin];

/// Finding filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FindingFilter {
    /// Only the findings behind this case (the evidence whose hash is its reason).
    pub case: Option<u64>,
    /// Only this detector's.
    pub detector: Option<String>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
}

fn severity(n: u8) -> ApiResult<Severity> {
    Severity::from_u8(n).ok_or_else(|| ApiError::internal("a finding", format!("severity {n}")))
}

/// The risk agent's findings about accounts, newest first, with their evidence (the payments,
/// the path, the figures) and the case each opened.
#[utoipa::path(get, path = "/v1/risk/findings", tag = "cases", security(("session" = [])),
    params(FindingFilter),
    responses((status = 200, body = Vec<RiskFinding>), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn findings(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(filter): Query<FindingFilter>,
) -> ApiResult<Json<Vec<RiskFinding>>> {
    caller.require_any(WHO, "reading the risk agent's findings")?;
    let limit = limit(filter.limit)?;
    let case = match filter.case {
        None => None,
        Some(id) => {
            let case = state
                .store
                .case(id)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("no case {id}")))?;
            Some((case.reason_hash, case.account))
        }
    };
    let rows = state
        .store
        .risk_findings(case, filter.detector.as_deref(), limit)
        .await?;
    // Nobody reviews a pattern they are part of: about them, or through them (a hop of a
    // cycle, a payer of a fan-in) — a supervisor who is also a member included.
    let me = caller.address.to_string().to_lowercase();
    rows.into_iter()
        .filter(|f| {
            f.account != caller.address
                && f.counterparty != caller.address
                && !f.evidence.to_lowercase().contains(&me)
        })
        .map(|f| {
            Ok(RiskFinding {
                finding_id: f.finding_id,
                detector: f.detector,
                account: f.account,
                counterparty: f.counterparty,
                severity: severity(f.severity)?,
                score: f.score,
                summary: f.summary,
                evidence: serde_json::from_str(&f.evidence)
                    .map_err(|err| ApiError::internal("a finding's evidence", err))?,
                reason_hash: f.reason_hash,
                first_block: f.first_block,
                last_block: f.last_block,
                found_at: iso(f.found_at),
                case_id: f.case_id,
            })
        })
        .collect::<ApiResult<Vec<_>>>()
        .map(Json)
}

/// Platform filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PlatformFilter {
    /// Only those still seen (default: all, open first).
    pub open: Option<bool>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
}

/// The platform's weak spots the risk agent's scans see — nodes, services, contracts — each
/// with what to do and who does it; open ones first, the most serious first.
#[utoipa::path(get, path = "/v1/risk/platform", tag = "cases", security(("session" = [])),
    params(PlatformFilter),
    responses((status = 200, body = Vec<PlatformFinding>), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn platform(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(filter): Query<PlatformFilter>,
) -> ApiResult<Json<Vec<PlatformFinding>>> {
    caller.require_any(WHO, "reading the platform's findings")?;
    let rows = state
        .store
        .platform_findings(filter.open.unwrap_or(false), limit(filter.limit)?)
        .await?;
    rows.into_iter()
        .map(|f| {
            Ok(PlatformFinding {
                finding_id: f.finding_id,
                check: f.check,
                subject: f.subject,
                severity: severity(f.severity)?,
                summary: f.summary,
                remediation: f.remediation,
                details: serde_json::from_str(&f.details)
                    .map_err(|err| ApiError::internal("a finding's details", err))?,
                first_seen: iso(f.first_seen),
                last_seen: iso(f.last_seen),
                resolved_at: f.resolved_at.map(iso),
            })
        })
        .collect::<ApiResult<Vec<_>>>()
        .map(Json)
}
