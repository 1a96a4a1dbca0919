//! Warnings back to partners: a member's consent on chain, messages written with the index,
//! delivered as signed Standard Webhooks, retried, given up on and sent again on request, a
//! rotated secret, and exactly once across a gateway killed with SIGKILL.

use crate::{Stack, assert_error};
use alloy::primitives::{Address, B256};
use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    routing::post,
};
use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU16, AtomicU64, Ordering},
    },
    time::Duration,
};
use timebank_bindings::types::RiskLevel;
use timebank_client::Action;
use timebank_testkit::send;

/// A partner's receiving end: records every request (to `/hook`, and to `/moved`, where its
/// redirects point) and answers with a status it is told, after a delay it is told.
pub(crate) struct Receiver {
    pub(crate) url: String,
    answer: Arc<AtomicU16>,
    delay_ms: Arc<AtomicU64>,
    got: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

type Shared = (
    Arc<AtomicU16>,
    Arc<AtomicU64>,
    Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
);

/// Records a request, then answers as told (a redirect, if told a 3xx, to `/moved`).
async fn record(
    State((answer, delay, got)): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, [(header::HeaderName, &'static str); 1]) {
    got.lock().unwrap().push((headers, body));
    tokio::time::sleep(Duration::from_millis(delay.load(Ordering::SeqCst))).await;
    (
        StatusCode::from_u16(answer.load(Ordering::SeqCst)).unwrap(),
        [(header::LOCATION, "/moved")],
    )
}

impl Receiver {
    /// Listens on `listener`, answering `status` until told otherwise.
    pub(crate) fn serve(listener: tokio::net::TcpListener, status: u16) -> Self {
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let shared: Shared = (
            Arc::new(AtomicU16::new(status)),
            Arc::default(),
            Arc::default(),
        );
        let app = Router::new()
            .route("/hook", post(record))
            .route("/moved", post(record))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url,
            answer: shared.0,
            delay_ms: shared.1,
            got: shared.2,
            server,
        }
    }

    pub(crate) async fn start(status: u16) -> Self {
        Self::serve(
            tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
            status,
        )
    }

    pub(crate) fn answer(&self, status: u16) {
        self.answer.store(status, Ordering::SeqCst);
    }

    /// Answers each request only after `delay`.
    pub(crate) fn delay(&self, delay: Duration) {
        self.delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// The requests so far: (webhook-id, headers, body).
    pub(crate) fn requests(&self) -> Vec<(String, HeaderMap, Bytes)> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|(h, b)| {
                let id = h["webhook-id"].to_str().unwrap().to_owned();
                (id, h.clone(), b.clone())
            })
            .collect()
    }
}

/// Waits (up to 30 s) until `check` holds.
pub(crate) async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

/// The partner's messages in `state` (`pending`, `delivered`, `dead`), through the gateway.
pub(crate) async fn messages(stack: &Stack, token: &str, state: &str) -> Vec<serde_json::Value> {
    let response = stack
        .get(&format!("/v1/partner/messages?state={state}"), Some(token))
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

pub(crate) fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(body, headers)
        .is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn partners_hear_of_consenting_members_signed_retried_and_rotated() {
    let receiver = Receiver::start(503).await;
    let stack = Stack::start_with(|s| {
        s.webhook_allow_http = true;
        s.webhook_allow_loopback = true;
        s.webhook_retry_base_ms = 50;
        s.webhook_max_attempts = 3;
        s.webhook_timeout_ms = 2_000;
    })
    .await;
    let c = &stack.chain;
    let token = stack.sign_in(stack.partner).await;
    let endpoint = |url: &str| serde_json::json!({ "url": url });

    // Where the partner receives: a URL of a scheme webhooks do not use is refused; the first
    // endpoint comes with its secret, shown once.
    assert_error(
        stack
            .http
            .put(format!("{}/v1/partner/webhook", stack.base))
            .bearer_auth(&token)
            .json(&endpoint("ftp://partner.example/hook"))
            .send()
            .await
            .unwrap(),
        400,
        "https://",
    )
    .await;
    let put = |url: String| {
        stack
            .http
            .put(format!("{}/v1/partner/webhook", stack.base))
            .bearer_auth(&token)
            .json(&endpoint(&url))
            .send()
    };
    let first: serde_json::Value = put(receiver.url.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = first["secret"].as_str().expect("a secret").to_owned();
    assert!(secret.starts_with("whsec_"), "{first}");
    let again: serde_json::Value = put(receiver.url.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(again["secret"].is_null(), "shown once: {again}");
    // A member cannot set one.
    let member = stack.sign_in(c.alice).await;
    assert_error(
        stack
            .http
            .put(format!("{}/v1/partner/webhook", stack.base))
            .bearer_auth(&member)
            .json(&endpoint(&receiver.url))
            .send()
            .await
            .unwrap(),
        403,
        "",
    )
    .await;

    // carol consents, through her own signature; bob (to this partner) does not.
    let carol = stack.session_at(&stack.north, c.carol).await;
    let consent = |granted| Action::SetPartnerConsent {
        partner: stack.partner,
        granted,
    };
    assert!(
        carol
            .act(stack.key(c.carol), &consent(true))
            .await
            .unwrap()
            .success
    );
    let supervisor = stack.session_at(&stack.north, c.supervisor).await;
    let set_risk = async |account: Address, level: RiskLevel| {
        let relayed = supervisor
            .act(
                stack.key(c.supervisor),
                &Action::SetRiskLevel {
                    account,
                    level,
                    reason: "a partner's warning checked".into(),
                },
            )
            .await
            .unwrap();
        assert!(relayed.success);
    };
    set_risk(c.bob, RiskLevel::Low).await;
    set_risk(c.carol, RiskLevel::Low).await;

    // The receiver is down (503): the message waits, attempted, with the error.
    eventually("the first attempt failed", async || {
        messages(&stack, &token, "pending")
            .await
            .first()
            .is_some_and(|m| m["attempts"].as_u64() >= Some(1))
    })
    .await;
    let pending = messages(&stack, &token, "pending").await;
    assert_eq!(pending.len(), 1, "only carol consented: {pending:?}");
    assert_eq!(pending[0]["lastError"], "http 503");
    let id = pending[0]["id"].as_str().unwrap().to_owned();

    // Up again: delivered once, under the same id, signed, with public fields only.
    receiver.answer(200);
    eventually("the message was delivered", async || {
        messages(&stack, &token, "delivered").await.len() == 1
    })
    .await;
    let requests = receiver.requests();
    assert!(requests.len() >= 2, "{}", requests.len());
    assert!(requests.iter().all(|(got, ..)| *got == id));
    let (_, headers, body) = requests.last().unwrap();
    assert!(verify(&secret, headers, body));
    assert!(!verify(&secret, headers, b"{\"tampered\":true}"));
    let body: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(body["type"], "member.risk_changed");
    assert_eq!(body["data"]["riskLevel"], "low");
    assert_eq!(
        body["data"]["account"]
            .as_str()
            .unwrap()
            .parse::<Address>()
            .unwrap(),
        c.carol
    );
    let mut fields: Vec<_> = body["data"].as_object().unwrap().keys().cloned().collect();
    fields.sort();
    assert_eq!(fields, ["account", "branchId", "memberId", "riskLevel"]);
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'), "{body}");

    // Refused every time: given up on after three attempts, on the dead-letter list, then sent
    // again on request, under the same id.
    receiver.answer(500);
    set_risk(c.carol, RiskLevel::Medium).await;
    eventually("the message was given up on", async || {
        messages(&stack, &token, "dead").await.len() == 1
    })
    .await;
    let dead = messages(&stack, &token, "dead").await;
    assert_eq!(dead[0]["attempts"], 3, "{dead:?}");
    let dead_id = dead[0]["id"].as_str().unwrap().to_owned();
    assert_ne!(dead_id, id);
    // Another partner's message is not theirs to send again.
    let other = stack.sign_in(c.partner).await;
    assert_error(
        stack
            .post(
                &format!("/v1/partner/messages/{dead_id}/redeliver"),
                Some(&other),
                &serde_json::json!({}),
            )
            .await,
        403,
        "another partner's",
    )
    .await;
    assert_error(
        stack
            .post(
                "/v1/partner/messages/msg_nonsense/redeliver",
                Some(&token),
                &serde_json::json!({}),
            )
            .await,
        400,
        "not a message id",
    )
    .await;
    receiver.answer(200);
    let redeliver = stack
        .post(
            &format!("/v1/partner/messages/{dead_id}/redeliver"),
            Some(&token),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(redeliver.status(), 204);
    eventually("the dead message was delivered", async || {
        messages(&stack, &token, "delivered").await.len() == 2
    })
    .await;
    assert!(messages(&stack, &token, "dead").await.is_empty());
    let (got, headers, body) = receiver.requests().pop().unwrap();
    assert_eq!(got, dead_id);
    assert!(verify(&secret, &headers, &body));

    // A rotation: both secrets sign while the old one overlaps.
    let rotated: serde_json::Value = stack
        .post(
            "/v1/partner/webhook/rotate",
            Some(&token),
            &serde_json::json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, secret);
    assert!(rotated["previousSecretUntil"].is_string(), "{rotated}");
    set_risk(c.carol, RiskLevel::High).await;
    eventually("the message after the rotation was delivered", async || {
        messages(&stack, &token, "delivered").await.len() == 3
    })
    .await;
    let (_, headers, body) = receiver.requests().pop().unwrap();
    assert_eq!(
        headers["webhook-signature"]
            .to_str()
            .unwrap()
            .split(' ')
            .count(),
        2
    );
    assert!(verify(&new_secret, &headers, &body));
    assert!(verify(&secret, &headers, &body));

    // Consent withdrawn: nothing more about carol.
    assert!(
        carol
            .act(stack.key(c.carol), &consent(false))
            .await
            .unwrap()
            .success
    );
    // Raised only: lowering a supervisor's level is another supervisor's call.
    set_risk(c.carol, RiskLevel::Blocked).await;
    stack.caught_up().await;
    let all = stack
        .north
        .state
        .store
        .messages(
            Some(stack.partner),
            timebank_indexer::query::gateway::Delivery::Delivered,
            100,
            0,
        )
        .await
        .unwrap()
        .len()
        + messages(&stack, &token, "pending").await.len()
        + messages(&stack, &token, "dead").await.len();
    assert_eq!(all, 3, "a message after consent was withdrawn");
}

/// The gateway is killed with SIGKILL after the index wrote messages and before they reached
/// the partner; after a restart each is delivered once, under its own id.
#[tokio::test(flavor = "multi_thread")]
async fn a_message_survives_a_killed_gateway_and_arrives_once() {
    // On PostgreSQL, as branches run it (the SQLite path is the test above).
    let Some(stack) = Stack::start_on(true).await else {
        return;
    };
    let c = &stack.chain;
    let token = stack.sign_in(stack.partner).await;
    // The receiver's address, with nothing listening yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{port}/hook");
    // The in-process gateway only answers this; the binary below delivers.
    stack.north.stop();
    let replica = stack
        .north_replica(|s| {
            s.webhook_allow_http = true;
            s.webhook_allow_loopback = true;
        })
        .await;
    let set: serde_json::Value = stack
        .http
        .put(format!("{}/v1/partner/webhook", replica.base))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "url": url }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = set["secret"].as_str().unwrap().to_owned();
    drop(replica);

    let deployment = stack.dir().join("deployment.json");
    std::fs::write(&deployment, serde_json::to_string(&c.deployment).unwrap()).unwrap();
    let gateway = || {
        let listen = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        tokio::process::Command::new(env!("CARGO_BIN_EXE_timebank-gateway"))
            .args(["--rpc-url", &c.anvil.endpoint()])
            .args(["--database-url", &stack.url])
            .arg("--deployment")
            .arg(&deployment)
            .args(["--branch-id", "1", "--listen", &listen.to_string()])
            // Opens the partner's sealed secret.
            .arg("--branch-key-file")
            .arg(stack.dir().join("north.key"))
            .args(["--webhook-allow-http", "--webhook-allow-loopback"])
            .args(["--webhook-retry-base-ms", "100"])
            .args(["--webhook-timeout-ms", "1000"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap()
    };
    let mut running = gateway();

    send!(
        c.identity()
            .setPartnerConsent(stack.partner, true)
            .from(c.carol)
    );
    let reason = B256::repeat_byte(7);
    let supervisor = c.supervisor;
    send!(
        c.identity()
            .setRiskLevel(c.carol, RiskLevel::Low.into(), reason)
            .from(supervisor)
    );
    send!(c.identity().suspendMember(c.carol, reason).from(c.op2));
    stack.caught_up_at(&stack.north).await;
    let store = &stack.north.state.store;
    let attempted = async || {
        let pending = store
            .messages(
                Some(stack.partner),
                timebank_indexer::query::gateway::Delivery::Pending,
                100,
                0,
            )
            .await
            .unwrap();
        pending.len() == 2 && pending.iter().all(|m| m.attempts >= 1)
    };
    eventually("the gateway tried both messages", attempted).await;
    running.start_kill().unwrap(); // SIGKILL
    running.wait().await.unwrap();

    // Written by the index while no gateway runs.
    send!(c.identity().reinstateMember(c.carol, reason).from(c.op2));
    stack.caught_up_at(&stack.north).await;

    let receiver = Receiver::serve(tokio::net::TcpListener::bind(port).await.unwrap(), 200);
    let _restarted = gateway();
    let delivered = async || {
        store
            .messages(
                Some(stack.partner),
                timebank_indexer::query::gateway::Delivery::Delivered,
                100,
                0,
            )
            .await
            .unwrap()
            .len()
            == 3
    };
    eventually("all three were delivered", delivered).await;
    // Longer than a retry and a claim: nothing comes twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let requests = receiver.requests();
    let mut ids: Vec<_> = requests.iter().map(|(id, ..)| id.clone()).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "a message came twice");
    // In whatever order retries fall (each body carries its time).
    let mut kinds: Vec<_> = requests
        .iter()
        .map(|(_, headers, body)| {
            assert!(verify(&secret, headers, body));
            serde_json::from_slice::<serde_json::Value>(body).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "member.risk_changed",
            "member.status_changed",
            "member.status_changed"
        ]
    );
}
