//! The platform end to end: two branches' stacks (north on SQLite, south on PostgreSQL), each
//! with its own gateway, indexer and database, on one anvil chain, driven only through the
//! gateways' HTTP APIs by wallets that sign (the chain's clock is the one thing moved directly).

use alloy::{
    primitives::Address,
    providers::{Provider, ProviderBuilder, ext::AnvilApi},
    signers::local::PrivateKeySigner,
};
use futures::StreamExt;
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use timebank_client::{Action, ClientError, Gateway, Session, api::ProfileAction};
use timebank_e2e::{eventually, platform, quantile_ms};

const WAIT: Duration = Duration::from_secs(20);

fn key(keys: &[String], i: usize) -> PrivateKeySigner {
    keys[i].parse().unwrap()
}

/// `GET path` at `session` until `ok` holds for the answer.
async fn seen(session: &Session, path: &str, ok: impl Fn(&Value) -> bool) -> Duration {
    eventually(path, WAIT, || async {
        session.get::<Value>(path).await.ok().filter(|v| ok(v))
    })
    .await
    .1
}

/// Makes the write `action` (the API's JSON) with `signer`, as a person's client does: built
/// and checked locally, signed, relayed. Returns the relay's answer.
async fn act(session: &Session, signer: &PrivateKeySigner, action: Value) -> Value {
    let typed: Action =
        serde_json::from_value(action.clone()).unwrap_or_else(|err| panic!("{action}: {err}"));
    let answer = session
        .act(signer, &typed)
        .await
        .unwrap_or_else(|err| panic!("{action}: {err}"));
    let answer = serde_json::to_value(answer).unwrap();
    assert_eq!(answer["success"], true, "{action}: {answer}");
    answer
}

fn profile(name: &str) -> Value {
    json!({"fullName": name, "dateOfBirth": "1980-04-01", "contact": format!("{name}@example.org"),
        "identityDocument": {"type": "passport", "number": format!("E{name}")}})
}

#[tokio::test(flavor = "multi_thread")]
async fn two_branches_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let platform = platform(dir.path()).await.unwrap();
    let keys = platform.accounts().unwrap().keys;
    let (north, south) = (
        Gateway::new(&platform.gateways[0], platform.deployment.clone()).unwrap(),
        Gateway::new(&platform.gateways[1], platform.deployment.clone()).unwrap(),
    );
    let (a1, a2, b1, b2) = (key(&keys, 1), key(&keys, 2), key(&keys, 3), key(&keys, 4));
    let (supervisor, skills_issuer) = (key(&keys, 7), key(&keys, 9));
    let member = PrivateKeySigner::random();
    let friend = PrivateKeySigner::random();
    let chain = ProviderBuilder::new().connect_http(platform.rpc.parse().unwrap());

    // 1. North registers a member (one operator submits, another approves); south sees the
    // member, verifies the profile the member presents, and can't read the private profile.
    let at_a1 = north.sign_in(&a1).await.unwrap();
    let kept = at_a1
        .publish_profile(
            &a1,
            member.address(),
            profile("mira"),
            ProfileAction::Submit,
        )
        .await
        .unwrap();
    let at_a2 = north.sign_in(&a2).await.unwrap();
    act(
        &at_a2,
        &a2,
        json!({"action": "approve_member", "account": member.address()}),
    )
    .await;
    let at_b1 = south.sign_in(&b1).await.unwrap();
    let m = format!("/v1/members/{}", member.address());
    seen(&at_b1, &m, |v| {
        v["status"] == "active" && v["homeBranch"] == 1
    })
    .await;
    let verified: Value = at_b1
        .post(&format!("{m}/verify"), &json!({"profile": kept}))
        .await
        .unwrap();
    assert_eq!(verified["matches"], true);
    match at_b1
        .get::<Value>(&format!("{m}/profile?reason=curious"))
        .await
    {
        Err(ClientError::Api { status: 403, .. }) => {}
        other => panic!("south's operator read north's member's profile: {other:?}"),
    }
    let sup_at_b = south.sign_in(&supervisor).await.unwrap();
    let read: Value = sup_at_b
        .get(&format!("{m}/profile?reason=cross-branch%20review"))
        .await
        .unwrap();
    assert_eq!(read["profile"], kept, "a supervisor may, with a reason");

    // A second member at south, to pay and be paid.
    let friend_kept = at_b1
        .publish_profile(
            &b1,
            friend.address(),
            profile("finn"),
            ProfileAction::Submit,
        )
        .await
        .unwrap();
    let at_b2 = south.sign_in(&b2).await.unwrap();
    act(
        &at_b2,
        &b2,
        json!({"action": "approve_member", "account": friend.address()}),
    )
    .await;
    assert!(friend_kept["salt"].is_string());

    // 2. A licence: issued for an hour, renewed for two; an activity requiring it.
    let now = chain
        .get_block(alloy::eips::BlockId::latest())
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp;
    let issuer_at_a = north.sign_in(&skills_issuer).await.unwrap();
    for (action, expires) in [
        ("issue_credential", now + 3600),
        ("renew_credential", now + 7200),
    ] {
        act(
            &issuer_at_a,
            &skills_issuer,
            json!({"action": action, "account": member.address(), "type_id": 2,
                "document_hash": format!("0x{}", "ab".repeat(32)), "expires_at": expires}),
        )
        .await;
    }
    let licence_valid = |valid: bool| {
        move |v: &Value| {
            v["credentials"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["typeId"] == 2 && c["valid"] == valid))
        }
    };
    seen(&at_a1, &m, licence_valid(true)).await;
    seen(&at_b1, &m, licence_valid(true)).await;
    act(
        &at_a1,
        &a1,
        json!({"action": "create_activity", "branch_id": 1, "kind": "activity", "hours_cap": "40",
            "required_credential_type": 2, "details": "night shift at the care home"}),
    )
    .await;
    act(
        &at_a1,
        &a1,
        json!({"action": "create_activity", "branch_id": 1, "kind": "activity", "hours_cap": "40",
            "required_credential_type": 2, "details": "a second shift, after the licence expires"}),
    )
    .await;
    let me_at_a = north.sign_in(&member).await.unwrap();
    for activity in [1, 2] {
        act(
            &me_at_a,
            &member,
            json!({"action": "join_activity", "activity_id": activity}),
        )
        .await;
        act(
            &at_a1,
            &a1,
            json!({"action": "record_hours", "activity_id": activity, "volunteer": member.address(), "hours": "30"}),
        )
        .await;
        act(
            &me_at_a,
            &member,
            json!({"action": "confirm_hours", "activity_id": activity, "hours": "30"}),
        )
        .await;
    }
    // 4. An activity reward while the licence is valid.
    act(
        &at_a1,
        &a1,
        json!({"action": "settle", "activity_id": 1, "volunteer": member.address()}),
    )
    .await;
    // ...and after it expires, both branches see it, and the second shift is refused.
    chain.anvil_increase_time(3 * 3600).await.unwrap();
    chain.evm_mine(None).await.unwrap();
    seen(&at_a1, &m, licence_valid(false)).await;
    seen(&at_b1, &m, licence_valid(false)).await;
    match at_a1
        .act(
            &a1,
            &Action::Settle {
                activity_id: 2,
                volunteer: member.address(),
            },
        )
        .await
    {
        Err(ClientError::Api { status: 422, body }) => {
            assert!(body.message.contains("Credential"), "{}", body.message)
        }
        other => panic!("an activity rewarded an expired licence: {other:?}"),
    }

    // 3. The member moves from north to south, keeping coins and credentials.
    let balance_before: Value = me_at_a
        .get(&format!("/v1/accounts/{}/balance", member.address()))
        .await
        .unwrap();
    act(
        &me_at_a,
        &member,
        json!({"action": "request_move", "account": member.address(), "to_branch": 2}),
    )
    .await;
    act(
        &at_b1,
        &b1,
        json!({"action": "accept_move", "account": member.address()}),
    )
    .await;
    seen(&at_a1, &m, |v| v["homeBranch"] == 2).await;
    let moved: Value = at_b1.get(&m).await.unwrap();
    assert!(
        !moved["credentials"].as_array().unwrap().is_empty(),
        "{moved}"
    );
    let me_at_b = south.sign_in(&member).await.unwrap();
    let balance_after: Value = me_at_b
        .get(&format!("/v1/accounts/{}/balance", member.address()))
        .await
        .unwrap();
    assert_eq!(balance_before["amount"], balance_after["amount"]);

    // 4. A training reward at south, a service confirmed by both sides, a gift.
    act(
        &at_b1,
        &b1,
        json!({"action": "create_activity", "branch_id": 2, "kind": "training", "hours_cap": "20",
            "required_credential_type": 0, "details": "first-aid course"}),
    )
    .await;
    let friend_at_b = south.sign_in(&friend).await.unwrap();
    for who in [(&me_at_b, &member), (&friend_at_b, &friend)] {
        act(
            who.0,
            who.1,
            json!({"action": "join_activity", "activity_id": 3}),
        )
        .await;
        act(&at_b1, &b1, json!({"action": "record_hours", "activity_id": 3, "volunteer": who.1.address(), "hours": "16"})).await;
        act(
            who.0,
            who.1,
            json!({"action": "confirm_hours", "activity_id": 3, "hours": "16"}),
        )
        .await;
        act(
            &at_b1,
            &b1,
            json!({"action": "settle", "activity_id": 3, "volunteer": who.1.address()}),
        )
        .await;
    }
    act(
        &me_at_b,
        &member,
        json!({"action": "propose_service", "requester": friend.address(), "hours": "2", "details": "fixed a bike"}),
    )
    .await;
    act(
        &friend_at_b,
        &friend,
        json!({"action": "confirm_service", "service_id": 1}),
    )
    .await;
    act(
        &friend_at_b,
        &friend,
        json!({"action": "pay", "to": member.address(), "hours": "0.5", "purpose": "gift"}),
    )
    .await;
    let payments = format!("/v1/accounts/{}/payments", member.address());
    seen(&me_at_b, &payments, |v| {
        [
            "activity_reward",
            "training_reward",
            "service_payment",
            "gift",
        ]
        .iter()
        .all(|purpose| {
            v.as_array()
                .is_some_and(|p| p.iter().any(|p| p["purpose"] == *purpose))
        })
    })
    .await;

    // 5. Structuring (three gifts just under the 10-hour threshold), a round trip, a large gift
    // held; south's supervisor decides the cases; north sees the outcomes and the risk level.
    for _ in 0..3 {
        act(
            &me_at_b,
            &member,
            json!({"action": "pay", "to": friend.address(), "hours": "8.5", "purpose": "gift"}),
        )
        .await;
    }
    act(
        &friend_at_b,
        &friend,
        json!({"action": "pay", "to": member.address(), "hours": "1", "purpose": "gift"}),
    )
    .await;
    let held = act(
        &me_at_b,
        &member,
        json!({"action": "pay", "to": friend.address(), "hours": "12", "purpose": "gift"}),
    )
    .await;
    assert_eq!(held["monitor"]["action"], "hold", "{held}");
    let open: Vec<Value> = {
        let (cases, _) = eventually("open cases", WAIT, || async {
            let cases: Vec<Value> = sup_at_b.get("/v1/cases?status=open").await.ok()?;
            let rules: Vec<String> = cases
                .iter()
                .flat_map(|c| c["rules"].as_array().cloned().unwrap_or_default())
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect();
            ["structuring", "round_trip", "large_amount"]
                .iter()
                .all(|r| rules.iter().any(|x| x == r))
                .then_some(cases)
        })
        .await;
        cases
    };
    for case in &open {
        let id = case["caseId"].as_u64().unwrap();
        let large = case["rules"]
            .as_array()
            .unwrap()
            .contains(&json!("large_amount"));
        act(
            &sup_at_b,
            &supervisor,
            json!({"action": "decide_case", "case_id": id,
                "outcome": if large { "cleared" } else { "confirmed" },
                "note": format!("reviewed case {id} with both members"),
                "risk_level": if large { "none" } else { "medium" }}),
        )
        .await;
    }
    let sup_at_a = north.sign_in(&supervisor).await.unwrap();
    seen(&sup_at_a, "/v1/cases?status=open", |v| {
        v.as_array().is_some_and(|c| {
            c.iter().all(|c| {
                c["account"]
                    .as_str()
                    .and_then(|a| a.parse::<Address>().ok())
                    != Some(member.address())
            })
        })
    })
    .await;
    seen(&at_a1, &m, |v| v["risk"] == "medium").await;

    // 6. A lost wallet: south's operator asks to move the membership to a new address, and a
    // supervisor approves the recovery case that opens.
    let renewed = PrivateKeySigner::random();
    act(
        &at_b1,
        &b1,
        json!({"action": "request_recovery", "previous_account": member.address(),
            "new_account": renewed.address(), "reason": "phone lost, identity re-checked in person"}),
    )
    .await;
    let (recovery, _) = eventually("the recovery case", WAIT, || async {
        let cases: Vec<Value> = sup_at_b.get("/v1/cases?status=open").await.ok()?;
        cases.into_iter().find(|c| {
            c["account"]
                .as_str()
                .and_then(|a| a.parse::<Address>().ok())
                == Some(member.address())
                && c["purpose"] == "recovery"
        })
    })
    .await;
    act(
        &sup_at_b,
        &supervisor,
        json!({"action": "decide_case", "case_id": recovery["caseId"],
            "outcome": "cleared", "note": "met the member with their identity card",
            "risk_level": "medium"}),
    )
    .await;
    let moved_to = format!("/v1/members/{}", renewed.address());
    let (record, _) = eventually("the recovered member", WAIT, || async {
        at_b1.get::<Value>(&moved_to).await.ok()
    })
    .await;
    assert_eq!(record["memberId"], moved["memberId"]);
    let renewed_at_b = south.sign_in(&renewed).await.unwrap();
    let balance: Value = renewed_at_b
        .get(&format!("/v1/accounts/{}/balance", renewed.address()))
        .await
        .unwrap();
    assert_ne!(balance["amount"], "0");

    // 7. Cross-branch visibility: a gift relayed at south, seen at north, timed from the moment
    // the chain announced the gift's block to a new-heads subscriber (not from the relay's
    // answer, which comes later).
    let announced = Arc::new(Mutex::new(HashMap::<u64, Instant>::new()));
    let ws = ProviderBuilder::new()
        .connect(&platform.rpc.replace("http://", "ws://"))
        .await
        .unwrap();
    let mut heads = ws.subscribe_blocks().await.unwrap().into_stream();
    let recorder = {
        let announced = Arc::clone(&announced);
        tokio::spawn(async move {
            while let Some(head) = heads.next().await {
                announced
                    .lock()
                    .unwrap()
                    .insert(head.number, Instant::now());
            }
        })
    };
    let friend_path = format!("/v1/accounts/{}/payments?limit=1000", friend.address());
    let mut samples = Vec::new();
    for _ in 0..40 {
        let before = sup_at_a
            .get::<Vec<Value>>(&friend_path)
            .await
            .unwrap()
            .len();
        let answer = act(
            &friend_at_b,
            &friend,
            json!({"action": "pay", "to": renewed.address(), "hours": "0.1", "purpose": "gift"}),
        )
        .await;
        let block = answer["blockNumber"].as_u64().unwrap();
        eventually("the gift at north", WAIT, || async {
            let now = sup_at_a.get::<Vec<Value>>(&friend_path).await.ok()?;
            (now.len() > before).then_some(())
        })
        .await;
        let seen = Instant::now();
        let (at, _) = eventually("the gift's block announced", WAIT, || async {
            announced.lock().unwrap().get(&block).copied()
        })
        .await;
        samples.push(seen.saturating_duration_since(at));
    }
    recorder.abort();
    println!(
        "BENCH cross_branch_visibility_p50_ms {:.1} ms",
        quantile_ms(&mut samples, 0.5)
    );
    println!(
        "BENCH cross_branch_visibility_p99_ms {:.1} ms",
        quantile_ms(&mut samples, 0.99)
    );

    // 8. Every branch's database holds the same projection of the chain, row for row, whether
    // it is SQLite or PostgreSQL.
    let digests = same_head_digests(&chain, &platform.databases).await;
    assert!(digests["balance"].rows >= 4, "{digests:?}");
    assert!(digests["event_log"].rows > 50, "{digests:?}");
    platform.stop().await;
}

/// Each branch's table digests, read when every index has the chain's head (the risk agent may
/// add a block meanwhile: then again); asserts that they are the same at every branch.
async fn same_head_digests(
    chain: &impl Provider,
    databases: &[String],
) -> std::collections::BTreeMap<&'static str, timebank_indexer::store::TableDigest> {
    let mut stores = Vec::new();
    for url in databases {
        stores.push(timebank_indexer::Store::connect(url).await.unwrap());
    }
    for _ in 0..20 {
        let head = chain.get_block_number().await.unwrap();
        for store in &stores {
            eventually("every index at the chain's head", WAIT, || async {
                (store.head().await.ok()??.number >= head).then_some(())
            })
            .await;
        }
        let mut all = Vec::new();
        for store in &stores {
            all.push(store.digests().await.unwrap());
        }
        if chain.get_block_number().await.unwrap() != head {
            continue;
        }
        for (url, digests) in databases.iter().zip(&all).skip(1) {
            for (table, digest) in digests {
                assert_eq!(
                    Some(digest),
                    all[0].get(table),
                    "{table} differs between {} and {}",
                    databases[0],
                    timebank_indexer::config::redact(url)
                );
            }
        }
        return all.swap_remove(0);
    }
    panic!("the chain kept moving while the branches' digests were read");
}
