//! The live stream carries new alerts as the chain makes them, scoped by role.

use crate::Stack;
use alloy::primitives::U256;
use futures::StreamExt;
use std::time::Duration;
use timebank_testkit::{HOUR, send};

/// Reads SSE frames from `response` until one named `event` arrives (or `wait` passes).
pub(crate) async fn next_event(
    response: reqwest::Response,
    event: &str,
    wait: Duration,
) -> Option<serde_json::Value> {
    let mut body = response.bytes_stream();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .ok()??
            .ok()?;
        text.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = text.find("\n\n") {
            let frame: String = text.drain(..end + 2).collect();
            let name = frame.lines().find_map(|l| l.strip_prefix("event: "));
            let data = frame.lines().find_map(|l| l.strip_prefix("data: "));
            if name == Some(event) {
                return data.map(|d| serde_json::from_str(d).unwrap());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn alerts_reach_supervisors_and_the_members_branch_only() {
    let stack = Stack::start().await;
    let c = &stack.chain;
    let supervisor = stack.sign_in(c.supervisor).await;
    let north = stack.sign_in(c.op1).await; // carol and bob are south members now
    let south = stack.sign_in(c.op2).await;
    let open = |token: String| {
        let stack = &stack;
        async move {
            let r = stack.get("/v1/events", Some(&token)).await;
            assert_eq!(r.status(), 200);
            assert_eq!(
                r.headers()["content-type"].to_str().unwrap(),
                "text/event-stream"
            );
            r
        }
    };
    let (for_supervisor, for_north, for_south) =
        (open(supervisor).await, open(north).await, open(south).await);
    // A large gift between two south members fires the large-amount rule.
    send!(
        c.coin()
            .transfer(c.bob, U256::from(10 * HOUR))
            .from(c.carol)
    );

    let wait = Duration::from_secs(10);
    let seen = next_event(for_supervisor, "RuleHit", wait)
        .await
        .expect("the supervisor sees the alert");
    assert_eq!(seen["event"], "RuleHit");
    assert_eq!(seen["fields"]["from"], c.carol.to_checksum(None));
    assert!(seen["branches"].as_array().unwrap().contains(&2.into()));
    assert!(
        next_event(for_south, "RuleHit", wait).await.is_some(),
        "south's operator sees an alert about south's members"
    );
    assert!(
        next_event(for_north, "RuleHit", Duration::from_secs(2))
            .await
            .is_none(),
        "north's operator does not"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_risk_agents_platform_findings_reach_supervisors_not_operators() {
    let stack = Stack::start().await;
    let c = &stack.chain;
    let supervisor = stack.sign_in(c.supervisor).await;
    let north = stack.sign_in(c.op1).await;
    let for_supervisor = stack.get("/v1/events", Some(&supervisor)).await;
    let for_north = stack.get("/v1/events", Some(&north)).await;
    // Let the hub start (it skips what is already open), then the agent sees a node fork.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let store = timebank_indexer::Store::connect(&stack.url).await.unwrap();
    let fork = timebank_indexer::query::risk::PlatformSighting {
        check: "node_fork".into(),
        subject: "branch 2 node".into(),
        severity: 4,
        summary: "网点 2 的节点分叉 / branch 2's node forked".into(),
        remediation: "停止写入 / stop writes".into(),
        details: "{}".into(),
    };
    store
        .record_platform_scan("node_fork", &[fork], 1_700_000_000)
        .await
        .unwrap();
    let seen = next_event(for_supervisor, "PlatformFinding", Duration::from_secs(10))
        .await
        .expect("the supervisor sees the platform finding");
    assert_eq!(seen["fields"]["check"], "node_fork");
    assert_eq!(seen["fields"]["severity"], "critical");
    assert!(
        next_event(for_north, "PlatformFinding", Duration::from_secs(2))
            .await
            .is_none(),
        "an operator watches their branch's members, not the platform"
    );
    // `/ready` says the stream follows the index (the risk agent's `event_stream_stalled`).
    let ready: serde_json::Value = stack.get("/ready", None).await.json().await.unwrap();
    assert!(ready["livePolledSecsAgo"].as_u64().unwrap() <= 2, "{ready}");
}
