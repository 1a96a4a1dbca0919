//! Read endpoints over the branch's index: branches, members' public records, accounts' coins
//! and history, supervision cases. Who may call each is in `docs/api.md`.

use crate::{
    AppState,
    access::{Caller, Role},
    error::{ApiError, ApiResult, Json, Path, Query},
};
use alloy::primitives::{Address, B256};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use timebank_indexer::query::{BranchRow, CaseDetail, CredentialRow, HistoryEntry, PaymentRow};
use utoipa::{IntoParams, ToSchema};

/// Most rows a list returns.
const MAX_LIMIT: u32 = 1_000;

/// A branch.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Branch {
    /// Id (1-based).
    pub branch_id: u64,
    /// Name.
    pub name: String,
    /// Region.
    pub region: String,
    /// X25519 public key for member data packages, hex.
    pub public_key: String,
    /// Whether it may act.
    pub active: bool,
}

impl From<BranchRow> for Branch {
    fn from(b: BranchRow) -> Self {
        Self {
            branch_id: b.branch_id,
            name: b.name,
            region: b.region,
            public_key: b.public_key.to_string(),
            active: b.active,
        }
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
            .map(Branch::from)
            .collect(),
    ))
}

/// A member's public record: what every branch may see.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicMember {
    /// Wallet.
    #[schema(value_type = String)]
    pub account: Address,
    /// Stable id (kept across wallet recoveries).
    pub member_id: u64,
    /// Home branch.
    pub home_branch: u64,
    /// `pending`, `active`, `suspended` or `closed` (rejected members are closed).
    pub status: String,
    /// `none`, `low`, `medium`, `high` or `blocked`.
    pub risk: String,
    /// Profile version.
    pub profile_version: u64,
    /// Commitment to the current profile (its private data stays encrypted).
    #[schema(value_type = String)]
    pub commitment: B256,
    /// Branch asked to accept the member's move, or 0.
    pub pending_move_to: u64,
    /// Credentials and whether each is valid now.
    pub credentials: Vec<Credential>,
    /// Block of the last change.
    pub block_number: u64,
}

/// A credential's public part.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Credential {
    /// Type id.
    pub type_id: u64,
    /// Type name.
    pub type_name: String,
    /// `identity_check`, `licence`, `training` or `self_declared`.
    pub kind: String,
    /// Issuer.
    #[schema(value_type = String)]
    pub issuer: Address,
    /// Unix seconds.
    pub issued_at: u64,
    /// Unix seconds.
    pub expires_at: u64,
    /// Revoked by its issuer.
    pub revoked: bool,
    /// Not revoked and not expired at the last indexed block's time.
    pub valid: bool,
}

fn credential(c: CredentialRow, now: u64) -> Credential {
    Credential {
        valid: !c.revoked && c.expires_at > now,
        type_id: c.type_id,
        type_name: c.type_name,
        kind: label(&KINDS, c.kind),
        issuer: c.issuer,
        issued_at: c.issued_at,
        expires_at: c.expires_at,
        revoked: c.revoked,
    }
}

/// `Types.sol` enums as words (index = the contracts' value).
const STATUSES: [&str; 5] = ["none", "pending", "active", "suspended", "closed"];
const RISKS: [&str; 5] = ["none", "low", "medium", "high", "blocked"];
const KINDS: [&str; 4] = ["identity_check", "licence", "training", "self_declared"];
/// Payment purposes, in `Purpose` order.
pub const PURPOSES: [&str; 6] = [
    "activity_reward",
    "training_reward",
    "service_payment",
    "gift",
    "recovery",
    "redemption",
];
pub(crate) const ACTIONS: [&str; 4] = ["none", "flag", "hold", "block"];
const CASE_STATUSES: [&str; 4] = ["none", "open", "cleared", "confirmed"];

/// `names[value]`, or `unknown(value)`.
pub(crate) fn label(names: &[&str], value: u8) -> String {
    names
        .get(usize::from(value))
        .map_or_else(|| format!("unknown({value})"), |s| (*s).to_owned())
}

/// Parses an address from a path segment, saying what was wrong.
pub fn parse_address(text: &str) -> ApiResult<Address> {
    text.parse().map_err(|err| {
        ApiError::bad_request(format!(
            "`{text}` is not an address (0x and 40 hex digits): {err}"
        ))
    })
}

/// Seconds since the Unix epoch, by this machine's clock.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
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
    if let Some(head) = &caller.head
        && let Some(record) = state.members.get(head, &account)
    {
        return Ok(Json(record));
    }
    let m = member_or_404(&state, account).await?;
    // Validity as of the chain's time (the last indexed block), which is what contracts check.
    let now = caller.head.map_or_else(unix_now, |h| h.time);
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
        status: label(&STATUSES, m.status),
        risk: label(&RISKS, m.risk),
        profile_version: m.profile_version,
        commitment: m.commitment,
        pending_move_to: m.pending_move_to,
        credentials,
        block_number: m.block_number,
    };
    if let Some(head) = &caller.head {
        state.members.insert(head, account, record.clone());
    }
    Ok(Json(record))
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

/// A balance.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    /// Wallet.
    #[schema(value_type = String)]
    pub account: Address,
    /// Exact amount in TIME base units (18 decimals), decimal string.
    pub amount: String,
    /// Indexed up to this block.
    pub block_number: u64,
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
    /// Only this purpose: `activity_reward`, `training_reward`, `service_payment`, `gift`,
    /// `recovery` or `redemption`.
    pub purpose: Option<String>,
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

/// A coin movement.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// Block.
    pub block_number: u64,
    /// Transaction.
    #[schema(value_type = String)]
    pub tx_hash: B256,
    /// The ERC-20 Transfer log's index.
    pub log_index: u64,
    /// Sender (zero for a mint).
    #[schema(value_type = String)]
    pub sender: Address,
    /// Recipient (zero for a burn; the coin itself for held coins).
    #[schema(value_type = String)]
    pub recipient: Address,
    /// Exact amount in base units, decimal string.
    pub amount: String,
    /// Purpose.
    pub purpose: String,
    /// Reference (activity, service, ...).
    #[schema(value_type = String)]
    pub reference: B256,
}

impl From<PaymentRow> for Payment {
    fn from(p: PaymentRow) -> Self {
        Self {
            block_number: p.block_number,
            tx_hash: p.tx_hash,
            log_index: p.log_index,
            sender: p.sender,
            recipient: p.recipient,
            amount: p.amount,
            purpose: label(&PURPOSES, p.purpose),
            reference: p.reference,
        }
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
    let purpose = match filter.purpose.as_deref() {
        None => None,
        Some(p) => Some(
            PURPOSES
                .iter()
                .position(|name| *name == p)
                .and_then(|i| u8::try_from(i).ok())
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "`purpose` is {p:?}; it must be one of {}",
                        PURPOSES.join(", ")
                    ))
                })?,
        ),
    };
    let rows = state
        .store
        .payments(Some(account), purpose, limit(filter.limit)?)
        .await?;
    Ok(Json(rows.into_iter().map(Payment::from).collect()))
}

/// Page size.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
}

/// One event of an account's history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Block.
    pub block_number: u64,
    /// Log index.
    pub log_index: u64,
    /// Transaction.
    #[schema(value_type = String)]
    pub tx_hash: B256,
    /// Contract.
    pub contract: String,
    /// Event name.
    pub event: String,
    /// Decoded fields.
    pub fields: serde_json::Value,
}

impl From<HistoryEntry> for Event {
    fn from(e: HistoryEntry) -> Self {
        Self {
            block_number: e.block_number,
            log_index: e.log_index,
            tx_hash: e.tx_hash,
            contract: e.contract,
            event: e.event,
            fields: e.fields,
        }
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
    let rows = state.store.history(account, limit(page.limit)?).await?;
    Ok(Json(rows.into_iter().map(Event::from).collect()))
}

/// Case filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseFilter {
    /// Only cases about members of this branch (operators: their own branch only).
    pub branch: Option<u64>,
    /// `open`, `cleared` or `confirmed`.
    pub status: Option<String>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
}

/// A supervision case.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Case {
    /// Case id.
    pub case_id: u64,
    /// The member it is about.
    #[schema(value_type = String)]
    pub account: Address,
    /// The member's home branch (0 if not a member).
    pub home_branch: u64,
    /// The other side.
    #[schema(value_type = String)]
    pub counterparty: Address,
    /// The rules that fired, by name.
    pub rules: Vec<String>,
    /// `flag`, `hold` or `block`.
    pub action: String,
    /// Amount, base units.
    pub amount: String,
    /// Purpose.
    pub purpose: String,
    /// Hold id, or 0.
    pub hold_id: u64,
    /// `open`, `cleared` or `confirmed`.
    pub status: String,
    /// Hash of the decision's note.
    #[schema(value_type = Option<String>)]
    pub note_hash: Option<B256>,
    /// The note's text, when it was written through this branch's gateway (it stays off chain).
    pub note: Option<String>,
    /// Who decided.
    #[schema(value_type = Option<String>)]
    pub decided_by: Option<Address>,
    /// Risk level set with the decision.
    pub risk_level: Option<String>,
    /// Block it opened in.
    pub opened_block: u64,
    /// Block of its last change.
    pub block_number: u64,
}

/// Monitoring rule names, by rule id (1-based; `MonitorRules.sol`).
pub const RULES: [&str; 8] = [
    "large_amount",
    "velocity",
    "volume",
    "structuring",
    "round_trip",
    "new_account",
    "risky_counterparty",
    "dormant_reactivation",
];

/// The names of the rules set in `bits` (bit `id - 1` for rule `id`).
pub fn rule_names(bits: u64) -> Vec<String> {
    RULES
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, n)| (*n).to_owned())
        .collect()
}

impl From<CaseDetail> for Case {
    fn from(c: CaseDetail) -> Self {
        Self {
            case_id: c.case_id,
            account: c.account,
            home_branch: c.home_branch,
            counterparty: c.counterparty,
            rules: rule_names(c.rules),
            action: label(&ACTIONS, c.action),
            amount: c.amount,
            purpose: label(&PURPOSES, c.purpose),
            hold_id: c.hold_id,
            status: label(&CASE_STATUSES, c.status),
            note_hash: c.note_hash,
            note: None,
            decided_by: c.decided_by,
            risk_level: c.risk_level.map(|r| label(&RISKS, r)),
            opened_block: c.opened_block,
            block_number: c.block_number,
        }
    }
}

/// Supervision cases, newest first. Supervisors, auditors and the admin see every branch's;
/// operators see their own branch's.
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
    let status = match filter.status.as_deref() {
        None => None,
        Some(s) => Some(
            CASE_STATUSES
                .iter()
                .skip(1)
                .position(|name| *name == s)
                .and_then(|i| u8::try_from(i + 1).ok())
                .ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "`status` is {s:?}; it must be open, cleared or confirmed"
                    ))
                })?,
        ),
    };
    let rows = state
        .store
        .cases(branch, status, limit(filter.limit)?)
        .await?;
    let mut cases: Vec<Case> = rows.into_iter().map(Case::from).collect();
    for case in &mut cases {
        if let Some(hash) = case.note_hash {
            case.note = sqlx::query_scalar::<_, String>("SELECT text FROM note WHERE hash = $1")
                .bind(hash.to_vec())
                .fetch_optional(state.store.pool())
                .await
                .map_err(|err| ApiError::internal("reading notes", err))?;
        }
    }
    Ok(Json(cases))
}
