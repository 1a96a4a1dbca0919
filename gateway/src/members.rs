//! Member profiles: sealing a profile for the chain, reading it back (only the member, operators
//! of the member's home branch and supervisors, each read written to the access log), verifying
//! a presented profile against the commitment, the access log itself, and a branch audit.

use crate::{
    AppState,
    access::{Caller, Role},
    api::{limit, member_or_404, parse_address},
    auth::{OperatorCaller, unix_now},
    error::{ApiError, ApiResult, Json, Path, Query},
    privacy::{self, PrivacyError},
    uniqueness,
    vocabulary::iso,
};
use alloy::sol_types::SolCall;
use axum::extract::State;
use serde::Deserialize;
use std::sync::Arc;
use timebank_bindings::{IdentityRegistry, TimeCoin};
pub use timebank_client::api::{
    AccessEntry, AuditReport, PackageRequest, PrivateProfile, ProfileAction, Sealed, Verified,
};
use timebank_indexer::query::gateway::AccessRecord;
use utoipa::{IntoParams, ToSchema};

impl From<PrivacyError> for ApiError {
    fn from(err: PrivacyError) -> Self {
        match err {
            PrivacyError::Profile(message) => ApiError::bad_request(message),
            PrivacyError::Package(_) => ApiError::unprocessable("package", err.to_string()),
        }
    }
}

/// This gateway's recipient id in packages.
pub(crate) fn kid(branch_id: u64) -> String {
    format!("branch:{branch_id}")
}

/// Seal a profile for the chain (operators). Nothing is sent: the operator signs the returned
/// call and relays it.
#[utoipa::path(post, path = "/v1/members/package", tag = "members", security(("session" = [])),
    request_body = PackageRequest,
    responses((status = 200, body = Sealed), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn package(
    State(state): State<Arc<AppState>>,
    OperatorCaller(caller): OperatorCaller,
    Json(req): Json<PackageRequest>,
) -> ApiResult<Json<Sealed>> {
    let branch = caller.operator_branch.unwrap_or_default();
    let (profile, canonical) = privacy::prepare(req.profile)?;
    // A mistyped document number is refused before anything is sealed or sent.
    let document = uniqueness::document(&profile).map_err(|err| ApiError::bad_request(err.0))?;
    let commitment = privacy::commitment(&canonical);
    let mut recipients: Vec<(String, [u8; 32])> = Vec::new();
    for b in state.store.branches().await? {
        match <[u8; 32]>::try_from(b.public_key.as_ref()) {
            Ok(key) if b.active => recipients.push((kid(b.branch_id), key)),
            Ok(_) => {}
            Err(_) => tracing::warn!(branch = b.branch_id, "branch public key is not 32 bytes"),
        }
    }
    if let Some(key) = state.supervisors_key {
        recipients.push(("supervisors".into(), key));
    }
    let encrypted = privacy::seal(&canonical, commitment, &recipients)?;
    let data = match req.action {
        ProfileAction::Submit => {
            let service = state.uniqueness.as_ref().ok_or_else(|| {
                ApiError::unavailable(
                    "member submissions",
                    "this gateway holds no uniqueness share (--uniqueness-share-file)",
                )
            })?;
            // Said in words before the operator signs; the key itself is never shown: this
            // gateway binds it once the submission lands.
            service
                .check_submission(&state, &caller, req.account, &document)
                .await?;
            IdentityRegistry::submitMemberCall {
                account: req.account,
                branchId: u32::try_from(branch)
                    .map_err(|err| ApiError::internal("the operator's branch id", err))?,
                commitment,
                encryptedData: encrypted.clone().into(),
            }
            .abi_encode()
        }
        ProfileAction::Update => IdentityRegistry::updateProfileCall {
            account: req.account,
            commitment,
            encryptedData: encrypted.clone().into(),
        }
        .abi_encode(),
    };
    Ok(Json(Sealed {
        profile,
        commitment,
        encrypted_data: encrypted.into(),
        recipients: recipients.into_iter().map(|(k, _)| k).collect(),
        to: state.deployment.contracts.identity_registry,
        data: data.into(),
    }))
}

/// Why a profile is read.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadReason {
    /// Why (at least 5 characters; written to the access log). Optional for the member.
    pub reason: Option<String>,
}

/// A member's decrypted profile: the member, operators of the member's home branch and
/// supervisors only; every read is written to the access log.
#[utoipa::path(get, path = "/v1/members/{address}/profile", tag = "members", security(("session" = [])),
    params(("address" = String, Path, description = "The member's wallet"), ReadReason),
    responses((status = 200, body = PrivateProfile), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn profile(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(address): Path<String>,
    Query(why): Query<ReadReason>,
) -> ApiResult<Json<PrivateProfile>> {
    let account = parse_address(&address)?;
    let member = member_or_404(&state, account).await?;
    let own = caller.address == account;
    let home_operator = caller.operator_branch == Some(member.home_branch);
    if !(own || home_operator || caller.is(Role::Supervisor)) {
        return Err(ApiError::forbidden(
            "a private profile is for the member, operators of the member's home branch and \
             supervisors",
        ));
    }
    let reason = why.reason.unwrap_or_default();
    if !own && reason.trim().len() < 5 {
        return Err(ApiError::bad_request(
            "say why you read this profile: `reason` (at least 5 characters) goes to the access log",
        ));
    }
    let key = state.branch_key.as_ref().ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "this gateway has no branch key (--branch-key-file) to open profiles",
        )
    })?;
    let (version, commitment, package) = state
        .store
        .profile_package(member.member_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("{account} has no profile yet")))?;
    let canonical = key.open(&package, commitment, &kid(state.branch_id.into()))?;
    let profile: serde_json::Value = serde_json::from_slice(&canonical)
        .map_err(|err| ApiError::internal("reading a decrypted profile", err))?;
    let roles = caller.roles_text();
    state
        .store
        .record_access(&AccessRecord {
            at: unix_now(),
            reader: caller.address,
            reader_roles: if own { format!("self,{roles}") } else { roles },
            account,
            member_id: member.member_id,
            profile_version: version,
            reason: if reason.is_empty() {
                "own profile".to_owned()
            } else {
                reason
            },
            gateway_branch: state.branch_id.into(),
        })
        .await?;
    Ok(Json(PrivateProfile {
        account,
        member_id: member.member_id,
        version,
        commitment,
        profile,
    }))
}

/// A profile a member presents.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Presented {
    /// The profile exactly as sealed (with its salt).
    pub profile: serde_json::Value,
}

/// Check a profile a member presents against the on-chain commitment, revealing nothing else.
#[utoipa::path(post, path = "/v1/members/{address}/verify", tag = "members", security(("session" = [])),
    params(("address" = String, Path, description = "The member's wallet")), request_body = Presented,
    responses((status = 200, body = Verified), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn verify(
    State(state): State<Arc<AppState>>,
    _caller: Caller,
    Path(address): Path<String>,
    Json(presented): Json<Presented>,
) -> ApiResult<Json<Verified>> {
    let account = parse_address(&address)?;
    let member = member_or_404(&state, account).await?;
    let canonical = privacy::canonical(&presented.profile)?;
    Ok(Json(Verified {
        matches: privacy::commitment(&canonical) == member.commitment,
        version: member.profile_version,
    }))
}

/// Access log filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AccessFilter {
    /// Only reads of this member's profile.
    pub account: Option<String>,
    /// At most this many, newest first (1–1000, default 100).
    pub limit: Option<u32>,
}

/// The access log of private profile reads at this branch's gateway (auditors and the admin).
#[utoipa::path(get, path = "/v1/access-log", tag = "members", security(("session" = [])),
    params(AccessFilter),
    responses((status = 200, body = Vec<AccessEntry>), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn access_log(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(filter): Query<AccessFilter>,
) -> ApiResult<Json<Vec<AccessEntry>>> {
    caller.require_any(&[Role::Auditor, Role::Admin], "reading the access log")?;
    let account = filter.account.as_deref().map(parse_address).transpose()?;
    let limit = limit(filter.limit)?;
    let rows = state.store.access_log(account, limit).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AccessEntry {
                at: iso(r.at),
                reader: r.reader,
                reader_roles: r.reader_roles,
                account: r.account,
                member_id: r.member_id,
                profile_version: r.profile_version,
                reason: r.reason,
                gateway_branch: r.gateway_branch,
            })
            .collect(),
    ))
}

/// Audit scope.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditScope {
    /// The branch whose members to check [default: this gateway's].
    pub branch: Option<u64>,
}

/// Audit a branch: every member's package opens with this gateway's key, matches its
/// commitment and has the required fields; the database's member records and balances equal
/// the contracts' at the index's checkpoint block.
#[utoipa::path(get, path = "/v1/audit", tag = "members", security(("session" = [])), params(AuditScope),
    responses((status = 200, body = AuditReport), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody)))]
pub async fn audit(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(scope): Query<AuditScope>,
) -> ApiResult<Json<AuditReport>> {
    caller.require_any(&[Role::Auditor, Role::Supervisor, Role::Admin], "an audit")?;
    let branch = scope.branch.unwrap_or(state.branch_id.into());
    let block = state
        .store
        .checkpoint()
        .await?
        .map(|(n, _)| n)
        .ok_or_else(|| ApiError::unavailable("the index", "no checkpoint yet"))?;
    let identity = IdentityRegistry::new(
        state.deployment.contracts.identity_registry,
        &state.provider,
    );
    let coin = TimeCoin::new(state.deployment.contracts.time_coin, &state.provider);
    let mut report = AuditReport {
        branch,
        block_number: block,
        members: 0,
        packages_ok: 0,
        records_ok: 0,
        problems: Vec::new(),
    };
    for m in state.store.members_of(branch).await? {
        report.members += 1;
        let who = m.account;
        // The package.
        let package = match &state.branch_key {
            None => Err("this gateway has no branch key".to_owned()),
            Some(key) => match open_for_audit(
                &state,
                &caller,
                &m,
                key,
                format!("audit of branch {branch}"),
            )
            .await?
            {
                None => Err("no profile published".to_owned()),
                Some(opened) => opened.map_err(|e| e.to_string()).and_then(|canonical| {
                    let profile: serde_json::Value =
                        serde_json::from_slice(&canonical).map_err(|e| e.to_string())?;
                    match privacy::REQUIRED_FIELDS.iter().find(|f| {
                        profile
                            .get(**f)
                            .and_then(|v| v.as_str())
                            .is_none_or(str::is_empty)
                    }) {
                        Some(missing) => Err(format!("the profile lacks `{missing}`")),
                        None => Ok(()),
                    }
                }),
            },
        };
        match package {
            Ok(()) => report.packages_ok += 1,
            Err(problem) => report.problems.push(format!("{who}: {problem}")),
        }
        // The record and balance against the contracts at the checkpoint block.
        let at = alloy::eips::BlockId::number(block);
        let chain = identity
            .member(who)
            .block(at)
            .call()
            .await
            .map_err(|err| ApiError::unavailable("the node", err))?;
        let balance = coin
            .balanceOf(who)
            .block(at)
            .call()
            .await
            .map_err(|err| ApiError::unavailable("the node", err))?;
        let indexed_balance = state.store.balance_at(who, block).await?;
        let mut differences = Vec::new();
        if u64::from(chain.homeBranch) != m.home_branch {
            differences.push("home branch");
        }
        if chain.status != u8::from(m.status) {
            differences.push("status");
        }
        if chain.risk != u8::from(m.risk) {
            differences.push("risk");
        }
        if chain.profileCommitment != m.commitment {
            differences.push("commitment");
        }
        if balance.to_string() != indexed_balance {
            differences.push("balance");
        }
        if differences.is_empty() {
            report.records_ok += 1;
        } else {
            report.problems.push(format!(
                "{who}: the database differs from the chain at block {block} in {}",
                differences.join(", ")
            ));
        }
    }
    Ok(Json(report))
}

/// Check every member's uniqueness key against their identity document (supervisors, auditors,
/// the admin): members whose documents give one key (suspected duplicates), members whose key
/// on chain is not their document's key under the current secret (to rekey after a rotation),
/// and profiles this gateway can't open. Every profile opened is a logged read.
#[utoipa::path(get, path = "/v1/audit/uniqueness", tag = "members", security(("session" = [])),
    responses((status = 200, body = uniqueness::UniquenessAudit),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 503, body = crate::error::ErrorBody)))]
pub async fn uniqueness_audit(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<uniqueness::UniquenessAudit>> {
    use uniqueness::KeyedMember;
    caller.require_any(
        &[Role::Auditor, Role::Supervisor, Role::Admin],
        "a uniqueness audit",
    )?;
    let (Some(service), Some(branch_key)) = (&state.uniqueness, &state.branch_key) else {
        return Err(ApiError::unavailable(
            "the uniqueness audit",
            "this gateway holds no uniqueness share or no branch key",
        ));
    };
    let registry = IdentityRegistry::new(
        state.deployment.contracts.identity_registry,
        &state.provider,
    );
    let mut audit = uniqueness::UniquenessAudit {
        members: 0,
        opened: 0,
        shared: Vec::new(),
        stale: Vec::new(),
        unreadable: Vec::new(),
    };
    // Every profile opened first (each read logged), then their documents keyed in batches.
    let mut keyed: Vec<(KeyedMember, timebank_bindings::types::MemberStatus)> = Vec::new();
    let mut documents = Vec::new();
    for branch in state.store.branches().await? {
        for m in state.store.members_of(branch.branch_id).await? {
            audit.members += 1;
            let mut entry = KeyedMember {
                account: m.account,
                member_id: m.member_id,
                home_branch: m.home_branch,
                key: None,
                why: None,
            };
            let canonical =
                match open_for_audit(&state, &caller, &m, branch_key, "uniqueness audit".into())
                    .await?
                {
                    None => {
                        entry.why = Some("no profile published".into());
                        audit.unreadable.push(entry);
                        continue;
                    }
                    Some(Err(err)) => {
                        entry.why = Some(format!("the profile does not open here: {err}"));
                        audit.unreadable.push(entry);
                        continue;
                    }
                    Some(Ok(canonical)) => canonical,
                };
            audit.opened += 1;
            let document = serde_json::from_slice::<serde_json::Value>(&canonical)
                .map_err(|err| err.to_string())
                .and_then(|p| uniqueness::document(&p).map_err(|err| err.0));
            match document {
                Ok(document) => {
                    documents.push(document);
                    keyed.push((entry, m.status));
                }
                Err(why) => {
                    entry.why = Some(why);
                    audit.unreadable.push(entry);
                }
            }
        }
    }
    let keys = service
        .keys(
            &state,
            &documents,
            false,
            uniqueness::Purpose::Audit,
            caller.address,
        )
        .await?;
    let mut by_key: std::collections::BTreeMap<alloy::primitives::B256, Vec<KeyedMember>> =
        Default::default();
    for ((mut entry, status), key) in keyed.into_iter().zip(keys) {
        let on_chain = registry
            .uniquenessKeyOf(entry.account)
            .call()
            .await
            .map_err(|err| ApiError::unavailable("the node", err))?;
        // A closed membership holds its key or had it released on purpose.
        if on_chain != key && status != timebank_bindings::types::MemberStatus::Closed {
            let mut stale = entry.clone();
            stale.key = Some(key);
            stale.why = Some(if on_chain.is_zero() {
                "no key on chain".into()
            } else {
                "the key on chain is not under the current uniqueness epoch".into()
            });
            audit.stale.push(stale);
        }
        entry.why = None;
        by_key.entry(key).or_default().push(entry);
    }
    audit.shared = by_key
        .into_values()
        .filter(|group| group.len() > 1)
        .collect();
    Ok(Json(audit))
}

/// Opens `member`'s current profile with this branch's `key` for an audit: `None` when none was
/// published. An audit decrypts, so each profile it opens is logged as a read like any other,
/// with `reason`.
async fn open_for_audit(
    state: &AppState,
    caller: &Caller,
    member: &timebank_indexer::query::MemberRow,
    key: &privacy::BranchKeys,
    reason: String,
) -> ApiResult<Option<Result<Vec<u8>, PrivacyError>>> {
    let Some((version, commitment, package)) =
        state.store.profile_package(member.member_id).await?
    else {
        return Ok(None);
    };
    let opened = key.open(&package, commitment, &kid(state.branch_id.into()));
    if opened.is_ok() {
        state
            .store
            .record_access(&AccessRecord {
                at: unix_now(),
                reader: caller.address,
                reader_roles: caller.roles_text(),
                account: member.account,
                member_id: member.member_id,
                profile_version: version,
                reason,
                gateway_branch: state.branch_id.into(),
            })
            .await?;
    }
    Ok(Some(opened))
}
