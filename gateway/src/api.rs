//! Read endpoints over the branch's index: branches, members' public records, accounts' coins
//! and history, supervision cases. Who may call each is in `docs/api.md`.

use crate::vocabulary::{iso, rule_names};
use crate::{
    AppState,
    access::{Caller, Role, SUPERVISION_EVENTS},
    cache::Stamp,
    error::{ApiError, ApiResult, Json, Path, Query},
};
use alloy::primitives::Address;
use axum::extract::State;
use serde::Deserialize;
use std::sync::Arc;
use timebank_bindings::types::{CaseStatus, HoldStatus, Purpose};
pub use timebank_client::api::{
    Balance, Branch, Case, Credential, Event, Hold, Payment, PublicMember,
};
use timebank_indexer::query::{
    BranchRow, CaseDetail, CaseQuery, CredentialRow, HistoryEntry, PaymentRow,
};
use utoipa::{IntoParams, ToSchema};

/// Most rows a list returns.
const MAX_LIMIT: u32 = 1_000;

fn branch(b: BranchRow) -> Branch {
    Branch {
        branch_id: b.branch_id,
        name: b.name,
        region: b.region,
        public_key: b.public_key,
        active: b.active,
    }
}

/// Every branch.
#[utoipa::path(get, path = "/v1/branches", tag = "branches", security(("session" = [])),
    responses((status = 200, body = Vec<Branch>), (status = 401, body = crate::error::ErrorBody)))]
pub async fn branches(
    State(state): State<Arc<AppState>>,
    _caller: Caller,
) -> ApiResult<Json<Vec<Branch>>> {
    Ok(Json(
        state
            .store
            .branches()
            .await?
            .into_iter()
            .map(branch)
            .collect(),
    ))
}

fn credential(c: CredentialRow, now: u64) -> Credential {
    Credential {
        valid: !c.revoked && c.type_active && c.expires_at > now,
        type_id: c.type_id,
        type_name: c.type_name,
        kind: c.kind,
        issuer: c.issuer,
        issued_at: iso(c.issued_at),
        expires_at: iso(c.expires_at),
        expires_at_unix: c.expires_at,
        revoked: c.revoked,
    }
}

/// Parses an address from a path segment, saying what was wrong.
pub fn parse_address(text: &str) -> ApiResult<Address> {
    text.parse().map_err(|err| {
        ApiError::bad_request(format!(
            "`{text}` is not an address (0x and 40 hex digits): {err}"
        ))
    })
}

/// A member's public record (status, branch, risk, credentials and their validity).
#[utoipa::path(get, path = "/v1/members/{address}", tag = "members", security(("session" = [])),
    params(("address" = String, Path, description = "The member's wallet")),
    responses((status = 200, body = PublicMember), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn member(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(address): Path<String>,
) -> ApiResult<Json<PublicMember>> {
    let account = parse_address(&address)?;
    // Risk levels are for staff, and never about themselves (no tipping-off).
    let shown = |mut record: PublicMember| {
        if !crate::access::sees_risk(&caller, account) {
            record.risk = None;
        }
        Json(record)
    };
    if let Some(head) = &caller.head
        && let Some(record) = state.members.get(Stamp::head(head), &account)
    {
        return Ok(shown(record));
    }
    let m = member_or_404(&state, account).await?;
    // Validity as of the chain's time (the last indexed block), which is what contracts check.
    let now = caller.head.map_or_else(crate::auth::unix_now, |h| h.time);
    let credentials = state
        .store
        .credentials(account)
        .await?
        .into_iter()
        .map(|c| credential(c, now))
        .collect();
    let record = PublicMember {
        account: m.account,
        member_id: m.member_id,
        home_branch: m.home_branch,
        status: m.status,
        risk: Some(m.risk),
        profile_version: m.profile_version,
        commitment: m.commitment,
        pending_move_to: m.pending_move_to,
        credentials,
        submitted_at: iso(m.submitted_at),
        activated_at: (m.activated_at != 0).then(|| iso(m.activated_at)),
        block_number: m.block_number,
        updated_at: iso(m.updated_at),
    };
    if let Some(head) = &caller.head {
        state
            .members
            .insert(Stamp::head(head), account, record.clone());
    }
    Ok(shown(record))
}

/// The member at `account`, or 404.
pub(crate) async fn member_or_404(
    state: &AppState,
    account: Address,
) -> ApiResult<timebank_indexer::query::MemberRow> {
    state
        .store
        .member(account)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("{account} is not a member")))
}

/// Checks that `caller` may read `account`'s coins and history.
async fn account_scope(state: &AppState, caller: &Caller, address: &str) -> ApiResult<Address> {
    let account = parse_address(address)?;
    let home = state.store.member(account).await?.map(|m| m.home_branch);
    if caller.may_read_account(account, home) {
        Ok(account)
    } else {
        Err(ApiError::forbidden(
            "an account's coins and history are for the account itself, operators of its home \
             branch, supervisors, auditors and the platform admin",
        ))
    }
}

/// An account's balance.
#[utoipa::path(get, path = "/v1/accounts/{address}/balance", tag = "payments",
    security(("session" = [])), params(("address" = String, Path, description = "Wallet")),
    responses((status = 200, body = Balance), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn balance(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(address): Path<String>,
) -> ApiResult<Json<Balance>> {
    let account = account_scope(&state, &caller, &address).await?;
    let block_number = state
        .store
        .checkpoint()
        .await?
        .map(|(n, _)| n)
        .unwrap_or_default();
    Ok(Json(Balance {
        account,
        amount: state.store.balance(account).await?,
        block_number,
    }))
}

/// List filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PaymentFilter {
    /// Only this purpose.
    #[param(schema_with = timebank_client::schema::purpose)]
    pub purpose: Option<Purpose>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
}

/// A list's `limit`: 1 to 1000, 100 by default.
pub(crate) fn limit(limit: Option<u32>) -> ApiResult<i64> {
    match limit.unwrap_or(100) {
        n @ 1..=MAX_LIMIT => Ok(i64::from(n)),
        n => Err(ApiError::bad_request(format!(
            "`limit` is {n}; it must be between 1 and {MAX_LIMIT}"
        ))),
    }
}

fn payment(p: PaymentRow) -> Payment {
    Payment {
        block_number: p.block_number,
        block_time: iso(p.block_time),
        tx_hash: p.tx_hash,
        log_index: p.log_index,
        sender: p.sender,
        recipient: p.recipient,
        amount: p.amount,
        purpose: p.purpose,
        reference: p.reference,
    }
}

/// An account's payments, oldest first, optionally of one purpose.
#[utoipa::path(get, path = "/v1/accounts/{address}/payments", tag = "payments",
    security(("session" = [])),
    params(("address" = String, Path, description = "Wallet"), PaymentFilter),
    responses((status = 200, body = Vec<Payment>), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn payments(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(address): Path<String>,
    Query(filter): Query<PaymentFilter>,
) -> ApiResult<Json<Vec<Payment>>> {
    let account = account_scope(&state, &caller, &address).await?;
    let rows = state
        .store
        .payments(Some(account), filter.purpose, limit(filter.limit)?)
        .await?;
    Ok(Json(rows.into_iter().map(payment).collect()))
}

/// Page size.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
}

fn event(e: HistoryEntry) -> Event {
    Event {
        block_number: e.block_number,
        block_time: iso(e.block_time),
        log_index: e.log_index,
        tx_hash: e.tx_hash,
        contract: e.contract,
        event: e.event,
        fields: e.fields,
    }
}

/// Everything that names an account, oldest first.
#[utoipa::path(get, path = "/v1/accounts/{address}/history", tag = "payments",
    security(("session" = [])), params(("address" = String, Path, description = "Wallet"), Page),
    responses((status = 200, body = Vec<Event>), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn history(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(address): Path<String>,
    Query(page): Query<Page>,
) -> ApiResult<Json<Vec<Event>>> {
    let account = account_scope(&state, &caller, &address).await?;
    let mut rows = state.store.history(account, limit(page.limit)?).await?;
    if account == caller.address {
        // No tipping-off: a member (whatever else they are) does not see supervision of
        // themselves that is still undecided, nor ever which partner raised an alert.
        let since = state.store.undecided_supervision_since(account).await?;
        rows.retain(|e| {
            !(SUPERVISION_EVENTS.contains(&e.event.as_str())
                && since.is_some_and(|since| e.block_number >= since))
        });
        for e in &mut rows {
            if e.event == "RiskAlertRaised"
                && let Some(fields) = e.fields.as_object_mut()
            {
                fields.remove("partner");
            }
        }
    }
    Ok(Json(rows.into_iter().map(event).collect()))
}

/// Case filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseFilter {
    /// Only cases about members of this branch (operators: their own branch only).
    pub branch: Option<u64>,
    /// Only cases in this state.
    #[param(schema_with = timebank_client::schema::case_status)]
    pub status: Option<CaseStatus>,
    /// Only cases that fired this rule (`large_amount`, `structuring`, ...).
    pub rule: Option<String>,
    /// `newest` (default), `oldest` first, or `score`: the highest score first (the risk
    /// agent's findings by theirs, a rule's case by what the monitor did), then the oldest.
    pub order: Option<CaseOrder>,
    /// The next page: cases after this case id, in the chosen order.
    pub after: Option<u64>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
}

/// The order of a list of cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseOrder {
    /// Newest first.
    Newest,
    /// Oldest first (an inbox).
    Oldest,
    /// The highest score first, then the oldest (an inbox by risk).
    Score,
}

/// Hold filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HoldFilter {
    /// Only holds in this state (`held`: coins still in escrow).
    #[param(schema_with = timebank_client::schema::hold_status)]
    pub status: Option<HoldStatus>,
    /// The next page: holds before this hold id (newest first).
    pub after: Option<u64>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
}

/// Coins in escrow and what became of them, newest first, with the case that decides each: for
/// supervisors, auditors and the admin. A hold no desk owns (held under a monitor since
/// replaced) has no case: a supervisor adopts it (`adopt_hold`). Nobody sees holds on their own
/// payments.
#[utoipa::path(get, path = "/v1/holds", tag = "cases", security(("session" = [])), params(HoldFilter),
    responses((status = 200, body = Vec<Hold>), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn holds(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(filter): Query<HoldFilter>,
) -> ApiResult<Json<Vec<Hold>>> {
    caller.require_any(
        &[Role::Supervisor, Role::Auditor, Role::Admin],
        "listing held coins",
    )?;
    let rows = state
        .store
        .holds(filter.status, filter.after, limit(filter.limit)?)
        .await?;
    Ok(Json(
        rows.into_iter()
            .filter(|h| h.sender != caller.address && h.recipient != caller.address)
            .map(|h| Hold {
                hold_id: h.hold_id,
                sender: h.sender,
                recipient: h.recipient,
                amount: h.amount,
                purpose: h.purpose,
                status: h.status,
                case_id: h.case_id,
                case_status: h.case_status,
                block_number: h.block_number,
                updated_at: iso(h.updated_at),
            })
            .collect(),
    ))
}

/// A case as the API shows it.
pub fn case(c: CaseDetail) -> Case {
    Case {
        case_id: c.case_id,
        kind: c.kind,
        account: c.account,
        home_branch: c.home_branch,
        counterparty: c.counterparty,
        rules: rule_names(c.rules),
        action: c.action,
        amount: c.amount,
        purpose: c.purpose,
        hold_id: c.hold_id,
        status: c.status,
        opened_by: c.opened_by,
        note_hash: c.note_hash,
        note: c.note,
        decided_by: c.decided_by,
        risk_level: c.risk_level,
        opened_block: c.opened_block,
        opened_at: iso(c.opened_at),
        block_number: c.block_number,
        updated_at: iso(c.updated_at),
        score: c.score,
    }
}

/// Supervision cases, newest (or oldest) first, a page at a time (`after` the last case id of
/// the previous page). Supervisors, auditors and the admin see every branch's;
/// operators see their own branch's. Nobody sees a case about them or with them as the other
/// side.
#[utoipa::path(get, path = "/v1/cases", tag = "cases", security(("session" = [])), params(CaseFilter),
    responses((status = 200, body = Vec<Case>), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn cases(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(filter): Query<CaseFilter>,
) -> ApiResult<Json<Vec<Case>>> {
    caller.require_any(
        &[Role::Supervisor, Role::Auditor, Role::Admin, Role::Operator],
        "listing cases",
    )?;
    let everything =
        caller.is(Role::Supervisor) || caller.is(Role::Auditor) || caller.is(Role::Admin);
    let branch = match (everything, filter.branch, caller.operator_branch) {
        (true, branch, _) => branch,
        (false, None, own) => own,
        (false, Some(b), Some(own)) if b == own => Some(b),
        (false, Some(b), _) => {
            return Err(ApiError::forbidden(format!(
                "operators see their own branch's cases, not branch {b}'s"
            )));
        }
    };
    let rule_bits = match &filter.rule {
        Some(name) => timebank_bindings::vocabulary::rule_bit(name)
            .map_err(|err| ApiError::bad_request(format!("`rule`: {err}")))?,
        None => 0,
    };
    let rows = state
        .store
        .cases(&CaseQuery {
            branch,
            status: filter.status,
            rule_bits,
            order: match filter.order {
                None | Some(CaseOrder::Newest) => timebank_indexer::query::CaseOrder::Newest,
                Some(CaseOrder::Oldest) => timebank_indexer::query::CaseOrder::Oldest,
                Some(CaseOrder::Score) => timebank_indexer::query::CaseOrder::Score,
            },
            after: filter.after,
            limit: limit(filter.limit)?,
            // Nobody reviews a case they are part of, about them or as the other side (as
            // holds and findings): staff who are also members don't see theirs.
            viewer: Some(caller.address),
        })
        .await?;
    Ok(Json(rows.into_iter().map(case).collect()))
}
