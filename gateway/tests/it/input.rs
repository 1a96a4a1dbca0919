//! Bad input of every kind is answered 4xx with a message that says what was wrong.

use crate::{Stack, assert_error};
use alloy::{primitives::Address, signers::local::PrivateKeySigner};

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_refuses_what_it_must() {
    let stack = Stack::start().await;
    let c = &stack.chain;
    let chain_id = c.deployment.chain_id;
    let carol = stack.key(c.carol).clone();

    // The happy path, then the same message again: the nonce is spent.
    let nonce = stack.nonce().await;
    let message = stack.siwe_message(c.carol, &nonce, chain_id, &stack.domain);
    assert_eq!(stack.login(&carol, &message).await.status(), 200);
    assert_error(stack.login(&carol, &message).await, 401, "nonce").await;

    // A nonce the gateway never issued.
    let message = stack.siwe_message(c.carol, "abcdefgh12345678", chain_id, &stack.domain);
    assert_error(stack.login(&carol, &message).await, 401, "nonce").await;

    // Signed by someone else than the message's address.
    let nonce = stack.nonce().await;
    let message = stack.siwe_message(c.carol, &nonce, chain_id, &stack.domain);
    let mallory = PrivateKeySigner::random();
    assert_error(stack.login(&mallory, &message).await, 401, "signature").await;
    // ...which did not burn carol's nonce.
    assert_eq!(stack.login(&carol, &message).await.status(), 200);

    // Another chain, another domain.
    let nonce = stack.nonce().await;
    let message = stack.siwe_message(c.carol, &nonce, chain_id + 1, &stack.domain);
    assert_error(stack.login(&carol, &message).await, 401, "chain").await;
    let message = stack.siwe_message(c.carol, &nonce, chain_id, "evil.example:443");
    assert_error(stack.login(&carol, &message).await, 401, "domain").await;

    // Expired.
    let nonce = stack.nonce().await;
    let expired = stack
        .siwe_message(c.carol, &nonce, chain_id, &stack.domain)
        .replace(
            "Expiration Time: ",
            "Expiration Time: 2020-01-01T00:00:00Z\nX: ",
        )
        .lines()
        .filter(|l| !l.starts_with("X: "))
        .collect::<Vec<_>>()
        .join("\n");
    assert_error(stack.login(&carol, &expired).await, 401, "expired").await;

    // A session ends with its message's expiry.
    let nonce = stack.nonce().await;
    let soon = time::OffsetDateTime::now_utc() + time::Duration::seconds(2);
    let short = stack
        .siwe_message(c.carol, &nonce, chain_id, &stack.domain)
        .lines()
        .map(|l| {
            if l.starts_with("Expiration Time: ") {
                format!(
                    "Expiration Time: {}",
                    soon.format(&time::format_description::well_known::Rfc3339)
                        .unwrap()
                )
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let session: serde_json::Value = stack.login(&carol, &short).await.json().await.unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    assert_eq!(stack.get("/v1/auth/me", Some(&token)).await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    assert_error(
        stack.get("/v1/auth/me", Some(&token)).await,
        401,
        "unknown or expired",
    )
    .await;

    // Not EIP-4361, not hex, wrong length, missing fields, wrong types, unknown fields.
    let post = |body: serde_json::Value| {
        stack
            .http
            .post(format!("{}/v1/auth/login", stack.base))
            .json(&body)
            .send()
    };
    assert_error(
        post(serde_json::json!({"message": "hello", "signature": "0x00"}))
            .await
            .unwrap(),
        400,
        "EIP-4361",
    )
    .await;
    let nonce = stack.nonce().await;
    let message = stack.siwe_message(c.carol, &nonce, chain_id, &stack.domain);
    assert_error(
        post(serde_json::json!({"message": message, "signature": "zz"}))
            .await
            .unwrap(),
        400,
        "hex",
    )
    .await;
    assert_error(
        post(serde_json::json!({"message": message, "signature": "0x1234"}))
            .await
            .unwrap(),
        400,
        "65",
    )
    .await;
    assert_error(
        post(serde_json::json!({"message": message})).await.unwrap(),
        400,
        "signature",
    )
    .await;
    assert_error(
        post(serde_json::json!({"message": 7, "signature": "0x"}))
            .await
            .unwrap(),
        400,
        "message",
    )
    .await;
    assert_error(
        post(serde_json::json!({"message": message, "signature": "0x", "admin": true}))
            .await
            .unwrap(),
        400,
        "admin",
    )
    .await;
    // Not JSON, and too big.
    let response = stack
        .http
        .post(format!("{}/v1/auth/login", stack.base))
        .body("message=hi")
        .send()
        .await
        .unwrap();
    assert_error(response, 415, "content-type").await;
    let response = stack
        .http
        .post(format!("{}/v1/auth/login", stack.base))
        .header("content-type", "application/json")
        .body(format!("{{\"message\": \"{}\"}}", "a".repeat(100_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_refuse_bad_input_and_unknown_sessions() {
    let stack = Stack::start().await;
    let c = &stack.chain;
    let token = stack.sign_in(c.supervisor).await;
    let get = |path: String| {
        let token = token.clone();
        let stack = &stack;
        async move { stack.get(&path, Some(&token)).await }
    };
    assert_error(
        get("/v1/members/0x1234".into()).await,
        400,
        "not an address",
    )
    .await;
    assert_error(get("/v1/members/carol".into()).await, 400, "not an address").await;
    let stranger = PrivateKeySigner::random().address();
    assert_error(
        get(format!("/v1/members/{stranger}")).await,
        404,
        "not a member",
    )
    .await;
    assert_error(
        get(format!("/v1/accounts/{}/payments?purpose=bribe", c.carol)).await,
        400,
        "purpose",
    )
    .await;
    assert_error(
        get(format!("/v1/accounts/{}/payments?limit=0", c.carol)).await,
        400,
        "limit",
    )
    .await;
    assert_error(
        get(format!("/v1/accounts/{}/payments?limit=-5", c.carol)).await,
        400,
        "limit",
    )
    .await;
    assert_error(
        get(format!("/v1/accounts/{}/history?sort=desc", c.carol)).await,
        400,
        "sort",
    )
    .await;
    assert_error(get("/v1/cases?status=closed".into()).await, 400, "status").await;
    assert_error(get("/v1/nothing".into()).await, 404, "no such endpoint").await;

    // Sessions: none, malformed, unknown, ended.
    assert_error(stack.get("/v1/branches", None).await, 401, "sign in").await;
    let response = stack
        .http
        .get(format!("{}/v1/branches", stack.base))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_error(response, 401, "Bearer").await;
    assert_error(
        stack.get("/v1/branches", Some("tb_00")).await,
        401,
        "unknown or expired",
    )
    .await;
    let response = stack
        .http
        .post(format!("{}/v1/auth/logout", stack.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_error(
        stack.get("/v1/branches", Some(&token)).await,
        401,
        "unknown or expired",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_match_the_chain_sqlite() {
    reads_match_the_chain(Stack::start().await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_match_the_chain_postgres() {
    if let Some(stack) = Stack::start_on(true).await {
        reads_match_the_chain(stack).await;
    }
}

async fn reads_match_the_chain(stack: Stack) {
    let c = &stack.chain;
    let token = stack.sign_in(c.carol).await;
    let me: serde_json::Value = stack
        .get("/v1/auth/me", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"], serde_json::json!(["member"]));
    assert_eq!(me["homeBranch"], 2);

    let balance: serde_json::Value = stack
        .get(&format!("/v1/accounts/{}/balance", c.carol), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let on_chain = c.coin().balanceOf(c.carol).call().await.unwrap();
    assert_eq!(balance["amount"], on_chain.to_string());

    let member: serde_json::Value = stack
        .get(&format!("/v1/members/{}", c.carol), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let on_chain = c.identity().member(c.carol).call().await.unwrap();
    let statuses = ["none", "pending", "active", "suspended", "closed"];
    assert_eq!(member["status"], statuses[usize::from(on_chain.status)]);
    assert_eq!(
        member["status"], "active",
        "carol was approved in the scenario"
    );
    assert_eq!(member["homeBranch"], on_chain.homeBranch);
    assert_eq!(member["commitment"], on_chain.profileCommitment.to_string());

    let branches: serde_json::Value = stack
        .get("/v1/branches", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(branches.as_array().map(Vec::len), Some(2), "{branches}");
    assert_eq!(branches[0]["region"], "North Region");

    let payments: Vec<serde_json::Value> = stack
        .get(
            &format!("/v1/accounts/{}/payments?purpose=service_payment", c.carol),
            Some(&token),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        payments.len(),
        1,
        "the service carol gave and alice confirmed"
    );
    assert_eq!(payments[0]["purpose"], "service_payment");

    // Cases: the supervisor sees the scenario's decided cases (the adopted hold, the held gift
    // with its rule names, the recovery), newest first.
    let supervisor = stack.sign_in(c.supervisor).await;
    let cases: Vec<serde_json::Value> = stack
        .get("/v1/cases?status=cleared", Some(&supervisor))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cases.len(), 3, "{cases:?}");
    assert_eq!(cases[0]["purpose"], "recovery");
    assert!(
        cases[1]["rules"]
            .as_array()
            .unwrap()
            .contains(&"large_amount".into())
    );

    // Oldest first a page at a time (an inbox), and by rule.
    let ids = |cases: &[serde_json::Value]| -> Vec<u64> {
        cases
            .iter()
            .map(|c| c["caseId"].as_u64().unwrap())
            .collect()
    };
    let get = |path: String| {
        let stack = &stack;
        let supervisor = &supervisor;
        async move {
            let cases: Vec<serde_json::Value> = stack
                .get(&path, Some(supervisor))
                .await
                .json()
                .await
                .unwrap();
            cases
        }
    };
    let newest = ids(&cases);
    let oldest = ids(&get("/v1/cases?status=cleared&order=oldest".into()).await);
    assert_eq!(oldest, newest.iter().rev().copied().collect::<Vec<_>>());
    let first = ids(&get("/v1/cases?status=cleared&order=oldest&limit=2".into()).await);
    let next = ids(&get(format!(
        "/v1/cases?status=cleared&order=oldest&limit=2&after={}",
        first[1]
    ))
    .await);
    assert_eq!([first, next].concat(), oldest, "pages follow each other");
    let older = ids(&get(format!("/v1/cases?status=cleared&after={}", newest[0])).await);
    assert_eq!(
        older,
        newest[1..],
        "newest first, after a case: the older ones"
    );
    let large = get("/v1/cases?status=cleared&rule=large_amount".into()).await;
    assert_eq!(large.len(), 1, "{large:?}");
    assert!(
        large[0]["rules"]
            .as_array()
            .unwrap()
            .contains(&"large_amount".into())
    );
    crate::assert_error(
        stack.get("/v1/cases?rule=loud", Some(&supervisor)).await,
        400,
        "rule",
    )
    .await;

    // Held coins: the scenario's two holds (the adopted one, the held gift) were both released
    // by their cases; none is still held.
    let holds: Vec<serde_json::Value> = stack
        .get("/v1/holds", Some(&supervisor))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(holds.len(), 2, "{holds:?}");
    assert!(
        holds[0]["holdId"].as_u64() > holds[1]["holdId"].as_u64(),
        "newest first"
    );
    for hold in &holds {
        assert_eq!(hold["status"], "released", "{hold}");
        assert_eq!(hold["caseStatus"], "cleared", "{hold}");
        let case = hold["caseId"].as_u64().expect("each hold's case");
        assert!(newest.contains(&case), "{hold}: a cleared case");
    }
    let after = get(format!("/v1/holds?after={}", holds[0]["holdId"])).await;
    assert_eq!(after, holds[1..], "the page after the newest hold");
    assert!(get("/v1/holds?status=held".into()).await.is_empty());
    crate::assert_error(
        stack
            .get("/v1/holds?status=frozen", Some(&supervisor))
            .await,
        400,
        "status",
    )
    .await;

    // The risk agent's findings: the one behind the recovery case (its evidence hashed into
    // the case's reason), and a platform finding; about the caller, nothing.
    let store = timebank_indexer::Store::connect(&stack.url).await.unwrap();
    let recovery = get("/v1/cases?status=cleared".into()).await[0].clone();
    let recovery_id = recovery["caseId"].as_u64().unwrap();
    let detail = store
        .cases(&timebank_indexer::query::CaseQuery {
            after: Some(recovery_id + 1),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .remove(0);
    let finding = |n: u8, account, reason_hash| timebank_indexer::query::risk::NewRiskFinding {
        fingerprint: alloy::primitives::B256::repeat_byte(n),
        detector: "mule".into(),
        account,
        counterparty: Address::ZERO,
        severity: 2,
        score: 2_450_006,
        summary: "收到 6 小时 / received 6 h".into(),
        evidence: r#"{"payments":[],"path":[],"figures":{"delaySecs":300}}"#.into(),
        reason_hash,
        first_block: 1,
        last_block: 2,
        found_at: 1_700_000_000,
    };
    store
        .insert_risk_finding(&finding(1, detail.account, detail.reason_hash))
        .await
        .unwrap();
    store
        .insert_risk_finding(&finding(2, c.bob, alloy::primitives::B256::repeat_byte(9)))
        .await
        .unwrap();
    store
        .insert_risk_finding(&finding(
            3,
            c.supervisor,
            alloy::primitives::B256::repeat_byte(8),
        ))
        .await
        .unwrap();
    // A cycle through the supervisor: they are a hop of it, so they never see it.
    let mut through = finding(4, c.carol, alloy::primitives::B256::repeat_byte(7));
    through.evidence = format!(
        r#"{{"payments":[],"path":["{}","{}","{}"],"figures":{{}}}}"#,
        c.carol,
        c.supervisor.to_checksum(None),
        c.carol
    );
    store.insert_risk_finding(&through).await.unwrap();
    let behind = get(format!("/v1/risk/findings?case={recovery_id}")).await;
    assert_eq!(behind.len(), 1, "{behind:?}");
    assert_eq!(behind[0]["caseId"].as_u64(), Some(recovery_id));
    assert_eq!(behind[0]["severity"], "medium");
    assert_eq!(behind[0]["evidence"]["figures"]["delaySecs"], 300);
    // By score: the holds' cases (high: the monitor held coins) before the recovery, which
    // scores as the finding behind it; a page at a time by (score, id).
    let by_score = get("/v1/cases?status=cleared&order=score".into()).await;
    let scores: Vec<u64> = by_score
        .iter()
        .map(|c| c["score"].as_u64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert_eq!(
        by_score.last().unwrap()["caseId"].as_u64(),
        Some(recovery_id)
    );
    assert_eq!(scores.last(), Some(&2_450_006), "the finding's score");
    assert_eq!(scores[0], 3_000_000, "a hold scores high");
    let first = get("/v1/cases?status=cleared&order=score&limit=2".into()).await;
    let rest = get(format!(
        "/v1/cases?status=cleared&order=score&limit=2&after={}",
        first[1]["caseId"]
    ))
    .await;
    assert_eq!([first, rest].concat(), by_score, "pages follow each other");
    let all = get("/v1/risk/findings".into()).await;
    assert_eq!(
        all.len(),
        2,
        "never one about or through the supervisor: {all:?}"
    );
    assert!(
        get("/v1/risk/findings?detector=cycles".into())
            .await
            .is_empty()
    );
    crate::assert_error(
        stack
            .get("/v1/risk/findings?case=999999", Some(&supervisor))
            .await,
        404,
        "999999",
    )
    .await;
    let sighting = timebank_indexer::query::risk::PlatformSighting {
        check: "relayer_low".into(),
        subject: "0xbb".into(),
        severity: 3,
        summary: "中继账户余额低 / a relayer runs low".into(),
        remediation: "平台管理员充值 / the platform admin funds it".into(),
        details: r#"{"balance":"0"}"#.into(),
    };
    store
        .record_platform_scan("relayer_low", &[sighting], 1_700_000_000)
        .await
        .unwrap();
    let platform = get("/v1/risk/platform?open=true".into()).await;
    assert_eq!(platform.len(), 1, "{platform:?}");
    assert_eq!(platform[0]["check"], "relayer_low");
    assert_eq!(platform[0]["severity"], "high");
    assert!(platform[0]["resolvedAt"].is_null());
    store
        .record_platform_scan("relayer_low", &[], 1_700_000_060)
        .await
        .unwrap();
    assert!(get("/v1/risk/platform?open=true".into()).await.is_empty());
    assert_eq!(
        get("/v1/risk/platform".into()).await.len(),
        1,
        "resolved, still listed"
    );

    // North in figures: alice and bob were rewarded 10 hours each for activities, alice 16 for
    // a training; its members paid others.
    let stats: serde_json::Value = stack
        .get("/v1/branches/1/stats", Some(&supervisor))
        .await
        .json()
        .await
        .unwrap();
    let hours = |purpose: &str| -> f64 {
        stats["rewardsPerWeek"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["purpose"] == purpose)
            .map(|w| w["hours"].as_str().unwrap().parse::<f64>().unwrap())
            .sum()
    };
    assert_eq!(hours("activity_reward"), 20.0, "{stats}");
    assert_eq!(hours("training_reward"), 16.0, "{stats}");
    let members: u64 = stats["membersByStatus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .sum();
    assert!(members >= 2, "{stats}");
    // Payments by the payer's home branch now: carol (south) paid in the scenario.
    let south: serde_json::Value = stack
        .get("/v1/branches/2/stats", Some(&supervisor))
        .await
        .json()
        .await
        .unwrap();
    let days = south["paymentsPerDay"].as_array().unwrap();
    assert!(!days.is_empty(), "{south}");
    assert!(
        days.iter()
            .all(|d| d["day"].as_str().unwrap().len() == 10 && d["count"].as_u64().unwrap() > 0)
    );
    crate::assert_error(
        stack
            .get("/v1/branches/1/stats?days=0", Some(&supervisor))
            .await,
        400,
        "days",
    )
    .await;

    // The same answers at the other branch's... operators are scoped: north can't list south.
    let north = stack.sign_in(c.op1).await;
    crate::assert_error(
        stack.get("/v1/cases?branch=2", Some(&north)).await,
        403,
        "own branch",
    )
    .await;

    // Readiness and the API description.
    let ready: serde_json::Value = stack.get("/ready", None).await.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    let openapi: serde_json::Value = stack.get("/openapi.json", None).await.json().await.unwrap();
    assert!(openapi["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(openapi["paths"]["/v1/accounts/{address}/payments"].is_object());
    let docs = stack.get("/docs", None).await;
    assert_eq!(docs.status(), 200);
    // Every response carries a request id.
    assert!(
        stack
            .get("/health", None)
            .await
            .headers()
            .contains_key("x-request-id")
    );
}
