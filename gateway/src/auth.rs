//! Sign-In with Ethereum (EIP-4361): single-use nonces, signature and domain/chain/time checks,
//! expiring bearer sessions. The session names an address only; roles are read from chain state
//! on every request, so a revoked role stops working within a block.

use crate::{
    AppState,
    access::Caller,
    error::{ApiError, ApiResult, Json},
};
use alloy::primitives::{Address, B256, keccak256};
use axum::{
    extract::{FromRequestParts, State},
    http::{StatusCode, header::AUTHORIZATION, request::Parts},
};
use rand::RngCore;
use std::{
    collections::HashMap,
    str::FromStr,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
pub use timebank_client::api::{LoginRequest, LoginResponse, Me, NonceResponse};

/// How long an issued nonce stays usable.
const NONCE_TTL: Duration = Duration::from_secs(300);
/// Outstanding nonces at most (each sign-in attempt holds one for `NONCE_TTL`).
const MAX_NONCES: usize = 100_000;

/// Nonces and sessions, in memory: a restarted gateway asks everyone to sign in again.
#[derive(Debug)]
pub struct Auth {
    domain: String,
    uri: String,
    chain_id: u64,
    ttl: Duration,
    nonces: Mutex<HashMap<String, SystemTime>>,
    /// keccak256 of the token → session; the token itself is never stored.
    sessions: Mutex<HashMap<B256, Session>>,
}

#[derive(Debug, Clone, Copy)]
struct Session {
    address: Address,
    expires: SystemTime,
}

impl Auth {
    /// Sessions for `domain` (reached at `uri`) on `chain_id`, lasting at most `ttl`.
    pub fn new(domain: String, uri: String, chain_id: u64, ttl: Duration) -> Self {
        Self {
            domain,
            uri,
            chain_id,
            ttl,
            nonces: Mutex::default(),
            sessions: Mutex::default(),
        }
    }

    fn issue_nonce(&self) -> ApiResult<(String, SystemTime)> {
        let now = SystemTime::now();
        let mut nonces = self.nonces.lock().unwrap_or_else(|e| e.into_inner());
        nonces.retain(|_, expires| *expires > now);
        if nonces.len() >= MAX_NONCES {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "too many sign-ins in progress; try again in a few minutes",
            ));
        }
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        let nonce = alloy::hex::encode(bytes);
        let expires = now + NONCE_TTL;
        nonces.insert(nonce.clone(), expires);
        Ok((nonce, expires))
    }

    /// Consumes `nonce`: true once for each nonce issued and not yet expired.
    fn take_nonce(&self, nonce: &str) -> bool {
        let mut nonces = self.nonces.lock().unwrap_or_else(|e| e.into_inner());
        matches!(nonces.remove(nonce), Some(expires) if expires > SystemTime::now())
    }

    fn open(&self, address: Address, until: SystemTime) -> (String, SystemTime) {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = format!("tb_{}", alloy::hex::encode(bytes));
        let expires = until.min(SystemTime::now() + self.ttl);
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let now = SystemTime::now();
        sessions.retain(|_, s| s.expires > now);
        sessions.insert(keccak256(&token), Session { address, expires });
        (token, expires)
    }

    fn session(&self, token: &str) -> Option<Session> {
        let sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions
            .get(&keccak256(token))
            .copied()
            .filter(|s| s.expires > SystemTime::now())
    }

    fn close(&self, token: &str) {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        sessions.remove(&keccak256(token));
    }
}

fn rfc3339(t: SystemTime) -> String {
    OffsetDateTime::from(t).format(&Rfc3339).unwrap_or_default()
}

/// Issue a sign-in nonce.
#[utoipa::path(post, path = "/v1/auth/nonce", tag = "auth",
    responses((status = 200, body = NonceResponse), (status = 503, body = crate::error::ErrorBody)))]
pub async fn nonce(State(state): State<Arc<AppState>>) -> ApiResult<Json<NonceResponse>> {
    let (nonce, expires) = state.auth.issue_nonce()?;
    Ok(Json(NonceResponse {
        nonce,
        domain: state.auth.domain.clone(),
        uri: state.auth.uri.clone(),
        chain_id: state.auth.chain_id,
        expires_at: rfc3339(expires),
    }))
}

/// Sign in with a signed EIP-4361 message.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody)))]
pub async fn login(
    State(state): State<Arc<AppState>>,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Json<LoginResponse>> {
    let auth = &state.auth;
    let message = siwe::Message::from_str(&req.message).map_err(|err| {
        ApiError::bad_request(format!("`message` is not an EIP-4361 message: {err}"))
    })?;
    let signature = alloy::hex::decode(req.signature.trim())
        .map_err(|err| ApiError::bad_request(format!("`signature` is not hex: {err}")))?;
    if signature.len() != 65 {
        return Err(ApiError::bad_request(format!(
            "`signature` has {} bytes; an EIP-191 signature has 65",
            signature.len()
        )));
    }
    if message.domain.as_str() != auth.domain {
        return Err(ApiError::unauthorized(format!(
            "the message is for domain {}; this gateway is {}",
            message.domain, auth.domain
        )));
    }
    if message.uri.as_str().trim_end_matches('/') != auth.uri {
        return Err(ApiError::unauthorized(format!(
            "the message is for {}; this gateway is {}",
            message.uri, auth.uri
        )));
    }
    // Issued in the future (beyond a clock's drift) is a message made for later.
    let issued = SystemTime::from(message.issued_at.as_ref().to_owned());
    if issued > SystemTime::now() + Duration::from_secs(60) {
        return Err(ApiError::unauthorized(
            "the message's Issued At is in the future",
        ));
    }
    if message.chain_id != auth.chain_id {
        return Err(ApiError::unauthorized(format!(
            "the message is for chain {}; this gateway serves chain {}",
            message.chain_id, auth.chain_id
        )));
    }
    let Some(expiry) = &message.expiration_time else {
        return Err(ApiError::bad_request(
            "the message needs an Expiration Time",
        ));
    };
    if !message.valid_now() {
        return Err(ApiError::unauthorized(
            "the message has expired or is not valid yet",
        ));
    }
    // Signature before the nonce: a forged message must not burn someone's nonce.
    let signature: [u8; 65] = signature.try_into().unwrap_or([0; 65]);
    message.verify_eip191(&signature).map_err(|_| {
        ApiError::unauthorized(format!(
            "the signature is not {}'s over this message",
            Address::from(message.address)
        ))
    })?;
    if !auth.take_nonce(&message.nonce) {
        return Err(ApiError::unauthorized(
            "the nonce is unknown, used or expired: ask for a new one",
        ));
    }
    let address = Address::from(message.address);
    let until: SystemTime = expiry.as_ref().to_owned().into();
    let (token, expires) = auth.open(address, until);
    tracing::info!(%address, "signed in");
    Ok(Json(LoginResponse {
        token,
        address,
        expires_at: rfc3339(expires),
    }))
}

/// The caller's roles, from chain state.
#[utoipa::path(get, path = "/v1/auth/me", tag = "auth", security(("session" = [])),
    responses((status = 200, body = Me), (status = 401, body = crate::error::ErrorBody)))]
pub async fn me(caller: Caller) -> Json<Me> {
    Json(Me {
        address: caller.address,
        roles: caller
            .roles
            .iter()
            .filter_map(|r| serde_json::to_value(r).ok())
            .filter_map(|r| r.as_str().map(str::to_owned))
            .collect(),
        operator_branch: caller.operator_branch,
        home_branch: caller.home_branch,
        issuer_types: caller.issuer_types,
    })
}

/// End the session.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("session" = [])),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody)))]
pub async fn logout(State(state): State<Arc<AppState>>, parts: BearerToken) -> StatusCode {
    state.auth.close(&parts.0);
    StatusCode::NO_CONTENT
}

/// The bearer token of a live session.
pub struct BearerToken(String);

fn bearer(parts: &Parts) -> ApiResult<&str> {
    let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthorized("sign in first: send `Authorization: Bearer <token>`")
    })?;
    header
        .to_str()
        .ok()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or_else(|| ApiError::unauthorized("the Authorization header is not `Bearer <token>`"))
}

/// The request's bearer token and its session: 401 without one, or when it is unknown or expired.
fn live_session<'a>(parts: &'a Parts, state: &AppState) -> ApiResult<(&'a str, Session)> {
    let token = bearer(parts)?;
    let session = state
        .auth
        .session(token)
        .ok_or_else(|| ApiError::unauthorized("the session is unknown or expired: sign in"))?;
    Ok((token, session))
}

impl FromRequestParts<Arc<AppState>> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> ApiResult<Self> {
        let (token, _) = live_session(parts, state)?;
        Ok(Self(token.to_owned()))
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> ApiResult<Self> {
        // The head first: whatever is read after it is at least as new.
        let SignedIn { address, head } = SignedIn::from_request_parts(parts, state).await?;
        if let Some(head) = &head
            && let Some(caller) = state.callers.get(head, &address)
        {
            return Ok(caller);
        }
        let standing = state.store.standing(address).await?;
        let caller = Caller::new(address, standing, head);
        if let Some(head) = &head {
            state.callers.insert(head, address, caller.clone());
        }
        Ok(caller)
    }
}

/// A signed-in caller on an endpoint open to every role, whose contracts check the roles
/// themselves (the relay): the wallet and the index's head, without reading the caller's
/// standing.
pub struct SignedIn {
    /// The wallet that signed in.
    pub address: Address,
    /// The index's head, read after the request arrived.
    pub head: Option<timebank_indexer::query::Head>,
}

impl FromRequestParts<Arc<AppState>> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> ApiResult<Self> {
        let (_, session) = live_session(parts, state)?;
        Ok(Self {
            address: session.address,
            head: state.heads.read(&state.store).await?,
        })
    }
}

/// A caller who is an operator, checked before the request body is read (so that a caller who
/// may not call an endpoint learns nothing about what its body should be).
pub struct OperatorCaller(pub Caller);

impl FromRequestParts<Arc<AppState>> for OperatorCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> ApiResult<Self> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require_any(&[crate::access::Role::Operator], "this endpoint")?;
        Ok(Self(caller))
    }
}
