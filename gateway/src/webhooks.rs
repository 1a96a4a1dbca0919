//! Warnings back to partner institutions. A member consents on chain
//! (`IdentityRegistry.setPartnerConsent`); the indexer writes a message for each consenting
//! partner when the member's risk level or status changes or a case about them is decided, in
//! the same transaction as the event (the outbox). This module registers where a partner
//! receives, delivers the messages as Standard Webhooks (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature`: HMAC-SHA256 with the partner's secret), retries with exponential backoff,
//! gives up after a number of attempts (the dead-letter list) and sends again on request.
//!
//! Delivery is at least once, under a stable id per message: a message is marked delivered
//! after the partner's 2xx, so a gateway that dies between the two sends it again, under the
//! same id. Nothing is lost: a message stays in the outbox until delivered or given up on.
//!
//! # Layout
//! - [`destination`]: which addresses a webhook may go to (public unicast only), checked at
//!   registration and, as the delivery client's resolver, at every delivery
//! - [`delivery`]: the worker that signs, posts, retries and gives up
//! - [`sealed`]: partners' signing secrets encrypted at rest under the branch key

use crate::{
    AppState,
    access::{Caller, Role},
    api::limit,
    auth::PartnerCaller,
    auth::unix_now,
    error::{ApiError, ApiResult, Json, Path, Query},
    vocabulary::iso,
};
use alloy::primitives::{Address, B256};
use axum::{extract::State, http::StatusCode};
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::{sync::Arc, time::Duration};
use timebank_indexer::query::gateway::{Delivery, MessageRow, Redelivery};
use utoipa::{IntoParams, ToSchema};

pub mod delivery;
pub mod destination;
pub mod sealed;

pub use delivery::deliver;

/// How long the previous secret keeps signing after a rotation.
const ROTATION_OVERLAP_SECS: u64 = 86_400;

/// Partners' webhooks: how they are delivered and where they may go.
#[derive(Debug, Clone)]
pub struct Webhooks {
    /// Retries, timeouts, schemes.
    pub policy: DeliveryPolicy,
    /// Which addresses endpoints may be at (and the delivery client's resolver).
    pub destinations: destination::Destinations,
    /// Seals partners' secrets at rest (none without a branch key: no endpoints then).
    pub secrets: Option<sealed::SecretBox>,
}

impl Webhooks {
    /// The sealer, or 503 on a gateway without a branch key.
    fn secrets(&self) -> ApiResult<&sealed::SecretBox> {
        self.secrets.as_ref().ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no_branch_key",
                "this gateway keeps partners' secrets sealed under its branch key and has none \
                 (--branch-key-file)",
            )
        })
    }
}

/// How the worker delivers.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryPolicy {
    /// Wait before the first retry; doubled after each failure (at most six hours).
    pub retry_base: Duration,
    /// Attempts before giving up (then on the dead-letter list).
    pub max_attempts: u64,
    /// One attempt's timeout.
    pub timeout: Duration,
    /// Whether `http://` endpoints are allowed (development only).
    pub allow_http: bool,
}

/// Where a partner receives, as it asks.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointRequest {
    /// An `https://` URL whose host is, or resolves only to, public addresses.
    pub url: String,
}

/// A partner's endpoint. The secret is shown when it is created or rotated, never again.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// Where messages go.
    pub url: String,
    /// The signing secret (`whsec_…`), when it was just made.
    pub secret: Option<String>,
    /// Until when the previous secret also signs (ISO 8601), after a rotation.
    pub previous_secret_until: Option<String>,
}

/// A message to a partner, with how its delivery went.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The Standard Webhooks `webhook-id`: stable across attempts.
    pub id: String,
    /// The partner.
    #[schema(value_type = String)]
    pub partner: Address,
    /// What happened: `member.risk_changed`, `member.status_changed`, `case.decided`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened on chain (ISO 8601).
    pub timestamp: String,
    /// The event's block.
    pub block_number: u64,
    /// Its public fields.
    pub data: serde_json::Value,
    /// Attempts so far.
    pub attempts: u64,
    /// When it was delivered (ISO 8601), if it was.
    pub delivered_at: Option<String>,
    /// Given up on (redeliver it on request).
    pub dead: bool,
    /// The last attempt's error: a category (`timeout`, `http 503`, …), never the details.
    pub last_error: Option<String>,
    /// Never sent (again): the partner lost its role, or the member withdrew consent, after
    /// the message was written.
    pub cancelled: bool,
}

/// The Standard Webhooks id of a message: its event and partner, so the same message keeps
/// its id across attempts and redeliveries.
pub fn message_id(m: &MessageRow) -> String {
    format!("msg_{:x}_{}_{:x}", m.tx_hash, m.log_index, m.partner)
}

fn parse_id(id: &str) -> Option<(B256, u64, Address)> {
    let rest = id.strip_prefix("msg_")?;
    let mut parts = rest.splitn(3, '_');
    Some((
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    ))
}

/// The body sent: the message's type, time and public fields.
fn body(m: &MessageRow) -> serde_json::Value {
    serde_json::json!({
        "type": m.kind,
        "timestamp": iso(m.block_time),
        "data": serde_json::from_str::<serde_json::Value>(&m.data).unwrap_or_default(),
    })
}

fn message(m: MessageRow) -> Message {
    Message {
        id: message_id(&m),
        partner: m.partner,
        kind: m.kind.clone(),
        timestamp: iso(m.block_time),
        block_number: m.block_number,
        data: serde_json::from_str(&m.data).unwrap_or_default(),
        attempts: m.attempts,
        delivered_at: m.delivered_at.map(iso),
        dead: m.dead,
        last_error: m.last_error,
        cancelled: m.cancelled,
    }
}

fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

fn partner_only(caller: &Caller) -> ApiResult<()> {
    caller.require_any(&[Role::Partner], "a partner's webhook")
}

/// Set where the calling partner receives webhooks. The first time, the answer carries the
/// signing secret (shown once; rotate it with `POST /v1/partner/webhook/rotate`).
#[utoipa::path(put, path = "/v1/partner/webhook", tag = "partners", security(("session" = [])),
    request_body = EndpointRequest,
    responses((status = 200, body = Endpoint), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 503, body = crate::error::ErrorBody)))]
pub async fn set_endpoint(
    State(state): State<Arc<AppState>>,
    PartnerCaller(caller): PartnerCaller,
    Json(request): Json<EndpointRequest>,
) -> ApiResult<Json<Endpoint>> {
    let url: reqwest::Url = request
        .url
        .parse()
        .map_err(|err| ApiError::bad_request(format!("`url` is not a URL: {err}")))?;
    match url.scheme() {
        "https" => {}
        "http" if state.webhooks.policy.allow_http => {}
        other => {
            return Err(ApiError::bad_request(format!(
                "`url` is {other}://; webhooks go to https:// endpoints only"
            )));
        }
    }
    // Checked again at every delivery: what a name resolves to may change.
    state
        .webhooks
        .destinations
        .check(&url)
        .await
        .map_err(|refusal| {
            ApiError::bad_request(format!(
                "`url` is refused: {refusal}; webhooks go to public addresses only"
            ))
        })?;
    let sealer = state.webhooks.secrets()?;
    let existed = state.store.endpoint(caller.address).await?.is_some();
    let secret = new_secret();
    let now = unix_now();
    state
        .store
        .set_endpoint(
            caller.address,
            Some(url.as_str()),
            &sealer.seal(caller.address, &secret),
            false,
            now,
            0,
        )
        .await?;
    Ok(Json(Endpoint {
        url: url.to_string(),
        secret: (!existed).then_some(secret),
        previous_secret_until: None,
    }))
}

/// Give the calling partner a new signing secret. The previous one keeps signing for a day
/// (each message carries both signatures), so the partner can switch without missing any.
#[utoipa::path(post, path = "/v1/partner/webhook/rotate", tag = "partners", security(("session" = [])),
    responses((status = 200, body = Endpoint), (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 503, body = crate::error::ErrorBody)))]
pub async fn rotate(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<Endpoint>> {
    partner_only(&caller)?;
    let sealer = state.webhooks.secrets()?;
    let secret = new_secret();
    let now = unix_now();
    let endpoint = state
        .store
        .set_endpoint(
            caller.address,
            None,
            &sealer.seal(caller.address, &secret),
            true,
            now,
            now + ROTATION_OVERLAP_SECS,
        )
        .await?
        .ok_or_else(|| ApiError::not_found("set an endpoint first: PUT /v1/partner/webhook"))?;
    Ok(Json(Endpoint {
        url: endpoint.url,
        secret: Some(secret),
        previous_secret_until: Some(iso(endpoint.previous_until)),
    }))
}

/// Message filters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MessageFilter {
    /// `pending` (default), `delivered`, `dead` or `cancelled`.
    pub state: Option<MessageState>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<u32>,
    /// Skip this many first.
    pub offset: Option<u32>,
}

/// A message's delivery state.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    /// Not delivered yet, still tried.
    Pending,
    /// Delivered.
    Delivered,
    /// Given up on.
    Dead,
    /// Cancelled before delivery: the partner lost its role, or the member withdrew consent.
    Cancelled,
}

/// Messages to partners, newest first: a partner's own; everyone's for the admin and auditors.
#[utoipa::path(get, path = "/v1/partner/messages", tag = "partners", security(("session" = [])),
    params(MessageFilter),
    responses((status = 200, body = Vec<Message>), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn messages(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Query(filter): Query<MessageFilter>,
) -> ApiResult<Json<Vec<Message>>> {
    let partner = if caller.is(Role::Admin) || caller.is(Role::Auditor) {
        None
    } else {
        partner_only(&caller)?;
        Some(caller.address)
    };
    let state_filter = match filter.state.unwrap_or(MessageState::Pending) {
        MessageState::Pending => Delivery::Pending,
        MessageState::Delivered => Delivery::Delivered,
        MessageState::Dead => Delivery::Dead,
        MessageState::Cancelled => Delivery::Cancelled,
    };
    let rows = state
        .store
        .messages(
            partner,
            state_filter,
            limit(filter.limit)?,
            i64::from(filter.offset.unwrap_or(0)),
        )
        .await?;
    Ok(Json(rows.into_iter().map(message).collect()))
}

/// Send a message again (delivered or given up on), under the same id: the partner's own, or
/// any for the admin. A cancelled message is never sent again (409).
#[utoipa::path(post, path = "/v1/partner/messages/{id}/redeliver", tag = "partners",
    security(("session" = [])), params(("id" = String, Path, description = "The message's webhook-id")),
    responses((status = 204), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
pub async fn redeliver(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    if !caller.is(Role::Admin) {
        partner_only(&caller)?;
    }
    let (tx_hash, log_index, partner) = parse_id(&id)
        .ok_or_else(|| ApiError::bad_request(format!("{id:?} is not a message id")))?;
    if !caller.is(Role::Admin) && partner != caller.address {
        return Err(ApiError::forbidden("that message is another partner's"));
    }
    match state.store.redeliver(partner, tx_hash, log_index).await? {
        Redelivery::Queued => Ok(StatusCode::NO_CONTENT),
        Redelivery::NoSuchMessage => Err(ApiError::not_found(format!("no message {id}"))),
        Redelivery::Cancelled => Err(ApiError::conflict(
            "message_cancelled",
            format!(
                "message {id} was cancelled: its partner no longer holds the partner role, or \
                 the member withdrew consent"
            ),
        )),
    }
}

/// Metric names (Prometheus).
pub mod names {
    /// Webhook attempts, by outcome (`delivered`, `failed`, `dead`) (counter).
    pub const ATTEMPTS: &str = "timebank_gateway_webhook_attempts_total";
}
