//! The gateway under attack (docs/api.md, "Threats"): a fresh wallet or the wrong role asking
//! the relayer to pay, re-encoded signatures and padded calldata, floods, a client hanging up
//! mid-relay, sign-in floods, sessions across restarts and replicas, limits and bad numbers,
//! pages that would load scripts from elsewhere.

use crate::{
    Stack, assert_error,
    relay::{in_an_hour, next_nonce, pay, signed},
};
use alloy::{
    primitives::{Address, Bytes, U256},
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use std::time::Duration;
use timebank_bindings::{IdentityRegistry, TimebankForwarder};

/// The forwarder's nonce of `who`, from the chain (what was really sent).
async fn sent(stack: &Stack, who: Address) -> u64 {
    TimebankForwarder::new(
        stack.chain.deployment.contracts.forwarder,
        &stack.chain.provider,
    )
    .nonces(who)
    .call()
    .await
    .unwrap()
    .to()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_relayer_pays_only_for_members_and_staff_doing_their_own_work() {
    let stack = Stack::start().await;
    let c = &stack.chain;
    let coin = c.deployment.contracts.time_coin;

    // A fresh wallet signs in (anyone can) and asks for a payment to be relayed.
    let fresh = PrivateKeySigner::random();
    let session = timebank_client::Gateway::new(&stack.base, c.deployment.clone())
        .unwrap()
        .sign_in(&fresh)
        .await
        .unwrap();
    let token = session.token().unwrap().to_owned();
    let request = signed(&stack, &fresh, coin, pay(c.bob, 1, 3), 0, in_an_hour()).await;
    assert_error(
        stack.post("/v1/relay", Some(&token), &request).await,
        403,
        "neither a member nor staff",
    )
    .await;

    // A member asks for an operator's write.
    let carol = stack.key(c.carol).clone();
    let token = stack.sign_in(c.carol).await;
    let nonce = next_nonce(&stack, &token).await;
    let approve: Bytes = IdentityRegistry::approveMemberCall { account: c.bob }
        .abi_encode()
        .into();
    let request = signed(
        &stack,
        &carol,
        c.deployment.contracts.identity_registry,
        approve,
        nonce,
        in_an_hour(),
    )
    .await;
    assert_error(
        stack.post("/v1/relay", Some(&token), &request).await,
        403,
        "`approveMember` is relayed for operator",
    )
    .await;

    // Calldata padded past its arguments (64 KiB would cost the relayer dearly).
    let mut padded = pay(c.bob, 1, 3).to_vec();
    padded.extend_from_slice(&[0u8; 4096]);
    let request = signed(&stack, &carol, coin, padded.into(), nonce, in_an_hour()).await;
    assert_error(
        stack.post("/v1/relay", Some(&token), &request).await,
        400,
        "exactly the ABI encoding",
    )
    .await;

    // A valid signature re-encoded with the high s (and v flipped): the same signer to a lax
    // check, refused by the forwarder's ECDSA, so replayable at the relayer's cost forever.
    let mut request = signed(&stack, &carol, coin, pay(c.bob, 1, 3), nonce, in_an_hour()).await;
    let mut signature = request.signature.to_vec();
    let n = U256::from_str_radix(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
        16,
    )
    .unwrap();
    let s = U256::from_be_slice(&signature[32..64]);
    signature[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
    signature[64] = if signature[64] == 27 { 28 } else { 27 };
    request.signature = signature.into();
    assert_error(
        stack.post("/v1/relay", Some(&token), &request).await,
        400,
        "canonical form",
    )
    .await;
    // A deadline past uint48: refused, not a panic.
    let mut request = signed(&stack, &carol, coin, pay(c.bob, 1, 3), nonce, in_an_hour()).await;
    request.deadline = u64::MAX;
    assert_error(
        stack.post("/v1/relay", Some(&token), &request).await,
        400,
        "uint48",
    )
    .await;
    assert_eq!(sent(&stack, c.carol).await, nonce, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signer_who_floods_the_relay_is_told_when_to_come_back() {
    let stack = Stack::start_with(|s| s.relay_per_signer_per_minute = 2).await;
    let c = &stack.chain;
    let coin = c.deployment.contracts.time_coin;
    let carol = stack.key(c.carol).clone();
    let token = stack.sign_in(c.carol).await;
    for _ in 0..2 {
        let nonce = next_nonce(&stack, &token).await;
        let request = signed(&stack, &carol, coin, pay(c.bob, 1, 3), nonce, in_an_hour()).await;
        let response = stack.post("/v1/relay", Some(&token), &request).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
    let nonce = next_nonce(&stack, &token).await;
    let request = signed(&stack, &carol, coin, pay(c.bob, 1, 3), nonce, in_an_hour()).await;
    let response = stack.post("/v1/relay", Some(&token), &request).await;
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    // Another signer is not held back by carol's flood.
    let bob = stack.key(c.bob).clone();
    let bobs = stack.sign_in(c.bob).await;
    let nonce = next_nonce(&stack, &bobs).await;
    let request = signed(&stack, &bob, coin, pay(c.carol, 1, 3), nonce, in_an_hour()).await;
    let response = stack.post("/v1/relay", Some(&bobs), &request).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_relayer_spends_a_daily_budget_per_signer() {
    // Room for one write's worst case (its gas limit, 1,000,000, plus the forwarder's 200,000)
    // and a few writes' real cost, not many.
    let stack = Stack::start_with(|s| s.relay_daily_gas_per_signer = 1_500_000).await;
    let c = &stack.chain;
    let coin = c.deployment.contracts.time_coin;
    let carol = stack.key(c.carol).clone();
    let token = stack.sign_in(c.carol).await;
    let mut refused = None;
    let mut relayed = 0;
    for _ in 0..12 {
        let nonce = next_nonce(&stack, &token).await;
        let request = signed(&stack, &carol, coin, pay(c.bob, 1, 3), nonce, in_an_hour()).await;
        let response = stack.post("/v1/relay", Some(&token), &request).await;
        if response.status() == 429 {
            refused = Some(response);
            break;
        }
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        relayed += 1;
    }
    assert!(relayed >= 1, "the first write fits the budget");
    let response = refused.expect("the budget runs out");
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry <= 86_400, "until midnight UTC: {retry}");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "gas_budget", "{body}");
    // Spent gas is kept in the database (within a second), where every replica (and a
    // restart) sees it.
    let day = timebank_gateway::auth::unix_now() / 86_400;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let spent = stack
        .north
        .state
        .store
        .relay_gas(c.carol, day)
        .await
        .unwrap();
    assert!(spent > 0 && spent <= 1_500_000, "{spent}");
}

/// A JSON-RPC proxy in front of anvil that holds every `eth_sendRawTransaction` for `hold`,
/// and forwards it only if its caller is still there: a slow node, where a relay can be
/// cancelled after the relayer took a nonce and before the node has the transaction.
async fn slow_sends(anvil: String, hold: Duration) -> String {
    use axum::{Router, body::Bytes, extract::State, routing::post};
    async fn forward(State((anvil, hold)): State<(String, Duration)>, body: Bytes) -> Vec<u8> {
        if body.windows(22).any(|w| w == b"eth_sendRawTransaction") {
            tokio::time::sleep(hold).await;
        }
        let answer = reqwest::Client::new()
            .post(&anvil)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        answer.bytes().await.unwrap().to_vec()
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/", post(forward))
        .with_state((anvil, hold));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A client hangs up while the relayer's transaction is on its way to a slow node. The relay
/// must still send it: a nonce taken but never sent would hold every later relay back (the node
/// mines nothing past the gap), and its receipt waiter must not stay behind.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_hanging_up_mid_relay_costs_nothing_later() {
    let stack = Stack::start().await;
    let proxy = slow_sends(stack.chain.anvil.endpoint(), Duration::from_millis(600)).await;
    // North's gateway on the slow node (it relays alone: north's own gateway stays idle).
    let replica = stack
        .north_replica(move |s| s.rpc_url = proxy.clone())
        .await;
    let c = &stack.chain;
    let coin = c.deployment.contracts.time_coin;
    let carol = stack.key(c.carol).clone();
    let token = stack.sign_in(c.carol).await;
    for hang_up in [150, 300, 450] {
        let nonce = sent(&stack, c.carol).await;
        let request = signed(&stack, &carol, coin, pay(c.bob, 1, 3), nonce, in_an_hour()).await;
        let impatient = reqwest::Client::builder()
            .timeout(Duration::from_millis(hang_up))
            .build()
            .unwrap();
        let gone = impatient
            .post(format!("{}/v1/relay", replica.base))
            .bearer_auth(&token)
            .json(&request)
            .send()
            .await;
        assert!(gone.is_err(), "the client hung up at {hang_up} ms");
        // The relay went on without its client: carol's request is on chain.
        let mut landed = false;
        for _ in 0..40 {
            if sent(&stack, c.carol).await == nonce + 1 {
                landed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            landed,
            "hung up at {hang_up} ms: the relay was dropped with its nonce"
        );
        // And the next relay goes straight through.
        let request = signed(
            &stack,
            &carol,
            coin,
            pay(c.bob, 1, 3),
            nonce + 1,
            in_an_hour(),
        )
        .await;
        let response = stack
            .http
            .post(format!("{}/v1/relay", replica.base))
            .bearer_auth(&token)
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
    assert_eq!(
        replica.state.inclusions.waiting(),
        0,
        "no receipt waiter left behind"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_live_in_the_database_and_sign_ins_are_bounded() {
    let stack = Stack::start().await;
    let c = &stack.chain;
    let token = stack.sign_in(c.supervisor).await;
    // A replica of north's gateway (or north's gateway restarted) on the same database: the
    // session holds there.
    let replica = stack.north_replica(|_| {}).await;
    let me = |base: String, token: String| {
        let http = stack.http.clone();
        async move {
            http.get(format!("{base}/v1/auth/me"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(me(replica.base.clone(), token.clone()).await, 200);
    // Signing out at the replica ends the session at north too (within its recheck second).
    let out = stack
        .http
        .post(format!("{}/v1/auth/logout", replica.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(me(replica.base.clone(), token.clone()).await, 401);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert_eq!(me(stack.base.clone(), token.clone()).await, 401);

    // A client holds 20 unused sign-in nonces at most; then 429 with when to come back.
    let mut last = None;
    for _ in 0..25 {
        let response = stack
            .http
            .post(format!("{}/v1/auth/nonce", stack.base))
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            last = Some(response);
            break;
        }
        assert_eq!(response.status(), 200);
    }
    let refused = last.expect("the 21st nonce is refused");
    assert!(refused.headers().contains_key("retry-after"));
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_are_not_on_the_api_and_bad_numbers_are_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let stack =
        Stack::start_with(move |s| s.metrics_listen = Some(([127, 0, 0, 1], port).into())).await;
    // Metrics only on their own listener, which an operator keeps off the public network.
    assert_eq!(stack.get("/metrics", None).await.status(), 404);
    let metrics = stack
        .http
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    // An issuer's credential expiring past 2^40 seconds: 400, not a dropped connection.
    let token = stack.sign_in(stack.chain.issuer).await;
    assert_error(
        stack
            .post(
                "/v1/prepare",
                Some(&token),
                &serde_json::json!({
                    "action": "issue_credential", "account": stack.chain.carol, "type_id": 1,
                    "document_hash": format!("0x{}", "11".repeat(32)),
                    "expires_at": u64::MAX,
                }),
            )
            .await,
        400,
        "2^40",
    )
    .await;
}

/// Texts behind on-chain hashes are kept when the write carrying them lands, not when it is
/// prepared: a prepared write nobody relays leaves nothing behind once it expires.
#[tokio::test(flavor = "multi_thread")]
async fn a_note_is_kept_when_its_decision_lands() {
    use timebank_bindings::types::{CaseStatus, RiskLevel};
    let stack = Stack::start().await;
    let c = &stack.chain;
    let store = &stack.north.state.store;
    timebank_testkit::send!(
        c.coin()
            .transfer(c.bob, U256::from(10 * timebank_testkit::HOUR))
            .from(c.carol)
    );
    stack.caught_up().await;
    let case_id: u64 = c.desk().caseCount().call().await.unwrap().to();
    let notes = store.count("note").await.unwrap();
    let decide = |note: &str| timebank_client::Action::DecideCase {
        case_id,
        outcome: CaseStatus::Cleared,
        note: note.into(),
        risk_level: RiskLevel::None,
    };
    let session = stack.session_at(&stack.north, c.supervisor).await;
    // Prepared and dropped: pending, not a note.
    session.prepare(&decide("never sent")).await.unwrap();
    assert_eq!(store.count("note").await.unwrap(), notes);
    assert_eq!(store.count("pending_note").await.unwrap(), 1);
    // Prepared, signed and relayed: a note, shown with the case.
    let relayed = session
        .act(stack.key(c.supervisor), &decide("a family gift"))
        .await
        .unwrap();
    assert!(relayed.success);
    assert_eq!(store.count("note").await.unwrap(), notes + 1);
    stack.caught_up().await;
    let token = session.token().unwrap();
    let cases: Vec<serde_json::Value> = stack
        .get("/v1/cases?status=cleared", Some(token))
        .await
        .json()
        .await
        .unwrap();
    let case = cases.iter().find(|k| k["caseId"] == case_id).unwrap();
    assert_eq!(case["note"], "a family gift");
    // The unsent text expires.
    let later = timebank_gateway::auth::unix_now() + 3_600;
    assert_eq!(store.sweep_expired(later).await.unwrap().notes, 1);
    assert_eq!(store.count("note").await.unwrap(), notes + 1);
}

/// Behind the branch's proxy a client is the address the proxy appended, and an IPv6 client is
/// its /64: neither a forged first hop nor another address of the same network buys more
/// sign-in nonces.
#[tokio::test(flavor = "multi_thread")]
async fn behind_the_proxy_a_client_is_the_address_it_appended_and_ipv6_counts_per_64() {
    let stack = Stack::start_with(|s| s.client_ip_header = Some("x-forwarded-for".into())).await;
    // One header line per hop: the client's own first, the proxy's appended last.
    let nonce = |hops: Vec<String>| {
        let mut request = stack.http.post(format!("{}/v1/auth/nonce", stack.base));
        for hop in hops {
            request = request.header("x-forwarded-for", hop);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    for i in 0..20 {
        let hops = vec![format!("203.0.113.{i}"), format!("2001:db8:1:2::{i:x}")];
        assert_eq!(nonce(hops).await, 200, "nonce {i}");
    }
    let more = vec![
        "203.0.113.99".to_owned(),
        "2001:db8:1:2:ffff::99".to_owned(),
    ];
    assert_eq!(
        nonce(more).await,
        429,
        "the same /64 under a forged first hop"
    );
    assert_eq!(
        nonce(vec!["2001:db8:1:3::1".to_owned()]).await,
        200,
        "another /64"
    );
    for i in 0..20 {
        let hops = vec![
            format!("192.0.2.{i}, 10.9.8.{i}"),
            "198.51.100.7".to_owned(),
        ];
        assert_eq!(nonce(hops).await, 200, "nonce {i}");
    }
    let forged = vec!["192.0.2.200".to_owned(), "198.51.100.7".to_owned()];
    assert_eq!(
        nonce(forged).await,
        429,
        "what the proxy appended is the client"
    );
}

/// What in a page names another origin: `http(s)://…` or a scheme-relative `//host` anywhere in
/// it (a `src`, `href`, `import`, `fetch` or `url()` target).
fn other_origins(page: &str) -> Vec<String> {
    ["http://", "https://", "\"//", "'//", "(//", "=//"]
        .iter()
        .flat_map(|needle| page.match_indices(needle))
        .map(|(at, _)| page[at..].chars().take(60).collect())
        .collect()
}

/// Why a content security policy lets a page reach beyond its own origin, if it does.
fn beyond_this_origin(policy: &str) -> Option<String> {
    let mut named = Vec::new();
    for directive in policy.split(';').map(str::trim).filter(|d| !d.is_empty()) {
        let mut words = directive.split_whitespace();
        let name = words.next().unwrap_or_default();
        named.push(name);
        if let Some(source) =
            words.find(|w| !["'self'", "'none'", "'unsafe-inline'", "data:"].contains(w))
        {
            return Some(format!("{name} allows {source}"));
        }
    }
    [
        "default-src",
        "script-src",
        "connect-src",
        "base-uri",
        "frame-ancestors",
    ]
    .into_iter()
    .find(|d| !named.contains(d))
    .map(|d| format!("no {d}"))
}

/// The pages a gateway serves — the console, its screens' addresses, the API reference at
/// `/docs` with and without a console — name no other origin and run under a policy that
/// allows none: no script from a CDN runs where the member's wallet is connected.
#[tokio::test(flavor = "multi_thread")]
async fn every_page_the_gateway_serves_refers_only_to_its_own_origin() {
    // The console as `make console` built it, or else its page sources (Vite keeps any other
    // origin a page names as it is).
    let console = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../console");
    let sources = tempfile::tempdir().unwrap();
    let built = console.join("dist/index.html").is_file();
    let served = if built {
        console.join("dist")
    } else {
        for page in ["index.html", "docs.html"] {
            std::fs::copy(console.join(page), sources.path().join(page)).unwrap();
        }
        sources.path().to_path_buf()
    };
    let stack = Stack::start_with(move |s| s.console_dir = Some(served.clone())).await;
    let bare = stack.north_replica(|s| s.console_dir = None).await;
    let mut pages = vec![
        format!("{}/", stack.base),
        format!("{}/docs", stack.base),
        format!("{}/index.html", stack.base),
        format!("{}/docs.html", stack.base),
        format!("{}/cases/12", stack.base),
        format!("{}/docs", bare.base),
    ];
    let mut checked = 0;
    while let Some(url) = pages.pop() {
        let response = stack.http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let policy = response
            .headers()
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{url} has no content security policy"))
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(beyond_this_origin(&policy), None, "{url}: {policy}");
        checked += 1;
        if url.contains("/assets/") {
            // A bundle holds URLs as text (a library's links in its messages): the policy
            // above is what keeps its code from reaching them.
            continue;
        }
        let page = response.text().await.unwrap();
        assert_eq!(other_origins(&page), Vec::<String>::new(), "{url}");
        // A built page's own scripts and styles, under the same policy.
        for asset in page.split('"').filter(|w| w.starts_with("/assets/")) {
            pages.push(format!("{}{asset}", stack.base));
        }
    }
    assert!(
        checked >= 6 + 2 * usize::from(built),
        "{checked} pages and assets"
    );
}
