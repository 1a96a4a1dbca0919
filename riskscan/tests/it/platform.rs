//! The platform scans against a real anvil: what each check sees, recorded once while it
//! lasts, resolved when it is gone.

use crate::World;
use alloy::{primitives::Address, providers::ext::AnvilApi, sol_types::SolCall};
use timebank_bindings::{HOUR, TimeCoin};
use timebank_riskscan::{Config, config::BranchEndpoints};
use timebank_testkit::send;

fn checks(seen: &[timebank_riskscan::platform::Sighting]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = seen
        .iter()
        .map(|s| (s.check.clone(), s.subject.clone()))
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn the_platform_scans_see_what_is_wrong_and_when_it_is_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let url = timebank_testkit::fresh_database(false, dir.path())
        .await
        .unwrap();
    let w = World::start().await;
    let chain = &w.chain;
    let store = timebank_testkit::index_to_head(chain, &url).await;
    let broke = Address::repeat_byte(0xbb);
    let mut config = Config::default();
    config.platform.max_block_age_secs = 3600;
    config.platform.relayers = vec![chain.deployment.admin, broke];
    config.platform.branches = vec![
        BranchEndpoints {
            branch: 1,
            rpc_url: chain.anvil.endpoint_url(),
            gateway_url: None,
        },
        BranchEndpoints {
            branch: 2,
            rpc_url: "http://127.0.0.1:1".parse().unwrap(),
            gateway_url: Some("http://127.0.0.1:1/".parse().unwrap()),
        },
    ];
    let agent = w.agent(store.clone(), config.clone()).await;
    let seen = agent.scan_platform().await.unwrap();
    let found = checks(&seen);
    assert!(
        found.contains(&("node_unreachable".into(), "branch 2 node".into())),
        "{seen:#?}"
    );
    assert!(
        found.contains(&("gateway_down".into(), "branch 2 gateway".into())),
        "{seen:#?}"
    );
    assert!(
        found.contains(&("relayer_low".into(), broke.to_string())),
        "{seen:#?}"
    );
    assert!(
        !found
            .iter()
            .any(|(_, s)| *s == chain.deployment.admin.to_string()),
        "the admin is funded"
    );
    assert!(
        found.iter().any(|(c, _)| c == "role_changed"),
        "the setup's role grants are listed: {seen:#?}"
    );
    for quiet in [
        "monitor_rules_loosened",
        "monitor_replaced",
        "quota_near_end",
        "chain_stuck",
        "node_fork",
    ] {
        assert!(!found.iter().any(|(c, _)| c == quiet), "{quiet}: {found:?}");
    }

    // The governor switches structuring off and raises the gift threshold; a branch's quota
    // nears its end.
    let (mut rules, actions) = chain.default_rules().await;
    rules.enabled &= !(1 << 3);
    rules.largeGift = 50;
    chain
        .govern(&[(
            chain.deployment.contracts.time_coin,
            TimeCoin::setMonitorRulesCall {
                config: rules,
                actions,
            }
            .abi_encode(),
        )])
        .await;
    send!(chain.ledger().setMintQuota(1, 640 * HOUR));
    let store = timebank_testkit::index_to_head(chain, &url).await;
    let agent = w.agent(store.clone(), config.clone()).await;
    let seen = agent.scan_platform().await.unwrap();
    let loosened = seen
        .iter()
        .find(|s| s.check == "monitor_rules_loosened")
        .expect("the loosened rules are seen");
    assert!(
        loosened.summary.contains("structuring off"),
        "{}",
        loosened.summary
    );
    assert!(
        loosened.summary.contains("largeGift 50"),
        "{}",
        loosened.summary
    );
    assert_eq!(loosened.severity, 3);
    assert!(
        seen.iter().any(|s| s.check == "quota_near_end"),
        "600 of 640 h minted"
    );
    let open = store.platform_findings(true, 100).await.unwrap();
    assert_eq!(
        open.iter()
            .filter(|f| f.check == "monitor_rules_loosened")
            .count(),
        1,
        "one finding while it lasts"
    );
    // Seen again: still one.
    agent.scan_platform().await.unwrap();
    let again = store.platform_findings(true, 100).await.unwrap();
    assert_eq!(
        again.len(),
        open.len(),
        "a repeated sighting is the same finding"
    );

    // The governor restores the defaults: the finding is resolved.
    let (rules, actions) = chain.default_rules().await;
    chain
        .govern(&[(
            chain.deployment.contracts.time_coin,
            TimeCoin::setMonitorRulesCall {
                config: rules,
                actions,
            }
            .abi_encode(),
        )])
        .await;
    agent.scan_platform().await.unwrap();
    let all = store.platform_findings(false, 100).await.unwrap();
    let rules_finding = all
        .iter()
        .find(|f| f.check == "monitor_rules_loosened")
        .unwrap();
    assert!(
        rules_finding.resolved_at.is_some(),
        "resolved once the rules are back"
    );

    // A validator's clock an hour ahead; then a chain that stops.
    chain.provider.anvil_increase_time(3600).await.unwrap();
    chain.provider.evm_mine(None).await.unwrap();
    let seen = agent.scan_platform().await.unwrap();
    assert!(
        seen.iter().any(|s| s.check == "block_time_drift"),
        "{:?}",
        checks(&seen)
    );
    let mut stopped = config.clone();
    stopped.platform.max_block_age_secs = 0;
    stopped.platform.max_drift_secs = 7200;
    let agent = w.agent(store.clone(), stopped).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // (The head is an hour ahead of this clock: give it the hour back first.)
    let seen = agent.scan_platform().await.unwrap();
    assert!(!seen.iter().any(|s| s.check == "block_time_drift"));
    drop(seen);
}
