//! Access ends when it should: with the branch, when the index can no longer vouch for roles,
//! and for open live streams when the session ends or the roles change. Members are not told
//! of supervision about themselves.

use crate::{Stack, assert_error, live::next_event};
use alloy::{
    primitives::{B256, U256, keccak256},
    providers::ext::AnvilApi,
};
use std::time::Duration;
use timebank_bindings::roles;
use timebank_gateway::cache::Stamp;
use timebank_testkit::{HOUR, send};

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_of_a_closed_branch_and_a_stale_index_get_nothing() {
    let stack = Stack::start().await;
    let c = &stack.chain;
    let op2 = stack.sign_in(c.op2).await;
    assert_eq!(stack.get("/v1/cases", Some(&op2)).await.status(), 200);
    // The admin closes south: its operators are operators no more, at this gateway too.
    send!(c.access().setBranchActive(2, false));
    stack.caught_up().await;
    assert_error(stack.get("/v1/cases", Some(&op2)).await, 403, "roles").await;
    let me: serde_json::Value = stack
        .get("/v1/auth/me", Some(&op2))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["operatorBranch"], serde_json::Value::Null, "{me}");

    // The indexer stops; the chain goes on. Roles read from the index could be roles revoked
    // since: answers that depend on them wait (503) until the index catches up.
    let supervisor = stack.sign_in(c.supervisor).await;
    stack.stop_indexer();
    c.provider.anvil_mine(Some(40), None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let response = stack.get("/v1/cases", Some(&supervisor)).await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "stale_index", "{body}");
    assert!(
        body["details"]["chainHead"].as_u64().unwrap() >= 40,
        "{body}"
    );
    assert_eq!(stack.get("/health", None).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_stream_ends_with_the_right_to_watch_it() {
    let stack = Stack::start().await;
    let c = &stack.chain;
    let closed = |response: reqwest::Response| async move {
        next_event(response, "closed", Duration::from_secs(10))
            .await
            .map(|data| data["reason"].as_str().unwrap().to_owned())
    };

    // Signing out closes the session's streams.
    let token = stack.sign_in(c.supervisor).await;
    let stream = stack.get("/v1/events", Some(&token)).await;
    assert_eq!(stream.status(), 200);
    let out = stack.post("/v1/auth/logout", Some(&token), &()).await;
    assert_eq!(out.status(), 204);
    assert_eq!(closed(stream).await.as_deref(), Some("signed_out"));

    // A session that expires closes its streams when it does.
    let nonce = stack.nonce().await;
    let message = stack.siwe_message(c.supervisor, &nonce, c.deployment.chain_id, &stack.domain);
    let expiring = {
        let now = time::OffsetDateTime::now_utc() + time::Duration::seconds(3);
        let at = now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let (head, _) = message.rsplit_once("Expiration Time: ").unwrap();
        format!("{head}Expiration Time: {at}")
    };
    let login = stack.login(stack.key(c.supervisor), &expiring).await;
    assert_eq!(login.status(), 200, "{}", login.text().await.unwrap());
    let short: serde_json::Value = login.json().await.unwrap();
    let stream = stack.get("/v1/events", short["token"].as_str()).await;
    assert_eq!(stream.status(), 200);
    assert_eq!(closed(stream).await.as_deref(), Some("session_expired"));

    // The supervisor role revoked on chain closes the supervisor's stream.
    let token = stack.sign_in(c.supervisor).await;
    let stream = stack.get("/v1/events", Some(&token)).await;
    assert_eq!(stream.status(), 200);
    send!(c.access().revokeRole(roles::SUPERVISOR, c.supervisor));
    assert_eq!(closed(stream).await.as_deref(), Some("roles_changed"));

    // A caller holds a few streams at most.
    let token = stack.sign_in(c.op2).await;
    let mut open = Vec::new();
    for _ in 0..4 {
        let stream = stack.get("/v1/events", Some(&token)).await;
        assert_eq!(stream.status(), 200);
        open.push(stream);
    }
    assert_error(stack.get("/v1/events", Some(&token)).await, 429, "streams").await;
    drop(open.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(stack.get("/v1/events", Some(&token)).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_standing_outlives_blocks_of_payments_and_ends_with_a_revocation() {
    let stack = Stack::start().await;
    let c = &stack.chain;
    let state = &stack.north.state;
    let head = async || state.store.head().await.unwrap().unwrap();
    let kept = |head| state.callers.get(Stamp::standing(&head), &c.supervisor);
    let supervisor = stack.sign_in(c.supervisor).await;
    assert_eq!(
        stack.get("/v1/holds", Some(&supervisor)).await.status(),
        200
    );
    let before = head().await;
    assert!(kept(before).is_some());

    // Blocks of payments change nobody's standing: the one read before is still the one kept.
    for _ in 0..3 {
        send!(
            c.coin()
                .transfer(c.bob, U256::from(HOUR / 10))
                .from(c.carol)
        );
    }
    stack.caught_up().await;
    let after = head().await;
    assert!(after.number >= before.number + 3);
    assert_eq!(after.standing_version, before.standing_version);
    assert!(kept(after).is_some(), "kept across the blocks");
    assert_eq!(
        stack.get("/v1/holds", Some(&supervisor)).await.status(),
        200
    );

    // The role revoked: refused from the first request after its block is indexed.
    send!(c.access().revokeRole(roles::SUPERVISOR, c.supervisor));
    stack.caught_up().await;
    assert!(head().await.standing_version > after.standing_version);
    assert_error(
        stack.get("/v1/holds", Some(&supervisor)).await,
        403,
        "needs one of these roles",
    )
    .await;
}

/// Events of `account`'s own history, by name.
async fn own_history(
    stack: &Stack,
    token: &str,
    account: alloy::primitives::Address,
) -> Vec<serde_json::Value> {
    let response = stack
        .get(
            &format!("/v1/accounts/{account}/history?limit=1000"),
            Some(token),
        )
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn named<'a>(events: &'a [serde_json::Value], name: &str) -> Vec<&'a serde_json::Value> {
    events.iter().filter(|e| e["event"] == name).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_is_not_told_of_supervision_until_it_is_decided() {
    let stack = Stack::start().await;
    let c = &stack.chain;
    let carol = stack.sign_in(c.carol).await;
    let op2 = stack.sign_in(c.op2).await;
    let seen_before = own_history(&stack, &carol, c.carol).await;

    // A large gift is held and opens a case about carol.
    send!(
        c.coin()
            .transfer(c.bob, U256::from(10 * HOUR))
            .from(c.carol)
    );
    // A partner warns about carol.
    let alert = c
        .identity()
        .raiseRiskAlert(c.carol, keccak256("partner's concern"))
        .from(stack.partner)
        .call()
        .await
        .unwrap();
    send!(
        c.identity()
            .raiseRiskAlert(c.carol, keccak256("partner's concern"))
            .from(stack.partner)
    );
    stack.caught_up().await;
    let seen = own_history(&stack, &carol, c.carol).await;
    for hidden in ["RuleHit", "CaseOpened", "MovementHeld", "RiskAlertRaised"] {
        assert_eq!(
            named(&seen, hidden).len(),
            named(&seen_before, hidden).len(),
            "carol sees a new {hidden} about herself"
        );
    }
    // Her operator sees what carol does not.
    let theirs = own_history(&stack, &op2, c.carol).await;
    assert!(named(&theirs, "CaseOpened").len() > named(&seen, "CaseOpened").len());
    // Nor her risk level: staff see it, members don't (not even their own).
    let record = |token: String| {
        let stack = &stack;
        async move {
            let r: serde_json::Value = stack
                .get(&format!("/v1/members/{}", c.carol), Some(&token))
                .await
                .json()
                .await
                .unwrap();
            r["risk"].clone()
        }
    };
    assert_eq!(record(carol.clone()).await, serde_json::Value::Null);
    assert_eq!(
        record(stack.sign_in(c.bob).await).await,
        serde_json::Value::Null
    );
    assert!(record(op2.clone()).await.is_string());

    // The supervisor decides the case and assesses the alert: now carol sees both, never who
    // warned about her.
    let case = c.desk().caseCount().call().await.unwrap();
    send!(
        c.desk()
            .decideCase(case, 2, keccak256("a family gift"), 0)
            .from(c.supervisor)
    );
    send!(
        c.identity()
            .assessRiskAlert(alert, 1, B256::ZERO)
            .from(c.supervisor)
    );
    stack.caught_up().await;
    let seen = own_history(&stack, &carol, c.carol).await;
    assert!(named(&seen, "CaseOpened").len() > named(&seen_before, "CaseOpened").len());
    let raised = named(&seen, "RiskAlertRaised");
    assert!(!raised.is_empty());
    assert!(
        raised.iter().all(|e| e["fields"].get("partner").is_none()),
        "{raised:?}"
    );
}

/// Staff who are also members don't see a case they are part of in the list of cases: not
/// about them, and not as the other side of the movement (as holds and findings), and a page
/// is cut after they are left out, so it is never short.
async fn nobody_lists_a_case_they_are_part_of(postgres: bool) {
    let Some(stack) = Stack::start_on(postgres).await else {
        return;
    };
    let c = &stack.chain;
    // carol, a member, is also an auditor, who lists every branch's cases.
    send!(c.access().grantRole(roles::AUDITOR, c.carol));
    stack.caught_up().await;
    let list = |token: String, query: &'static str| {
        let stack = &stack;
        async move {
            let cases: Vec<serde_json::Value> = stack
                .get(&format!("/v1/cases{query}"), Some(&token))
                .await
                .json()
                .await
                .unwrap();
            cases
        }
    };
    let carol = c.carol.to_string().to_lowercase();
    let hers = |case: &serde_json::Value| {
        ["account", "counterparty"]
            .iter()
            .any(|k| case[k].as_str().unwrap().to_lowercase() == carol)
    };
    let all = list(stack.sign_in(c.supervisor).await, "").await;
    assert!(
        all.iter()
            .any(|case| hers(case) && case["account"].as_str().unwrap().to_lowercase() != carol),
        "the scenario has a case with carol as the other side (bob's large gift): {all:?}"
    );
    let token = stack.sign_in(c.carol).await;
    let seen = list(token.clone(), "").await;
    assert!(
        !seen.iter().any(hers),
        "carol sees a case she is part of: {seen:?}"
    );
    assert_eq!(seen.len(), all.iter().filter(|case| !hers(case)).count());
    let first = list(token, "?limit=1").await;
    assert_eq!(
        first,
        seen[..1],
        "a page of one is the newest case that is not hers"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn nobody_lists_a_case_they_are_part_of_sqlite() {
    nobody_lists_a_case_they_are_part_of(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nobody_lists_a_case_they_are_part_of_postgres() {
    nobody_lists_a_case_they_are_part_of(true).await;
}
