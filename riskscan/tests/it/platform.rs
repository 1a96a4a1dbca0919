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

#[tokio::test(flavor = "multi_thread")]
async fn the_governors_queue_and_uniqueness_keys_are_watched() {
    use alloy::primitives::{B256, Bytes, U256, keccak256};
    use timebank_bindings::TimebankTimelock;

    let dir = tempfile::tempdir().unwrap();
    let url = timebank_testkit::fresh_database(false, dir.path())
        .await
        .unwrap();
    let w = World::start().await;
    let chain = &w.chain;
    // A proposal in the governor's queue: switch a rule off.
    let timelock = TimebankTimelock::new(chain.deployment.contracts.timelock, &chain.provider);
    let (target, data) = (
        chain.deployment.contracts.time_coin,
        Bytes::from(
            TimeCoin::setRuleEnabledCall {
                ruleId: 1,
                enabled: false,
            }
            .abi_encode(),
        ),
    );
    let salt = B256::repeat_byte(0x29);
    let delay = timelock.getMinDelay().call().await.unwrap();
    send!(timelock.schedule(target, U256::ZERO, data.clone(), B256::ZERO, salt, delay));
    let id = timelock
        .hashOperation(target, U256::ZERO, data, B256::ZERO, salt)
        .call()
        .await
        .unwrap();
    // A member's key replaced by the admin; a pending member rejected (its key released).
    let identity = chain.identity();
    send!(identity.setUniquenessKey(w.members[0], keccak256("a new key")));
    let stranger = Address::repeat_byte(0x42);
    send!(
        identity
            .submitMember(stranger, 1, keccak256(stranger), vec![1].into())
            .from(chain.op1)
    );
    send!(
        identity
            .bindUniquenessKey(stranger, timebank_testkit::person(stranger))
            .from(chain.issuer)
    );
    send!(
        identity
            .rejectMember(stranger, keccak256("a duplicate"))
            .from(chain.op1b)
    );
    let store = timebank_testkit::index_to_head(chain, &url).await;
    let mut config = Config::default();
    config.platform.max_block_age_secs = 3600;
    let agent = w.agent(store.clone(), config).await;
    let seen = agent.scan_platform().await.unwrap();
    let of = |check: &str| -> Vec<&timebank_riskscan::platform::Sighting> {
        seen.iter().filter(|s| s.check == check).collect()
    };
    let proposals = of("governance_proposal");
    assert_eq!(proposals.len(), 1, "{:?}", checks(&seen));
    assert_eq!(proposals[0].subject, format!("TimebankTimelock {id}"));
    assert_eq!(proposals[0].severity, 3);
    assert!(
        proposals[0].summary.contains("setRuleEnabled"),
        "the call in words: {}",
        proposals[0].summary
    );
    let set = of("uniqueness_key_set");
    let by = |actor: Address| {
        set.iter()
            .find(|s| s.subject.ends_with(&actor.to_string()))
            .unwrap_or_else(|| panic!("keys set by {actor}: {set:?}"))
    };
    assert_eq!(by(chain.deployment.admin).severity, 2, "a key replaced");
    // North's gateway key (the issuer's here) binds new members' first keys.
    assert_eq!(by(chain.issuer).severity, 1, "new members' first keys");
    assert!(by(chain.issuer).summary.contains("set 21 uniqueness keys"));
    let released = of("uniqueness_key_released");
    assert_eq!(released.len(), 1, "{:?}", checks(&seen));
    assert!(released[0].summary.contains(&chain.op1b.to_string()));

    // The guardian cancels the proposal: resolved.
    send!(timelock.cancel(id));
    let store = timebank_testkit::index_to_head(chain, &url).await;
    let seen = agent.scan_platform().await.unwrap();
    assert!(!seen.iter().any(|s| s.check == "governance_proposal"));
    let all = store.platform_findings(false, 100).await.unwrap();
    let proposal = all
        .iter()
        .find(|f| f.check == "governance_proposal")
        .unwrap();
    assert!(proposal.resolved_at.is_some());
}
