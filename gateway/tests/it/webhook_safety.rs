//! What a partner (or whoever holds a partner's session) cannot do with webhooks: aim them at
//! the branch's own network (at registration, or later by changing what its name resolves to),
//! be followed through a redirect, or read the gateway's internal errors.

use crate::{
    Stack, assert_error,
    webhooks::{Receiver, eventually, messages, verify},
};
use alloy::primitives::{Address, B256};
use base64::Engine;
use futures::future::BoxFuture;
use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Duration,
};
use timebank_bindings::{roles, types::RiskLevel};
use timebank_gateway::webhooks::{
    destination::{Lookup, SystemLookup},
    message_id,
};
use timebank_indexer::query::gateway::{Delivery, MessageRow};
use timebank_testkit::send;

/// A resolver the test controls: the names it was told, the system's for the rest. Counts
/// the lookups of each name.
#[derive(Debug, Default)]
struct Names {
    names: Mutex<HashMap<String, Vec<IpAddr>>>,
    asked: Mutex<HashMap<String, usize>>,
}

impl Names {
    fn set(&self, name: &str, ips: &[&str]) {
        self.names.lock().unwrap().insert(
            name.to_owned(),
            ips.iter().map(|ip| ip.parse().unwrap()).collect(),
        );
    }

    fn asked(&self, name: &str) -> usize {
        self.asked.lock().unwrap().get(name).copied().unwrap_or(0)
    }
}

impl Lookup for Names {
    fn lookup(&self, host: &str) -> BoxFuture<'static, std::io::Result<Vec<IpAddr>>> {
        *self
            .asked
            .lock()
            .unwrap()
            .entry(host.to_owned())
            .or_default() += 1;
        match self.names.lock().unwrap().get(host) {
            Some(ips) => {
                let ips = ips.clone();
                Box::pin(async move { Ok(ips) })
            }
            None => SystemLookup.lookup(host),
        }
    }
}

/// Sets where `token`'s partner receives.
pub(crate) async fn put_endpoint(stack: &Stack, token: &str, url: &str) -> reqwest::Response {
    stack
        .http
        .put(format!("{}/v1/partner/webhook", stack.base))
        .bearer_auth(token)
        .json(&serde_json::json!({ "url": url }))
        .send()
        .await
        .unwrap()
}

/// carol consents to `partner` hearing of her (straight to the chain).
pub(crate) async fn consent(stack: &Stack, partner: Address) {
    let c = &stack.chain;
    send!(c.identity().setPartnerConsent(partner, true).from(c.carol));
}

/// A supervisor sets carol's risk level: a message to each partner she consented to.
pub(crate) async fn carol_at(stack: &Stack, level: RiskLevel) {
    let c = &stack.chain;
    send!(
        c.identity()
            .setRiskLevel(c.carol, level.into(), B256::repeat_byte(7))
            .from(c.supervisor)
    );
    stack.caught_up().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn webhooks_go_to_public_addresses_only_at_registration_and_at_every_delivery() {
    let names = Arc::new(Names::default());
    let lookup = Arc::clone(&names);
    // http:// for the loopback receiver below, loopback itself not allowed (the default).
    let stack = Stack::start_with(move |s| {
        s.webhook_allow_http = true;
        s.webhook_retry_base_ms = 60_000;
        s.webhook_lookup = Some(lookup.clone());
    })
    .await;
    let token = stack.sign_in(stack.partner).await;

    // An IP literal of every range that is not public unicast, in its several spellings.
    for (url, range) in [
        ("http://127.0.0.1:8545/", "loopback"),
        ("http://2130706433/", "loopback"),
        ("http://0x7f.1/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://10.0.0.5/", "private"),
        ("http://172.16.3.4/", "private"),
        ("http://192.168.0.1/", "private"),
        ("http://[fd00::1]/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("http://[64:ff9b::a9fe:a9fe]/", "link-local"),
        ("http://[2002:a9fe:a9fe::1]/", "link-local"),
        ("http://100.64.0.1/", "CGNAT"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://[ff02::1]/", "multicast"),
        ("http://255.255.255.255/", "broadcast"),
        ("http://192.0.2.1/", "documentation"),
        ("http://[2001:db8::1]/", "documentation"),
        ("http://240.0.0.1/", "reserved"),
    ] {
        let refused = put_endpoint(&stack, &token, url).await;
        assert_error(refused, 400, range).await;
    }
    // A name that resolves to loopback (the system's resolver), or to any internal address
    // among public ones, or to nothing.
    names.set("mixed.partner.test", &["93.184.216.34", "10.1.2.3"]);
    for url in [
        "http://localhost:8545/hook",
        "http://mixed.partner.test/hook",
        "http://nowhere.invalid/hook",
    ] {
        let refused = put_endpoint(&stack, &token, url).await;
        assert_error(refused, 400, "does not resolve to public addresses only").await;
    }
    assert!(messages(&stack, &token, "pending").await.is_empty());

    // A name that resolves to a public address is taken (nothing is sent to it: no message is
    // due yet) ...
    let receiver = Receiver::start(200).await;
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    names.set("partner.test", &["93.184.216.34"]);
    let url = format!("http://partner.test:{port}/hook");
    assert_eq!(put_endpoint(&stack, &token, &url).await.status(), 200);
    let asked_at_registration = names.asked("partner.test");
    assert_eq!(asked_at_registration, 1);

    // ... then the name is pointed at the gateway's own machine (DNS rebinding): the delivery
    // resolves it again, refuses, and sends nothing.
    names.set("partner.test", &["127.0.0.1"]);
    consent(&stack, stack.partner).await;
    carol_at(&stack, RiskLevel::Low).await;
    eventually("the delivery was attempted", async || {
        messages(&stack, &token, "pending")
            .await
            .first()
            .is_some_and(|m| m["attempts"].as_u64() >= Some(1))
    })
    .await;
    let pending = messages(&stack, &token, "pending").await;
    assert_eq!(pending[0]["lastError"], "refused: address not allowed");
    assert!(names.asked("partner.test") > asked_at_registration);
    assert!(receiver.requests().is_empty(), "a request reached loopback");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_is_not_followed_and_partners_read_no_internal_errors() {
    let stack = Stack::start_with(|s| {
        s.webhook_allow_http = true;
        s.webhook_allow_loopback = true;
        // One attempt each: every message ends on the dead-letter list with its one error.
        s.webhook_max_attempts = 1;
        s.webhook_timeout_ms = 1_000;
    })
    .await;
    let token = stack.sign_in(stack.partner).await;
    consent(&stack, stack.partner).await;
    let dead_after = async |count: usize| {
        eventually("the message was given up on", async || {
            messages(&stack, &token, "dead").await.len() == count
        })
        .await;
        messages(&stack, &token, "dead").await[0].clone()
    };

    // A redirect: one request, to the endpoint only; the 302 is a failed attempt.
    let receiver = Receiver::start(302).await;
    assert_eq!(
        put_endpoint(&stack, &token, &receiver.url).await.status(),
        200
    );
    carol_at(&stack, RiskLevel::Low).await;
    let dead = dead_after(1).await;
    assert_eq!(dead["lastError"], "http 302 (redirects are not followed)");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.requests().len(), 1, "the redirect was followed");

    // Nothing listening, and an endpoint slower than the attempt's timeout: a category each,
    // not the client's words nor the address.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let closed_url = format!("http://{closed}/hook");
    assert_eq!(
        put_endpoint(&stack, &token, &closed_url).await.status(),
        200
    );
    carol_at(&stack, RiskLevel::Medium).await;
    assert_eq!(dead_after(2).await["lastError"], "connection failed");

    let slow = Receiver::start(200).await;
    slow.delay(Duration::from_secs(3));
    assert_eq!(put_endpoint(&stack, &token, &slow.url).await.status(), 200);
    carol_at(&stack, RiskLevel::High).await;
    assert_eq!(dead_after(3).await["lastError"], "timeout");

    for m in messages(&stack, &token, "dead").await {
        let error = m["lastError"].as_str().unwrap();
        for internal in [
            "127.0.0.1",
            "error",
            "tcp",
            "hook",
            &closed.port().to_string(),
        ] {
            assert!(!error.contains(internal), "{internal:?} in {error:?}");
        }
    }
}

/// The partner's messages in `state`, read from the store (whatever the partner may still call).
async fn stored(stack: &Stack, state: Delivery) -> Vec<MessageRow> {
    stack
        .north
        .state
        .store
        .messages(Some(stack.partner), state, 100, 0)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_partner_hears_nothing_more_not_even_what_was_queued() {
    let stack = Stack::start_with(|s| {
        s.webhook_allow_http = true;
        s.webhook_allow_loopback = true;
        s.webhook_retry_base_ms = 50;
    })
    .await;
    let c = &stack.chain;
    let token = stack.sign_in(stack.partner).await;
    let receiver = Receiver::start(200).await;
    assert_eq!(
        put_endpoint(&stack, &token, &receiver.url).await.status(),
        200
    );
    consent(&stack, stack.partner).await;
    carol_at(&stack, RiskLevel::Low).await;
    eventually("the first message was delivered", async || {
        stored(&stack, Delivery::Delivered).await.len() == 1
    })
    .await;
    let delivered = message_id(&stored(&stack, Delivery::Delivered).await[0]);

    // The partner is down; a message waits, tried again and again.
    receiver.answer(503);
    carol_at(&stack, RiskLevel::Medium).await;
    eventually("the second message failed", async || {
        stored(&stack, Delivery::Pending)
            .await
            .first()
            .is_some_and(|m| m.attempts >= 1)
    })
    .await;

    // The admin revokes the partner role: the queued message is cancelled, a later event
    // writes none, and nothing more reaches the partner once it is up again.
    send!(c.access().revokeRole(roles::PARTNER, stack.partner));
    stack.caught_up().await;
    carol_at(&stack, RiskLevel::High).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let heard = receiver.requests().len();
    receiver.answer(200);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        receiver.requests().len(),
        heard,
        "a revoked partner heard more"
    );
    assert!(stored(&stack, Delivery::Pending).await.is_empty());
    let cancelled = stored(&stack, Delivery::Cancelled).await;
    assert_eq!(cancelled.len(), 1, "a message written after the revocation");
    assert!(cancelled[0].cancelled && cancelled[0].delivered_at.is_none());

    // Redelivery is refused: to the former partner (no partner role), and to the admin (the
    // message is cancelled), the delivered one and the queued one alike.
    assert_error(
        stack
            .post(
                &format!("/v1/partner/messages/{delivered}/redeliver"),
                Some(&token),
                &serde_json::json!({}),
            )
            .await,
        403,
        "partner",
    )
    .await;
    let admin = stack.sign_in(c.deployment.admin).await;
    for id in [delivered, message_id(&cancelled[0])] {
        assert_error(
            stack
                .post(
                    &format!("/v1/partner/messages/{id}/redeliver"),
                    Some(&admin),
                    &serde_json::json!({}),
                )
                .await,
            409,
            "cancelled",
        )
        .await;
    }

    // Granted again: what was cancelled stays cancelled; what happens from now on is heard.
    send!(c.access().grantRole(roles::PARTNER, stack.partner));
    stack.caught_up().await;
    carol_at(&stack, RiskLevel::Blocked).await;
    eventually(
        "the message after the new grant was delivered",
        async || stored(&stack, Delivery::Delivered).await.len() == 2,
    )
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(receiver.requests().len(), heard + 1);
    assert_eq!(stored(&stack, Delivery::Cancelled).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_withdrawn_consent_cancels_the_queued_messages_about_the_member() {
    let stack = Stack::start_with(|s| {
        s.webhook_allow_http = true;
        s.webhook_allow_loopback = true;
        s.webhook_retry_base_ms = 50;
    })
    .await;
    let c = &stack.chain;
    let token = stack.sign_in(stack.partner).await;
    let receiver = Receiver::start(503).await;
    assert_eq!(
        put_endpoint(&stack, &token, &receiver.url).await.status(),
        200
    );
    // carol and bob consent; a message about each waits while the partner is down.
    consent(&stack, stack.partner).await;
    send!(
        c.identity()
            .setPartnerConsent(stack.partner, true)
            .from(c.bob)
    );
    carol_at(&stack, RiskLevel::Low).await;
    send!(
        c.identity()
            .setRiskLevel(c.bob, RiskLevel::Low.into(), B256::repeat_byte(7))
            .from(c.supervisor)
    );
    stack.caught_up().await;
    eventually("both messages were tried", async || {
        let pending = stored(&stack, Delivery::Pending).await;
        pending.len() == 2 && pending.iter().all(|m| m.attempts >= 1)
    })
    .await;

    // carol withdraws: her message is cancelled, bob's is delivered once the partner is up.
    send!(
        c.identity()
            .setPartnerConsent(stack.partner, false)
            .from(c.carol)
    );
    stack.caught_up().await;
    let before = receiver.requests().len();
    receiver.answer(200);
    eventually("bob's message was delivered", async || {
        stored(&stack, Delivery::Delivered).await.len() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let cancelled = messages(&stack, &token, "cancelled").await;
    assert_eq!(cancelled.len(), 1, "{cancelled:?}");
    assert_eq!(cancelled[0]["cancelled"], true);
    let about = |data: &serde_json::Value| -> Address {
        data["account"].as_str().unwrap().parse().unwrap()
    };
    assert_eq!(about(&cancelled[0]["data"]), c.carol);
    let delivered = stored(&stack, Delivery::Delivered).await;
    assert_eq!(
        about(&serde_json::from_str(&delivered[0].data).unwrap()),
        c.bob
    );
    // Only bob's reached the partner after carol withdrew.
    let after: Vec<_> = receiver.requests().split_off(before);
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].0, message_id(&delivered[0]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_partner_delays_no_other() {
    let stack = Stack::start_with(|s| {
        s.webhook_allow_http = true;
        s.webhook_allow_loopback = true;
        s.webhook_timeout_ms = 10_000;
    })
    .await;
    let c = &stack.chain;
    // stack.partner answers after 8 s; the scenario's partner at once.
    let (slow, fast) = (Receiver::start(200).await, Receiver::start(200).await);
    slow.delay(Duration::from_secs(8));
    let slow_token = stack.sign_in(stack.partner).await;
    let fast_token = stack.sign_in(c.partner).await;
    assert_eq!(
        put_endpoint(&stack, &slow_token, &slow.url).await.status(),
        200
    );
    assert_eq!(
        put_endpoint(&stack, &fast_token, &fast.url).await.status(),
        200
    );
    consent(&stack, stack.partner).await;
    carol_at(&stack, RiskLevel::Low).await;
    eventually("the slow partner is being sent to", async || {
        !slow.requests().is_empty()
    })
    .await;

    // While the slow partner holds its attempt, a message to the other arrives at once.
    consent(&stack, c.partner).await;
    let written = std::time::Instant::now();
    carol_at(&stack, RiskLevel::Medium).await;
    // (The scenario's partner has older messages about others to hear as well.)
    let heard_medium = || {
        fast.requests().iter().any(|(_, _, body)| {
            let body: serde_json::Value = serde_json::from_slice(body).unwrap();
            let about: Address = body["data"]["account"].as_str().unwrap().parse().unwrap();
            about == c.carol && body["data"]["riskLevel"] == "medium"
        })
    };
    eventually("the fast partner heard", async || heard_medium()).await;
    let waited = written.elapsed();
    assert!(
        waited < Duration::from_secs(4),
        "the fast partner waited {waited:?} behind the slow one"
    );
    assert_eq!(slow.requests().len(), 1, "still on its first message");
}

/// Every table of the stack's database as bytes: the SQLite files (with the write-ahead log),
/// or each PostgreSQL table's rows as text.
async fn dump(stack: &Stack) -> Vec<u8> {
    if let Some(path) = stack.url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap();
        let mut bytes = std::fs::read(path).unwrap();
        bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
        return bytes;
    }
    let pool = sqlx::PgPool::connect(&stack.url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(tables.iter().any(|t| t == "partner_endpoint"), "{tables:?}");
    let mut text = String::new();
    for table in tables {
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT t::text FROM {table} t"
        )))
        .fetch_all(&pool)
        .await
        .unwrap();
        text.push_str(&rows.join("\n"));
    }
    text.into_bytes()
}

async fn no_partner_secret_is_at_rest(postgres: bool) {
    let Some(stack) = Stack::start_on_with(postgres, |s| {
        s.webhook_allow_http = true;
        s.webhook_allow_loopback = true;
    })
    .await
    else {
        return;
    };
    let token = stack.sign_in(stack.partner).await;
    let receiver = Receiver::start(200).await;
    let first: serde_json::Value = put_endpoint(&stack, &token, &receiver.url)
        .await
        .json()
        .await
        .unwrap();
    let first = first["secret"].as_str().unwrap().to_owned();
    // Rotated: the previous secret is kept (and signs) for a day.
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
    let second = rotated["secret"].as_str().unwrap().to_owned();
    consent(&stack, stack.partner).await;
    carol_at(&stack, RiskLevel::Low).await;
    eventually("the message was delivered", async || {
        stored(&stack, Delivery::Delivered).await.len() == 1
    })
    .await;
    // Signed with both secrets, as the partner holds them.
    let (_, headers, body) = receiver.requests().pop().unwrap();
    assert!(verify(&second, &headers, &body));
    assert!(verify(&first, &headers, &body));

    let dump = dump(&stack).await;
    let found = |needle: &[u8]| dump.windows(needle.len()).any(|w| w == needle);
    assert!(!found(b"whsec_"), "a whsec_ secret at rest");
    for secret in [&first, &second] {
        let base64 = secret.strip_prefix("whsec_").unwrap();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(base64)
            .unwrap();
        assert!(!found(base64.as_bytes()), "a secret's base64 at rest");
        assert!(!found(&raw), "a secret's bytes at rest");
        assert!(
            !found(alloy::hex::encode(&raw).as_bytes()),
            "a secret's hex at rest"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_partner_secret_is_at_rest_sqlite() {
    no_partner_secret_is_at_rest(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_partner_secret_is_at_rest_postgres() {
    no_partner_secret_is_at_rest(true).await;
}
