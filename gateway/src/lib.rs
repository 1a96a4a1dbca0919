//! `timebank-gateway`: a branch's HTTP API over the timebank chain and the branch's indexer
//! database. Wallet sign-in (EIP-4361), roles from chain state, role-scoped reads, a live event
//! stream, OpenAPI 3.1 at `/openapi.json`, rendered at `/docs` by the console's own page.
//!
//! Layout: [`config`] (flags and environment), [`auth`] (sign-in and sessions), [`access`]
//! (roles), [`api`] (reads), [`live`] (Server-Sent Events), [`error`] (the error shape),
//! [`uniqueness`] (members' uniqueness keys, computed with other branches' gateways).

pub mod access;
pub mod anchor;
pub mod api;
pub mod auth;
pub mod cache;
pub mod config;
pub mod console;
pub mod error;
pub mod freshness;
pub mod governance;
pub mod inclusion;
pub mod live;
pub mod members;
pub mod openapi;
pub mod prepare;
pub mod privacy;
pub mod relay;
pub mod risk;
pub mod uniqueness;
pub mod vocabulary;
pub mod webhooks;
pub mod work;

pub use config::Settings;
pub use error::{ApiError, ErrorBody};
pub use openapi::ApiDoc;

use alloy::providers::{DynProvider, Provider};
use axum::{
    Router,
    extract::{MatchedPath, Request, State},
    http::{HeaderName, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{any, get, post, put},
};
use metrics_exporter_prometheus::PrometheusHandle;
use serde::{Deserialize, Serialize};
use std::{sync::Arc, time::Duration, time::Instant};
use timebank_indexer::{Deployment, Store};
use tower::limit::ConcurrencyLimitLayer;
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    sensitive_headers::SetSensitiveRequestHeadersLayer,
    timeout::TimeoutLayer,
    trace::TraceLayer,
};
use utoipa::{OpenApi, ToSchema};

/// Largest request body accepted (profiles and signed requests are far smaller).
pub const MAX_BODY: usize = 64 * 1024;

/// What every handler shares.
#[derive(Debug)]
pub struct AppState {
    /// The branch's index.
    pub store: Store,
    /// Where the contracts are.
    pub deployment: Deployment,
    /// The node (with the relayer's wallet when one is configured).
    pub provider: DynProvider,
    /// The account that pays for relayed transactions, if this gateway relays (it also holds
    /// the branch's gateway role: it anchors the access log and binds uniqueness keys).
    pub relayer: Option<alloy::primitives::Address>,
    /// The branch this gateway serves.
    pub branch_id: u32,
    /// The branch's keys for opening member data packages.
    pub branch_key: Option<privacy::BranchKeys>,
    /// The supervisors' public key, a recipient of every package.
    pub supervisors_key: Option<[u8; 32]>,
    /// This branch's share of members' uniqueness keys, and the peers it keys documents with.
    pub uniqueness: Option<uniqueness::Uniqueness>,
    /// Sign-in and sessions.
    pub auth: auth::Auth,
    /// The live stream's fan-out.
    pub live: live::Hub,
    /// Prometheus rendering, if this process owns the metrics recorder.
    pub metrics: Option<PrometheusHandle>,
    /// Receipts of relayed transactions.
    pub inclusions: std::sync::Arc<inclusion::Inclusions>,
    /// The relayer's fee estimate.
    pub fees: relay::Fees,
    /// The relayer's transaction nonces.
    pub relayer_nonces: relay::RelayerNonces,
    /// Reads of the index's head, shared by concurrent requests.
    pub heads: cache::HeadReads,
    /// Callers' standing at the index's standing version.
    pub callers: cache::Stamped<alloy::primitives::Address, access::Caller>,
    /// Members' public records at the index's head.
    pub members: cache::Stamped<alloy::primitives::Address, api::PublicMember>,
    /// How current the index is.
    pub freshness: Arc<freshness::Freshness>,
    /// The relay's rate limits and gas budget.
    pub limits: relay::Limits,
    /// Live streams open, per caller.
    pub streams: live::Streams,
    /// How partners' webhooks are delivered, and where they may go.
    pub webhooks: webhooks::Webhooks,
    /// A development chain's demo accounts, for the console's demo wallet.
    pub demo_accounts: Option<console::DemoAccounts>,
}

impl AppState {
    /// State for `settings`, checking that the node serves the deployment's chain; `relayer`
    /// is the key the provider's wallet pays with.
    pub async fn new(
        settings: &Settings,
        store: Store,
        deployment: Deployment,
        provider: DynProvider,
        relayer: Option<&alloy::signers::local::PrivateKeySigner>,
    ) -> eyre::Result<Self> {
        let chain_id = provider
            .get_chain_id()
            .await
            .map_err(|err| eyre::eyre!("cannot reach the node at {}: {err}", settings.rpc_url))?;
        eyre::ensure!(
            chain_id == deployment.chain_id,
            "the node is on chain {chain_id} but the deployment file is for chain {}",
            deployment.chain_id
        );
        let read_branch_key =
            |path: &std::path::Path, what: &str| -> eyre::Result<privacy::KeyPair> {
                let text = config::read_secret(path, what)?;
                privacy::KeyPair::from_secret_hex(&text)
                    .map_err(|err| eyre::eyre!("the {what} {}: {err}", path.display()))
            };
        let branch_key = match &settings.branch_key_file {
            Some(path) => Some(privacy::BranchKeys {
                current: read_branch_key(path, "branch key file")?,
                previous: settings
                    .previous_branch_key_file
                    .as_deref()
                    .map(|path| read_branch_key(path, "previous branch key file"))
                    .transpose()?,
            }),
            None => {
                eyre::ensure!(
                    settings.previous_branch_key_file.is_none(),
                    "--previous-branch-key-file without --branch-key-file"
                );
                None
            }
        };
        let uniqueness = uniqueness::Uniqueness::new(settings, relayer)?;
        let relayer = relayer.map(alloy::signers::local::PrivateKeySigner::address);
        let supervisors_key = match &settings.supervisors_public_key {
            Some(hex) => Some(
                alloy::hex::decode(hex.trim())
                    .ok()
                    .and_then(|b| <[u8; 32]>::try_from(b).ok())
                    .ok_or_else(|| {
                        eyre::eyre!("--supervisors-public-key is not 32 bytes of hex")
                    })?,
            ),
            None => None,
        };
        let client_ip_header = settings
            .client_ip_header
            .as_deref()
            .map(|name| {
                axum::http::HeaderName::try_from(name).map_err(|err| {
                    eyre::eyre!("--client-ip-header {name:?} is not a header name: {err}")
                })
            })
            .transpose()?;
        let demo_accounts = settings
            .dev_accounts_file
            .as_deref()
            .map(|path| console::DemoAccounts::load(path, chain_id))
            .transpose()?;
        let freshness =
            freshness::Freshness::start(provider.clone(), settings.max_index_lag_blocks).await;
        // Only a relaying gateway waits for receipts.
        let inclusions = match relayer {
            Some(_) => inclusion::Inclusions::start(provider.clone()),
            None => Default::default(),
        };
        let webhooks = webhooks::Webhooks {
            secrets: branch_key.as_ref().map(webhooks::sealed::SecretBox::new),
            ..settings.webhooks()
        };
        Ok(Self {
            store: store.clone(),
            branch_key,
            supervisors_key,
            uniqueness,
            deployment,
            provider,
            relayer,
            branch_id: settings.branch_id,
            auth: auth::Auth::new(
                settings.domain(),
                settings.public_url(),
                chain_id,
                settings.session_ttl(),
                store.clone(),
                client_ip_header,
            ),
            live: live::Hub::default(),
            metrics: telemetry_handle(),
            inclusions,
            fees: relay::Fees::default(),
            relayer_nonces: relay::RelayerNonces::default(),
            heads: cache::HeadReads::default(),
            callers: cache::Stamped::default(),
            members: cache::Stamped::default(),
            freshness,
            limits: relay::Limits::new(settings),
            streams: live::Streams::new(settings.streams_per_caller),
            webhooks,
            demo_accounts,
        })
    }
}

/// Installs the Prometheus recorder once per process; later callers (e.g. a second gateway in
/// one test process) get the same handle.
fn telemetry_handle() -> Option<PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<Option<PrometheusHandle>> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            metrics_exporter_prometheus::PrometheusBuilder::new()
                .install_recorder()
                .ok()
        })
        .clone()
}

/// Liveness.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// Always `ok` when answered.
    pub status: String,
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "ops", responses((status = 200, body = Health)))]
pub async fn health() -> axum::Json<Health> {
    axum::Json(Health {
        status: "ok".into(),
    })
}

/// Readiness: the database answers, the node answers, and how far the index is behind.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ready {
    /// `ready` or `not_ready`.
    pub status: String,
    /// The chain head.
    pub head_block: Option<u64>,
    /// The last indexed block.
    pub indexed_block: Option<u64>,
    /// Seconds since the live stream last read the index (it reads every 100 ms).
    pub live_polled_secs_ago: u64,
    /// What is not ready.
    pub problems: Vec<String>,
}

/// The live stream reads the index every 100 ms; this long without a read, it has stalled.
pub const LIVE_STALLED_SECS: u64 = 10;

/// Ready to serve: the node and the database answer, the index has started and the live
/// stream follows it.
#[utoipa::path(get, path = "/ready", tag = "ops",
    responses((status = 200, body = Ready), (status = 503, body = Ready)))]
pub async fn ready(State(state): State<Arc<AppState>>) -> (StatusCode, axum::Json<Ready>) {
    let mut problems = Vec::new();
    let head_block =
        match tokio::time::timeout(Duration::from_secs(2), state.provider.get_block_number()).await
        {
            Ok(Ok(n)) => Some(n),
            _ => {
                problems.push("the node does not answer".to_owned());
                None
            }
        };
    let indexed_block = match state.store.checkpoint().await {
        Ok(Some((n, _))) => Some(n),
        Ok(None) => {
            problems.push("the index has not written its first batch yet".to_owned());
            None
        }
        Err(_) => {
            problems.push("the database does not answer".to_owned());
            None
        }
    };
    let live_polled_secs_ago = state.live.polled_secs_ago();
    if live_polled_secs_ago > LIVE_STALLED_SECS {
        problems.push(format!(
            "the live stream has not read the index for {live_polled_secs_ago} s"
        ));
    }
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(Ready {
            status: if problems.is_empty() {
                "ready"
            } else {
                "not_ready"
            }
            .into(),
            head_block,
            indexed_block,
            live_polled_secs_ago,
            problems,
        }),
    )
}

/// Prometheus metrics (on `--metrics-listen`, never on the API's address).
async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    match &state.metrics {
        Some(handle) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "metrics are served by another recorder in this process",
        )
        .into_response(),
    }
}

async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        ApiDoc::openapi().to_json().unwrap_or_default(),
    )
        .into_response()
}

/// Counts requests and their latency by route and status.
async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let labels = [
        ("route", route),
        ("method", method),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("timebank_gateway_requests_total", &labels).increment(1);
    metrics::histogram!("timebank_gateway_request_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such endpoint; the API is described at /openapi.json")
}

/// The whole HTTP surface, with tracing, request ids, timeouts, body limits and CORS.
pub fn router(state: Arc<AppState>, settings: &Settings) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(
            settings
                .cors_origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o).ok()),
        ))
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .allow_methods([
            axum::http::Method::GET,
            axum::http::Method::POST,
            axum::http::Method::PUT,
        ]);
    let routes = Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/openapi.json", get(openapi_json))
        .route("/v1/auth/nonce", post(auth::nonce))
        .route("/v1/auth/login", post(auth::login))
        .route("/v1/auth/me", get(auth::me))
        .route("/v1/auth/logout", post(auth::logout))
        .route("/v1/branches", get(api::branches))
        .route("/v1/members/{address}", get(api::member))
        .route("/v1/accounts/{address}/balance", get(api::balance))
        .route("/v1/accounts/{address}/payments", get(api::payments))
        .route("/v1/accounts/{address}/history", get(api::history))
        .route("/v1/cases", get(api::cases))
        .route("/v1/holds", get(api::holds))
        .route("/v1/risk/findings", get(risk::findings))
        .route("/v1/risk/platform", get(risk::platform))
        .route("/v1/alerts", get(work::alerts))
        .route("/v1/partner/webhook", put(webhooks::set_endpoint))
        .route("/v1/partner/webhook/rotate", post(webhooks::rotate))
        .route("/v1/partner/messages", get(webhooks::messages))
        .route(
            "/v1/partner/messages/{id}/redeliver",
            post(webhooks::redeliver),
        )
        .route("/v1/activities", get(work::activities))
        .route("/v1/services", get(work::services))
        .route("/v1/credential-types", get(work::credential_types))
        .route("/v1/governance", get(governance::governance))
        .route(
            "/v1/branches/{branch}/pending-members",
            get(work::pending_members),
        )
        .route("/v1/branches/{branch}/moves", get(work::moves))
        .route("/v1/branches/{branch}/quota", get(work::quota))
        .route("/v1/branches/{branch}/stats", get(work::stats))
        .route(
            "/v1/branches/{branch}/expiring-credentials",
            get(work::expiring_credentials),
        )
        .route("/v1/events", get(live::stream))
        .route("/v1/relay/nonce", get(relay::nonce))
        .route("/v1/relay", post(relay::relay))
        .route("/v1/prepare", post(prepare::prepare))
        .route("/v1/prepare/call", post(prepare::prepare_call))
        .route("/v1/members/package", post(members::package))
        .route("/v1/members/{address}/profile", get(members::profile))
        .route("/v1/members/{address}/verify", post(members::verify))
        .route("/v1/access-log", get(members::access_log))
        .route("/v1/audit", get(members::audit))
        .route("/v1/audit/uniqueness", get(members::uniqueness_audit))
        .route("/v1/uniqueness/evaluate", post(uniqueness::peer::evaluate))
        .route("/v1/deployment", get(console::deployment))
        .route("/v1/dev/accounts", get(console::demo_accounts))
        .route("/v1/{*rest}", any(not_found))
        .with_state(state);
    let routes = match &settings.console_dir {
        Some(dir) => routes.fallback_service(console::files(Some(dir))),
        None => routes.merge(console::files(None)).fallback(not_found),
    };
    routes
        .layer(middleware::from_fn(track))
        .layer(CatchPanicLayer::custom(panicked))
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            Duration::from_millis(settings.request_timeout_ms),
        ))
        .layer(cors)
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http())
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
        ]))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(ConcurrencyLimitLayer::new(
            settings.max_concurrent_requests.max(1),
        ))
}

/// A handler that panicked: logged, and answered as any internal error (the connection lives).
fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    ApiError::internal("a handler panicked", what).into_response()
}

/// The metrics endpoint, for `--metrics-listen`.
pub fn metrics_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// Serves `state` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    settings: &Settings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The background work ends with this future, however it ends (a JoinSet aborts its tasks
    // when dropped).
    let mut background = tokio::task::JoinSet::new();
    background.spawn(state.live.run(state.store.clone()));
    background.spawn(anchor::chores(
        Arc::clone(&state),
        settings.anchor_interval_secs,
    ));
    background.spawn(webhooks::deliver(Arc::clone(&state)));
    if let Some(addr) = settings.metrics_listen {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let app = metrics_router(Arc::clone(&state));
        background.spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::warn!(error = %err, "serving metrics");
            }
        });
    }
    let state_for_shutdown = Arc::clone(&state);
    let app = router(state, settings);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    background.abort_all();
    // The relayed gas counted since the last write.
    if let Err(err) = state_for_shutdown
        .limits
        .write(&state_for_shutdown.store)
        .await
    {
        tracing::warn!(error = %err, "writing the relayed gas at shutdown");
    }
    served
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_is_a_logged_internal_error_not_a_dropped_connection() {
        use tower::ServiceExt;
        let app = Router::new()
            .route(
                "/boom",
                get(|| async {
                    let values: Vec<u8> = Vec::new();
                    values[usize::from(values.is_empty())].to_string()
                }),
            )
            .layer(CatchPanicLayer::custom(panicked));
        let response = app
            .oneshot(
                Request::get("/boom")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let body: ErrorBody = serde_json::from_slice(&body).unwrap();
        assert_eq!(body.code, "internal");
    }

    #[test]
    fn every_operation_says_who_may_call_it() {
        let doc = ApiDoc::openapi();
        let mut missing = Vec::new();
        for (path, item) in &doc.paths.paths {
            for (method, op) in [("GET", &item.get), ("POST", &item.post), ("PUT", &item.put)] {
                if let Some(op) = op
                    && !op
                        .description
                        .as_deref()
                        .is_some_and(|d| d.contains("Who may call it"))
                {
                    missing.push(format!("{method} {path}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "not in docs/api.md's role table: {missing:?}"
        );
    }
}
