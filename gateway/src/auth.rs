//! Sign-In with Ethereum (EIP-4361): single-use nonces, signature and domain/URI/chain/time
//! checks, expiring bearer sessions. Nonces and sessions (the keccak256 of each token, never
//! the token) live in the branch database, so replicas behind a load balancer share them and a
//! restart signs no one out. The session names an address only; roles are read from chain
//! state on every request, so a revoked role stops working within a block.

use crate::{
    AppState,
    access::Caller,
    cache::Stamp,
    error::{ApiError, ApiResult, Json},
};
use alloy::primitives::{Address, B256, keccak256};
use axum::{
    extract::{ConnectInfo, FromRequestParts, State},
    http::{HeaderName, StatusCode, header::AUTHORIZATION, request::Parts},
};
use rand::RngCore;
use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    str::FromStr,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant, SystemTime},
};
pub use timebank_client::api::{LoginRequest, LoginResponse, Me, NonceResponse};
use timebank_indexer::Store;
use tokio::sync::broadcast;

/// How long an issued nonce stays usable.
const NONCE_TTL: Duration = Duration::from_secs(120);
/// Unused nonces one client (IP address: a branch office behind one NAT address is one
/// client) may hold at once.
const NONCES_PER_CLIENT: u64 = 20;
/// How long a session found in the database is trusted without asking again. Logging out at
/// this replica takes effect at once; at another replica of the branch, within this time.
const SESSION_RECHECK: Duration = Duration::from_secs(1);
/// Sessions remembered at most (a bound on memory; past it the memory starts over).
const MAX_REMEMBERED: usize = 100_000;

/// Sign-in and sessions.
#[derive(Debug)]
pub struct Auth {
    domain: String,
    uri: String,
    chain_id: u64,
    ttl: Duration,
    store: Store,
    /// The header a trusted proxy puts the client's address in, if any.
    client_ip_header: Option<HeaderName>,
    /// Sessions recently found in the database, by token hash, with when they were.
    recent: Mutex<HashMap<B256, (Session, Instant)>>,
    /// Sessions ended here: their live streams close.
    ended: broadcast::Sender<B256>,
}

/// A live session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    /// keccak256 of its bearer token.
    pub token_hash: B256,
    /// The wallet that signed in.
    pub address: Address,
    /// When it ends (unix seconds).
    pub expires_at: u64,
}

pub use timebank_indexer::unix_now;

impl Auth {
    /// Sessions for `domain` (reached at `uri`) on `chain_id`, lasting at most `ttl`, kept in
    /// `store`; clients are told apart by `client_ip_header` when a trusted proxy sets it.
    pub fn new(
        domain: String,
        uri: String,
        chain_id: u64,
        ttl: Duration,
        store: Store,
        client_ip_header: Option<HeaderName>,
    ) -> Self {
        Self {
            domain,
            uri,
            chain_id,
            ttl,
            store,
            client_ip_header,
            recent: Mutex::default(),
            ended: broadcast::channel(1024).0,
        }
    }

    async fn issue_nonce(&self, client: &str) -> ApiResult<(String, u64)> {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        let nonce = alloy::hex::encode(bytes);
        let now = unix_now();
        let expires = now + NONCE_TTL.as_secs();
        let issued = self
            .store
            .issue_sign_in_nonce(&nonce, client, now, expires, NONCES_PER_CLIENT)
            .await?;
        if !issued {
            return Err(ApiError::too_many(
                "rate_limited",
                format!(
                    "{client} holds {NONCES_PER_CLIENT} unused sign-in nonces: sign in with one, or \
                     wait for them to expire"
                ),
                NONCE_TTL,
            ));
        }
        Ok((nonce, expires))
    }

    async fn open(&self, address: Address, until: u64) -> ApiResult<(String, u64)> {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = format!("tb_{}", alloy::hex::encode(bytes));
        let now = unix_now();
        let expires = until.min(now + self.ttl.as_secs());
        self.store
            .open_session(keccak256(&token), address, now, expires)
            .await?;
        Ok((token, expires))
    }

    /// The live session of `token`, if any.
    pub async fn session(&self, token: &str) -> ApiResult<Option<Session>> {
        let token_hash = keccak256(token);
        let now = unix_now();
        if let Some((session, found)) = self.remembered().get(&token_hash).copied()
            && found.elapsed() < SESSION_RECHECK
        {
            return Ok((session.expires_at > now).then_some(session));
        }
        let session = self
            .store
            .session(token_hash, now)
            .await?
            .map(|row| Session {
                token_hash,
                address: row.address,
                expires_at: row.expires_at,
            });
        let mut recent = self.remembered();
        match session {
            Some(session) => {
                if recent.len() >= MAX_REMEMBERED {
                    recent.clear();
                }
                recent.insert(token_hash, (session, Instant::now()));
            }
            None => {
                recent.remove(&token_hash);
            }
        }
        Ok(session)
    }

    /// Whether the session is still live, asking the database (for a long-lived stream).
    pub async fn still_live(&self, session: &Session) -> ApiResult<bool> {
        let now = unix_now();
        Ok(
            session.expires_at > now
                && self.store.session(session.token_hash, now).await?.is_some(),
        )
    }

    async fn close(&self, session: &Session) -> ApiResult<()> {
        self.store.close_session(session.token_hash).await?;
        self.remembered().remove(&session.token_hash);
        // No stream open is fine.
        let _ = self.ended.send(session.token_hash);
        Ok(())
    }

    /// Sessions ending at this replica, as they end.
    pub fn ended(&self) -> broadcast::Receiver<B256> {
        self.ended.subscribe()
    }

    fn remembered(&self) -> std::sync::MutexGuard<'_, HashMap<B256, (Session, Instant)>> {
        self.recent.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The client as limits count it ([`client_key`]): with a trusted proxy's header, the
    /// address that proxy appended, else the connection's peer.
    fn client(&self, parts: &Parts) -> String {
        self.client_ip_header
            .as_ref()
            .and_then(|name| appended_address(&parts.headers, name))
            .or_else(|| {
                parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|c| c.0.ip())
            })
            .map_or_else(|| "unknown".to_owned(), client_key)
    }
}

/// The address the trusted proxy appended to header `name`: the last entry of the last such
/// header. Everything before it came from the client, who can write anything there. `None`
/// when it is not an address (with or without a port): the request is then counted as the
/// proxy's own.
fn appended_address(headers: &axum::http::HeaderMap, name: &HeaderName) -> Option<IpAddr> {
    let last = headers
        .get_all(name)
        .iter()
        .next_back()?
        .to_str()
        .ok()?
        .rsplit(',')
        .next()?
        .trim();
    last.parse::<IpAddr>()
        .ok()
        .or_else(|| last.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// How limits count a client's address: an IPv4 address as itself (also when mapped into
/// IPv6), an IPv6 address by its /64 — one subscriber's network, in which a client picks any
/// of 2^64 addresses at will.
fn client_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

fn rfc3339(unix: u64) -> String {
    crate::vocabulary::iso(unix)
}

/// The client asking, as [`Auth`] tells clients apart.
pub struct Client(String);

impl FromRequestParts<Arc<AppState>> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> ApiResult<Self> {
        Ok(Self(state.auth.client(parts)))
    }
}

/// Issue a sign-in nonce. A client holds a few unused ones at most (429 with `Retry-After`
/// beyond that); each works once, for two minutes.
#[utoipa::path(post, path = "/v1/auth/nonce", tag = "auth",
    responses((status = 200, body = NonceResponse), (status = 429, body = crate::error::ErrorBody)))]
pub async fn nonce(
    State(state): State<Arc<AppState>>,
    Client(client): Client,
) -> ApiResult<Json<NonceResponse>> {
    let (nonce, expires) = state.auth.issue_nonce(&client).await?;
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
    if !auth
        .store
        .take_sign_in_nonce(&message.nonce, unix_now())
        .await?
    {
        return Err(ApiError::unauthorized(
            "the nonce is unknown, used or expired: ask for a new one",
        ));
    }
    let address = Address::from(message.address);
    let until = u64::try_from(expiry.as_ref().unix_timestamp()).unwrap_or(0);
    let (token, expires) = auth.open(address, until).await?;
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
        roles: caller.roles.iter().copied().collect(),
        operator_branch: caller.operator_branch,
        home_branch: caller.home_branch,
        issuer_types: caller.issuer_types,
    })
}

/// End the session.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("session" = [])),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody)))]
pub async fn logout(State(state): State<Arc<AppState>>, session: Session) -> ApiResult<StatusCode> {
    state.auth.close(&session).await?;
    tracing::info!(address = %session.address, "signed out");
    Ok(StatusCode::NO_CONTENT)
}

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

/// The request's session: 401 without a bearer token, or when it is unknown or expired.
impl FromRequestParts<Arc<AppState>> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> ApiResult<Self> {
        let token = bearer(parts)?;
        state
            .auth
            .session(token)
            .await?
            .ok_or_else(|| ApiError::unauthorized("the session is unknown or expired: sign in"))
    }
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> ApiResult<Self> {
        // The head first: whatever is read after it is at least as new.
        let SignedIn { session, head } = SignedIn::from_request_parts(parts, state).await?;
        standing_at(state, session.address, head).await
    }
}

/// What the chain says of `address` at the index's `head` (shared by the requests at that
/// head); 503 when the index is too far behind the chain to trust its roles.
pub async fn standing_at(
    state: &AppState,
    address: Address,
    head: Option<timebank_indexer::query::Head>,
) -> ApiResult<Caller> {
    // Roles from an index that stopped could be roles revoked since.
    state.freshness.check(head.as_ref())?;
    // Kept across blocks until someone's standing changes: a block of payments alone does not
    // make anyone read their roles again.
    if let Some(head) = head
        && let Some(caller) = state.callers.get(Stamp::standing(&head), &address)
    {
        return Ok(Caller {
            head: Some(head),
            ..caller
        });
    }
    let standing = state.store.standing(address).await?;
    let caller = Caller::new(address, standing, head);
    if let Some(head) = &head {
        state
            .callers
            .insert(Stamp::standing(head), address, caller.clone());
    }
    Ok(caller)
}

/// A signed-in caller: the session and the index's head (read after the request arrived),
/// without the caller's standing.
pub struct SignedIn {
    /// The session.
    pub session: Session,
    /// The index's head, read after the request arrived.
    pub head: Option<timebank_indexer::query::Head>,
}

impl FromRequestParts<Arc<AppState>> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> ApiResult<Self> {
        let session = Session::from_request_parts(parts, state).await?;
        Ok(Self {
            session,
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

/// A caller who is a partner institution, checked before the request body is read.
pub struct PartnerCaller(pub Caller);

impl FromRequestParts<Arc<AppState>> for PartnerCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> ApiResult<Self> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require_any(&[crate::access::Role::Partner], "a partner's webhook")?;
        Ok(Self(caller))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue};

    fn forwarded(values: &[&str]) -> Option<IpAddr> {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        appended_address(&headers, &HeaderName::from_static("x-forwarded-for"))
    }

    #[test]
    fn the_client_is_the_address_the_proxy_appended() {
        let real: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(forwarded(&["198.51.100.7"]), Some(real));
        // The client writes its own header first; the proxy appends to it, on the same line or
        // on a line of its own.
        assert_eq!(forwarded(&["203.0.113.1, 198.51.100.7"]), Some(real));
        assert_eq!(forwarded(&["203.0.113.1", "198.51.100.7"]), Some(real));
        assert_eq!(
            forwarded(&["203.0.113.1", "10.0.0.1, 198.51.100.7"]),
            Some(real)
        );
        assert_eq!(
            forwarded(&["[2001:db8::1]:443"]),
            "2001:db8::1".parse().ok()
        );
        // Not an address where the proxy's should be: counted as the proxy's own request.
        assert_eq!(forwarded(&["198.51.100.7, unknown"]), None);
        assert_eq!(forwarded(&[]), None);
    }

    #[test]
    fn an_ipv6_client_is_its_64_and_an_ipv4_one_itself() {
        let key = |s: &str| client_key(s.parse().unwrap());
        assert_eq!(key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(key("198.51.100.7"), "198.51.100.7");
        assert_eq!(key("::ffff:198.51.100.7"), "198.51.100.7");
    }
}
