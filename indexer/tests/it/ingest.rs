//! Backfill, state checks against the chain, restarts, reorgs and kill -9, on both databases.

use alloy::{
    primitives::{Address, U256},
    providers::Provider,
    rpc::types::Filter,
};
use timebank_indexer::Store;
use timebank_testkit::{Chain, fresh_database, index_to_head};

/// Every event kind the scenario emits, by contract and name.
/// Events the scenario can't emit, and why. Every other event of every indexed contract's ABI
/// must be in the event log after the scenario.
const NOT_EMITTED: &[(&str, &str, &str)] = &[
    (
        "*",
        "EIP712DomainChanged",
        "OpenZeppelin emits it only if the domain changes, which ours never does",
    ),
    (
        "TimebankTimelock",
        "RoleAdminChanged",
        "OpenZeppelin's TimelockController never changes a role's admin",
    ),
    (
        "TimebankForwarder",
        "ExecutedForwardRequest",
        "relayed requests are the gateway's tests' (relay.rs)",
    ),
];

/// Every event the indexed contracts can emit, by contract, from the ABIs in the bindings.
fn every_event(deployment: &timebank_indexer::Deployment) -> Vec<(String, String)> {
    let mut all = Vec::new();
    for (name, _) in deployment.indexed() {
        let (_, json) = timebank_bindings::ABIS
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap();
        let abi: alloy::json_abi::JsonAbi = serde_json::from_str(json).unwrap();
        for event in abi.events() {
            let skipped = NOT_EMITTED
                .iter()
                .any(|(c, e, _)| (*c == "*" || *c == name) && *e == event.name);
            if !skipped {
                all.push((name.to_string(), event.name.clone()));
            }
        }
    }
    all.sort();
    all.dedup();
    all
}

async fn chain_log_count(chain: &Chain) -> u64 {
    let d = &chain.deployment;
    let filter = Filter::new()
        .address(d.indexed().iter().map(|(_, a)| *a).collect::<Vec<_>>())
        .from_block(d.start_block)
        .to_block(chain.provider.get_block_number().await.unwrap());
    chain.provider.get_logs(&filter).await.unwrap().len() as u64
}

/// The index agrees with the contracts: balances and member records, log and payment counts.
pub async fn assert_matches_chain(chain: &Chain, store: &Store, accounts: &[Address]) {
    let coin = chain.coin();
    let identity = chain.identity();
    for account in accounts {
        let on_chain = coin.balanceOf(*account).call().await.unwrap();
        let indexed = store.balance(*account).await.unwrap();
        assert_eq!(indexed, on_chain.to_string(), "balance of {account}");
        let block = chain.provider.get_block_number().await.unwrap();
        assert_eq!(
            store.balance_at(*account, block).await.unwrap(),
            on_chain.to_string()
        );
        let m = identity.member(*account).call().await.unwrap();
        match store.member(*account).await.unwrap() {
            Some(row) => {
                assert_eq!(
                    row.member_id,
                    m.memberId.to::<u64>(),
                    "member id of {account}"
                );
                assert_eq!(
                    row.home_branch,
                    u64::from(m.homeBranch),
                    "home branch of {account}"
                );
                assert_eq!(u8::from(row.status), m.status, "status of {account}");
                assert_eq!(u8::from(row.risk), m.risk, "risk of {account}");
                assert_eq!(row.profile_version, u64::from(m.profileVersion));
                assert_eq!(row.commitment, m.profileCommitment);
                assert_eq!(row.pending_move_to, u64::from(m.pendingMoveTo));
            }
            None => assert_eq!(m.memberId.to::<u64>(), 0, "{account} is a member on chain"),
        }
    }
    assert_eq!(
        store.count("event_log").await.unwrap(),
        chain_log_count(chain).await,
        "log count"
    );
    let transfers = Filter::new()
        .address(chain.deployment.contracts.time_coin)
        .event_signature(timebank_bindings::TimeCoin::Transfer::SIGNATURE_HASH)
        .from_block(chain.deployment.start_block);
    let transfers = chain.provider.get_logs(&transfers).await.unwrap().len() as u64;
    assert_eq!(
        store.count("payment").await.unwrap(),
        transfers,
        "one payment per Transfer"
    );
}

use alloy::sol_types::SolEvent;
use timebank_bindings::types::Purpose;

async fn every_event_is_projected(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = fresh_database(postgres, dir.path()).await else {
        eprintln!("skipped: TIMEBANK_TEST_POSTGRES_URL is not set");
        return;
    };
    let chain = Chain::start().await;
    let fresh = chain.scenario().await;
    let store = index_to_head(&chain, &url).await;

    let names: Vec<(String, String)> =
        sqlx::query_as("SELECT DISTINCT contract, event FROM event_log")
            .fetch_all(store.pool())
            .await
            .unwrap();
    let missing: Vec<_> = every_event(&chain.deployment)
        .into_iter()
        .filter(|event| !names.contains(event))
        .collect();
    assert!(
        missing.is_empty(),
        "the scenario emits no {missing:?}: emit them, or say in NOT_EMITTED why it can't"
    );
    let escrow = chain.deployment.contracts.time_coin;
    assert_matches_chain(
        &chain,
        &store,
        &[chain.alice, fresh, chain.bob, chain.carol, escrow],
    )
    .await;

    // Projections beyond members and balances.
    assert_eq!(store.count("branch").await.unwrap(), 2);
    assert_eq!(
        store.count("credential").await.unwrap(),
        3,
        "alice's, bob's revoked one and carol's upload"
    );
    assert_eq!(
        store.count("profile_version").await.unwrap(),
        6,
        "five members submitted, alice updated"
    );
    assert_eq!(store.count("activity_settlement").await.unwrap(), 4);
    assert_eq!(
        store.count("coin_hold").await.unwrap(),
        2,
        "the adopted one and the decided one"
    );
    assert_eq!(store.count("rule_hit").await.unwrap(), 2);
    let service_payments = store
        .payments(None, Some(Purpose::ServicePayment), 100)
        .await
        .unwrap();
    assert_eq!(
        service_payments.len(),
        2,
        "both through the ledger: a member's own payment is a gift"
    );
    let rewards = store
        .payments(None, Some(Purpose::ActivityReward), 100)
        .await
        .unwrap();
    assert_eq!(rewards.len(), 3);
    assert_eq!(
        store
            .payments(None, Some(Purpose::TrainingReward), 100)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(rewards.iter().all(|p| p.sender == Address::ZERO));
    let gifts = store
        .payments(Some(chain.bob), Some(Purpose::Gift), 100)
        .await
        .unwrap();
    assert!(
        gifts
            .iter()
            .any(|p| p.sender == chain.alice && p.recipient == chain.bob)
    );
    // The held gift's case was cleared: nothing open anywhere.
    assert!(store.open_cases(1).await.unwrap().is_empty());
    assert!(store.open_cases(2).await.unwrap().is_empty());
    // The recovered wallet inherits the history of the member, in order.
    let history = store.history(fresh, 100).await.unwrap();
    assert!(history.iter().any(|h| h.event == "MemberRecovered"));
    let history = store.history(chain.alice, 1000).await.unwrap();
    assert!(
        history
            .windows(2)
            .all(|w| (w[0].block_number, w[0].log_index) < (w[1].block_number, w[1].log_index))
    );
    assert!(history.iter().any(|h| h.event == "MemberSubmitted"));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_event_is_projected_sqlite() {
    every_event_is_projected(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_event_is_projected_postgres() {
    every_event_is_projected(true).await;
}

async fn restart_resumes_without_duplicates(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = fresh_database(postgres, dir.path()).await else {
        return;
    };
    let chain = Chain::start().await;
    let fresh = chain.scenario().await;
    let store = index_to_head(&chain, &url).await;
    let first = store.count("event_log").await.unwrap();
    drop(store);
    // More activity while the indexer is down, then a new process picks up.
    let coin = chain.coin();
    for _ in 0..5 {
        timebank_testkit::send!(
            coin.transfer(chain.bob, U256::from(timebank_testkit::HOUR / 10))
                .from(chain.carol)
        );
    }
    let store = index_to_head(&chain, &url).await;
    assert!(store.count("event_log").await.unwrap() > first);
    assert_matches_chain(&chain, &store, &[fresh, chain.bob, chain.carol]).await;
    // Running again at the head writes nothing new.
    let before = store.count("payment").await.unwrap();
    let store = index_to_head(&chain, &url).await;
    assert_eq!(store.count("payment").await.unwrap(), before);

    // A batch that does not follow the stored checkpoint (a lost commit answer replayed, or a
    // second writer) is refused whole.
    let (at, hash) = store.checkpoint().await.unwrap().unwrap();
    let events = store.count("event_log").await.unwrap();
    for stale in [None, Some((at - 1, hash))] {
        let err = store
            .write_batch(&Default::default(), stale, (at + 1, hash, 0))
            .await
            .unwrap_err();
        assert!(
            matches!(err, timebank_indexer::Error::Moved(_)),
            "{stale:?}: {err}"
        );
        assert!(
            err.to_string().contains(&format!("checkpoint is at {at}")),
            "{err}"
        );
    }
    assert_eq!(store.checkpoint().await.unwrap(), Some((at, hash)));
    assert_eq!(store.count("event_log").await.unwrap(), events);
}

#[tokio::test(flavor = "multi_thread")]
async fn restart_resumes_without_duplicates_sqlite() {
    restart_resumes_without_duplicates(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn restart_resumes_without_duplicates_postgres() {
    restart_resumes_without_duplicates(true).await;
}

/// A revert decodes to the contract's typed error through the bindings.
#[tokio::test(flavor = "multi_thread")]
async fn reverts_decode_to_typed_errors() {
    use timebank_bindings::TimeCoin::{TimeCoinErrors, TimeCoinNotActiveMember};
    let chain = Chain::start().await;
    chain.scenario().await;
    let stranger = Address::repeat_byte(0x42);
    let err = chain
        .coin()
        .transfer(stranger, U256::from(1))
        .from(chain.carol)
        .call()
        .await
        .expect_err("a transfer to a non-member reverts");
    match err.as_decoded_interface_error::<TimeCoinErrors>() {
        Some(TimeCoinErrors::TimeCoinNotActiveMember(TimeCoinNotActiveMember { account })) => {
            assert_eq!(account, stranger)
        }
        other => panic!("expected TimeCoinNotActiveMember, got {other:?}"),
    }
}
