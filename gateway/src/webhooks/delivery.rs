//! The delivery worker: signs each due message as a Standard Webhook and posts it to its
//! partner's endpoint, through a client that connects only to checked addresses
//! ([`super::destination`]), follows no redirect and uses no proxy (a proxy would resolve the
//! name itself, past the check).

use super::{Webhooks, destination::Refusal, message_id, names};
use crate::{AppState, auth::unix_now, error::ApiResult};
use reqwest::StatusCode;
use std::{sync::Arc, time::Duration};
use timebank_indexer::query::gateway::{EndpointRow, MessageRow};

/// A partner's due messages read at once.
const BATCH: i64 = 32;
/// Partners delivered to at once (each partner's messages one after another).
const PARTNERS_AT_ONCE: usize = 16;

/// Why an attempt failed, as the partner reads it (`lastError`): a category, never the
/// connection's or the resolver's own words, nor an address (those go to the gateway's log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The endpoint's host is, or resolves to, an address webhooks may not go to.
    Refused,
    /// No answer within the attempt's timeout.
    Timeout,
    /// No connection (refused, reset, TLS), or the request broke off.
    Connection,
    /// The endpoint answered with a status other than 2xx (a 3xx is not followed).
    Status(StatusCode),
    /// The gateway could not sign the message.
    Internal,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Refused => f.write_str("refused: address not allowed"),
            Failure::Timeout => f.write_str("timeout"),
            Failure::Connection => f.write_str("connection failed"),
            Failure::Status(s) if s.is_redirection() => {
                write!(f, "http {} (redirects are not followed)", s.as_u16())
            }
            Failure::Status(s) => write!(f, "http {}", s.as_u16()),
            Failure::Internal => f.write_str("internal error"),
        }
    }
}

impl Failure {
    /// The category of a client error: a refusal by the resolver is found among its causes.
    fn of(err: &reqwest::Error) -> Self {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
        while let Some(c) = cause {
            if c.downcast_ref::<Refusal>().is_some() {
                return Failure::Refused;
            }
            cause = c.source();
        }
        if err.is_timeout() {
            Failure::Timeout
        } else {
            Failure::Connection
        }
    }
}

/// The client deliveries go through: names resolved (and checked) by `webhooks.destinations`,
/// no redirects, no proxy, the attempt's timeout.
pub fn client(webhooks: &Webhooks) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(webhooks.policy.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(webhooks.destinations.clone()))
        .build()
        .unwrap_or_else(|err| {
            // Only a TLS backend that cannot start fails here; then nothing could be delivered.
            tracing::error!(error = %err, "cannot build the webhook client");
            reqwest::Client::new()
        })
}

/// Delivers due messages until the task is dropped: each partner's on its own task (at most
/// [`PARTNERS_AT_ONCE`] at once), so a slow or unreachable partner delays no other. A partner's
/// task attempts its due messages in chain order, then ends; the next one starts when more
/// are due.
pub async fn deliver(state: Arc<AppState>) {
    let http = client(&state.webhooks);
    if let Err(err) = reseal(&state).await {
        tracing::warn!(error = %err, "sealing partners' secrets again");
    }
    // Dropped with this future: the partners' tasks stop with the gateway.
    let mut partners = tokio::task::JoinSet::new();
    let mut busy = std::collections::HashSet::new();
    loop {
        while let Some(done) = partners.try_join_next() {
            if let Ok(partner) = done {
                busy.remove(&partner);
            }
        }
        match state.store.partners_due(unix_now()).await {
            Ok(due) => {
                for partner in due {
                    if busy.len() < PARTNERS_AT_ONCE && busy.insert(partner) {
                        let (state, http) = (Arc::clone(&state), http.clone());
                        partners.spawn(async move {
                            if let Err(err) = deliver_to(&state, &http, partner).await {
                                tracing::warn!(error = %err, %partner, "delivering webhooks");
                            }
                            partner
                        });
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "finding due webhooks"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Seals again under the current branch key each stored secret that is plaintext (from before
/// secrets were sealed) or sealed under the previous branch key.
async fn reseal(state: &AppState) -> ApiResult<()> {
    let Some(sealer) = &state.webhooks.secrets else {
        return Ok(());
    };
    for endpoint in state.store.endpoints().await? {
        let secret = sealer.reseal(endpoint.partner, &endpoint.secret);
        let previous = endpoint
            .previous_secret
            .as_deref()
            .and_then(|p| sealer.reseal(endpoint.partner, p));
        if secret.is_some() || previous.is_some() {
            let secret = secret.unwrap_or_else(|| endpoint.secret.clone());
            let previous = previous.or_else(|| endpoint.previous_secret.clone());
            state
                .store
                .replace_secrets(&endpoint, &secret, previous.as_deref())
                .await?;
        }
    }
    Ok(())
}

/// Attempts `partner`'s due messages once each, until none is due.
async fn deliver_to(
    state: &AppState,
    http: &reqwest::Client,
    partner: alloy::primitives::Address,
) -> ApiResult<()> {
    let policy = state.webhooks.policy;
    loop {
        let due = state.store.due_messages(partner, unix_now(), BATCH).await?;
        if due.is_empty() {
            return Ok(());
        }
        for m in due {
            // Again, just before the attempt: a role or a consent may have gone meanwhile.
            if state.store.message_cancelled(&m).await? {
                continue;
            }
            // The claim runs from this attempt's own start, for as long as it may take.
            let now = unix_now();
            let claim_until = now + policy.timeout.as_secs() + 5;
            if !state.store.claim_message(&m, now, claim_until).await? {
                continue;
            }
            // Read for each attempt: a rotation or a new URL applies from the next one.
            let Some(endpoint) = state.store.endpoint(partner).await? else {
                return Ok(());
            };
            let outcome = send(&state.webhooks, http, &endpoint, &m).await;
            record(state, &m, outcome).await?;
        }
    }
}

/// Records an attempt's outcome: delivered, tried again after a backoff, or given up on.
async fn record(state: &AppState, m: &MessageRow, outcome: Result<(), Failure>) -> ApiResult<()> {
    let policy = state.webhooks.policy;
    let attempts = m.attempts + 1;
    match outcome {
        Ok(()) => {
            metrics::counter!(names::ATTEMPTS, "outcome" => "delivered").increment(1);
            state
                .store
                .record_attempt(m, Some(unix_now()), None, 0, false)
                .await?;
        }
        Err(failure) => {
            let dead = attempts >= policy.max_attempts;
            let backoff = policy
                .retry_base
                .saturating_mul(1 << attempts.min(20))
                .min(Duration::from_secs(6 * 3600));
            let outcome = if dead { "dead" } else { "failed" };
            metrics::counter!(names::ATTEMPTS, "outcome" => outcome).increment(1);
            state
                .store
                .record_attempt(
                    m,
                    None,
                    Some(&failure.to_string()),
                    unix_now() + backoff.as_secs().max(u64::from(!backoff.is_zero())),
                    dead,
                )
                .await?;
        }
    }
    Ok(())
}

/// Signs and posts one message: the Standard Webhooks headers, with a signature by the current
/// secret and, while a rotation overlaps, the previous one. What went wrong is logged here in
/// full; the partner is told its category.
async fn send(
    webhooks: &Webhooks,
    http: &reqwest::Client,
    endpoint: &EndpointRow,
    m: &MessageRow,
) -> Result<(), Failure> {
    let id = message_id(m);
    let failed = |failure: Failure, detail: &dyn std::fmt::Display| {
        tracing::info!(%id, attempts = m.attempts + 1, %failure, %detail, "webhook not delivered");
        failure
    };
    let url: url::Url = endpoint
        .url
        .parse()
        .map_err(|err| failed(Failure::Refused, &err))?;
    // The client resolves (and checks) names; an IP literal it connects to as it is.
    if let Some(Err(refusal)) = webhooks.destinations.check_literal(&url) {
        return Err(failed(Failure::Refused, &refusal));
    }
    let body = super::body(m).to_string();
    let timestamp = i64::try_from(unix_now()).unwrap_or(i64::MAX);
    let Some(sealer) = &webhooks.secrets else {
        return Err(failed(
            Failure::Internal,
            &"no branch key to open the secret",
        ));
    };
    let mut secrets = vec![endpoint.secret.as_str()];
    if let Some(previous) = &endpoint.previous_secret
        && endpoint.previous_until > unix_now()
    {
        secrets.push(previous);
    }
    let mut signatures = Vec::new();
    for stored in secrets {
        let secret = sealer
            .open(endpoint.partner, stored)
            .map_err(|err| failed(Failure::Internal, &err))?;
        let signature = standardwebhooks::Webhook::new(&secret)
            .and_then(|signer| signer.sign(&id, timestamp, body.as_bytes()))
            .map_err(|err| failed(Failure::Internal, &err))?;
        signatures.push(signature);
    }
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signatures.join(" "))
        .body(body)
        .send()
        .await
        .map_err(|err| failed(Failure::of(&err), &err.without_url()))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(failed(Failure::Status(status), &status))
    }
}
