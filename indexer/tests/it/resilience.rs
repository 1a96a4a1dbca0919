//! Reorgs, kill -9 during backfill and while following, and the node going away and coming
//! back: the index ends up equal to the chain every time, with nothing lost or duplicated.

use crate::ingest::assert_matches_chain;
use alloy::{
    network::TransactionBuilder,
    primitives::{Address, U256},
    providers::{Provider, ext::AnvilApi},
    rpc::types::{
        TransactionRequest,
        anvil::{ReorgOptions, TransactionData},
    },
    sol_types::SolCall,
};
use std::{path::Path, process::Stdio, time::Duration};
use timebank_bindings::TimeCoin;
use timebank_indexer::Store;
use timebank_testkit::send;
use timebank_testkit::{Chain, HOUR, fresh_database, index_to_head};

async fn reorg_rolls_back_and_replays(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = fresh_database(postgres, dir.path()).await else {
        return;
    };
    let chain = Chain::start().await;
    let fresh = chain.scenario().await;
    let standing_version =
        async |store: &Store| store.head().await.unwrap().unwrap().standing_version;
    let registered = standing_version(&index_to_head(&chain, &url).await).await;
    assert!(registered > 0, "the scenario's roles and members moved it");
    let coin = chain.coin();
    for _ in 0..3 {
        send!(
            coin.transfer(chain.bob, U256::from(HOUR / 10))
                .from(chain.carol)
        );
    }
    let store = index_to_head(&chain, &url).await;
    assert_matches_chain(&chain, &store, &[fresh, chain.bob, chain.carol]).await;
    assert_eq!(
        standing_version(&store).await,
        registered,
        "payments change nobody's standing"
    );

    // The last three blocks are replaced by a fork where carol paid the recovered wallet
    // instead of bob.
    let fresh_before = coin.balanceOf(fresh).call().await.unwrap();
    let before = chain.provider.get_block_number().await.unwrap();
    fork_where_carol_pays(&chain, 3, fresh, HOUR / 2).await;
    assert_eq!(chain.provider.get_block_number().await.unwrap(), before);
    assert_eq!(
        coin.balanceOf(fresh).call().await.unwrap(),
        fresh_before + U256::from(HOUR / 2),
        "the fork's payment landed"
    );

    let store = index_to_head(&chain, &url).await;
    assert_matches_chain(&chain, &store, &[fresh, chain.bob, chain.carol]).await;
    assert!(
        standing_version(&store).await > registered,
        "a rollback empties the standing tables: cached standings go"
    );
    let to_fresh = store
        .payments(
            Some(fresh),
            Some(timebank_bindings::types::Purpose::Gift),
            100,
        )
        .await
        .unwrap();
    assert!(
        to_fresh.iter().any(|p| p.sender == chain.carol),
        "the fork's payment is indexed"
    );

    // A fork one block longer than the index: the first block read after the tip is a single
    // block whose parent is not the tip, which must roll the tip back rather than follow it.
    fork_where_carol_pays(&chain, 2, chain.bob, HOUR / 4).await;
    chain.provider.evm_mine(None).await.unwrap();
    assert_eq!(chain.provider.get_block_number().await.unwrap(), before + 1);
    let store = index_to_head(&chain, &url).await;
    assert_matches_chain(&chain, &store, &[fresh, chain.bob, chain.carol]).await;
}

/// Replaces the chain's last `depth` blocks by a fork whose first block has carol paying `to`.
async fn fork_where_carol_pays(chain: &Chain, depth: u64, to: Address, hours: u128) {
    let tx = TransactionRequest::default()
        .with_from(chain.carol)
        .with_to(chain.deployment.contracts.time_coin)
        .with_input(
            TimeCoin::transferCall {
                to,
                value: U256::from(hours),
            }
            .abi_encode(),
        )
        .with_gas_limit(300_000);
    chain
        .provider
        .anvil_reorg(ReorgOptions {
            depth,
            tx_block_pairs: vec![(TransactionData::JSON(tx), 0)],
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn reorg_rolls_back_and_replays_sqlite() {
    reorg_rolls_back_and_replays(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reorg_rolls_back_and_replays_postgres() {
    reorg_rolls_back_and_replays(true).await;
}

/// Writes the deployment file the binary reads.
fn write_deployment(chain: &Chain, path: &Path) {
    std::fs::write(path, serde_json::to_string(&chain.deployment).unwrap()).unwrap();
}

fn indexer(chain: &Chain, deployment: &Path, url: &str, extra: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_timebank-indexer"));
    cmd.args(["--rpc-url", &chain.anvil.endpoint(), "--database-url", url])
        .args(if extra.contains(&"--poll-ms") {
            &[][..]
        } else {
            &["--poll-ms", "20"][..]
        })
        .arg("--deployment")
        .arg(deployment)
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// Many small blocks of payments, rules off (so that nothing is held).
async fn payments(chain: &Chain, n: usize) {
    let coin = chain.coin();
    let members = [chain.bob, chain.carol];
    for i in 0..n {
        let (from, to) = (members[i % 2], members[(i + 1) % 2]);
        let pending = coin
            .transfer(to, U256::from(HOUR / 1000))
            .from(from)
            .send()
            .await
            .unwrap();
        if i % 50 == 49 {
            pending.get_receipt().await.unwrap();
        }
    }
}

/// Runs the binary to the head and checks the index against the chain.
async fn catch_up_and_compare(chain: &Chain, deployment: &Path, url: &str, fresh: Address) {
    let status = indexer(chain, deployment, url, &["--stop-at-head"])
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let store = timebank_indexer::Store::connect(url).await.unwrap();
    assert_matches_chain(chain, &store, &[fresh, chain.bob, chain.carol]).await;
}

async fn rules_off(chain: &Chain) {
    let (mut config, _) = chain.default_rules().await;
    config.enabled = 0;
    chain
        .govern(&[(
            chain.deployment.contracts.time_coin,
            TimeCoin::setMonitorRulesCall { config, actions: 0 }.abi_encode(),
        )])
        .await;
}

async fn kill_during_backfill(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = fresh_database(postgres, dir.path()).await else {
        return;
    };
    let chain = Chain::start().await;
    let fresh = chain.scenario().await;
    rules_off(&chain).await;
    payments(&chain, 300).await;
    let deployment = dir.path().join("deployment.json");
    write_deployment(&chain, &deployment);

    // Kill it three times at different points of a backfill in tiny ranges.
    for delay in [150u64, 300, 450] {
        let mut child = indexer(&chain, &deployment, &url, &["--max-range", "3"])
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(delay)).await;
        child.start_kill().unwrap(); // SIGKILL
        let _ = child.wait().await;
    }
    catch_up_and_compare(&chain, &deployment, &url, fresh).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_backfill_sqlite() {
    kill_during_backfill(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_backfill_postgres() {
    kill_during_backfill(true).await;
}

async fn kill_while_following(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = fresh_database(postgres, dir.path()).await else {
        return;
    };
    let chain = Chain::start().await;
    let fresh = chain.scenario().await;
    rules_off(&chain).await;
    let deployment = dir.path().join("deployment.json");
    write_deployment(&chain, &deployment);

    let mut child = indexer(&chain, &deployment, &url, &[]).spawn().unwrap();
    payments(&chain, 100).await; // indexed live, block by block
    child.start_kill().unwrap();
    let _ = child.wait().await;
    payments(&chain, 100).await; // while it is down
    catch_up_and_compare(&chain, &deployment, &url, fresh).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_while_following_sqlite() {
    kill_while_following(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_while_following_postgres() {
    kill_while_following(true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_chain_or_database_url_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chain::start().await;
    let deployment = dir.path().join("deployment.json");
    write_deployment(&chain, &deployment);
    let text = std::fs::read_to_string(&deployment)
        .unwrap()
        .replace("\"chainId\":31337", "\"chainId\":5");
    std::fs::write(&deployment, text).unwrap();
    let url = format!("sqlite://{}", dir.path().join("x.sqlite").display());
    let out = indexer(&chain, &deployment, &url, &["--stop-at-head"])
        .stderr(Stdio::piped())
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("chain 31337 but the deployment file is for chain 5"),
        "{stderr}"
    );

    let out = indexer(&chain, &deployment, "mysql://root:hunter2@db/x", &[])
        .stderr(Stdio::piped())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("database_url must start with"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "the password leaked: {stderr}");
}

/// Follows the head woken by WebSocket new-head notifications alone (the poll interval is a
/// minute), and serves its metrics.
#[tokio::test(flavor = "multi_thread")]
async fn follows_by_websocket_and_serves_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("ws.sqlite").display());
    let chain = Chain::start().await;
    let fresh = chain.scenario().await;
    rules_off(&chain).await;
    let deployment = dir.path().join("deployment.json");
    write_deployment(&chain, &deployment);
    let metrics = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let ws = chain.anvil.ws_endpoint();
    let metrics_arg = metrics.to_string();
    let log = dir.path().join("indexer.log");
    let mut child = indexer(
        &chain,
        &deployment,
        &url,
        &["--poll-ms", "60000", "--ws-url", &ws],
    )
    .args(["--metrics-addr", &metrics_arg])
    .stderr(std::fs::File::create(&log).unwrap())
    .spawn()
    .unwrap();
    // Let it backfill and subscribe, then move coins: only a new-head notification can make
    // it look again within the deadline.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    payments(&chain, 5).await;
    let store = timebank_indexer::Store::connect(&url).await.unwrap();
    let head = chain.provider.get_block_number().await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while store.checkpoint().await.unwrap().map(|(n, _)| n) != Some(head) {
        assert!(
            std::time::Instant::now() < deadline,
            "not caught up by WebSocket within 20 s; its log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_matches_chain(&chain, &store, &[fresh, chain.bob, chain.carol]).await;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(metrics).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut body = String::new();
    stream.read_to_string(&mut body).await.unwrap();
    assert!(body.contains("timebank_indexer_events_total"), "{body}");
    assert!(body.contains("timebank_indexer_head_lag_blocks"), "{body}");
    child.start_kill().unwrap();
}

/// The node goes away under a following indexer and comes back (same port, state reloaded):
/// the indexer retries meanwhile and catches up afterwards.
#[tokio::test(flavor = "multi_thread")]
async fn survives_the_node_stopping_and_restarting() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("restart.sqlite").display());
    let state = dir.path().join("anvil-state.json");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let node = |state: &Path| {
        timebank_testkit::anvil()
            .port(port)
            .arg("--state")
            .arg(state)
            .args(["--state-interval", "1"])
    };
    let mut chain = Chain::start_with(node(&state)).await;
    let fresh = chain.scenario().await;
    rules_off(&chain).await;
    let deployment = dir.path().join("deployment.json");
    write_deployment(&chain, &deployment);
    let mut child = indexer(&chain, &deployment, &url, &[]).spawn().unwrap();
    payments(&chain, 20).await;

    // Let the state be dumped, then take the node down hard.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    chain.anvil.child_mut().kill().unwrap();
    let _ = chain.anvil.child_mut().wait();
    tokio::time::sleep(Duration::from_millis(1500)).await; // the indexer now retries
    let restarted = node(&state)
        .try_spawn()
        .expect("anvil restarts on the same port");
    drop(std::mem::replace(&mut chain.anvil, restarted));
    payments(&chain, 20).await;

    let store = timebank_indexer::Store::connect(&url).await.unwrap();
    let head = chain.provider.get_block_number().await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while store.checkpoint().await.unwrap().map(|(n, _)| n) != Some(head) {
        assert!(
            std::time::Instant::now() < deadline,
            "no catch-up within 30 s of the restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_matches_chain(&chain, &store, &[fresh, chain.bob, chain.carol]).await;
    child.start_kill().unwrap();
}

/// An indexer and its gateway opening a new SQLite database at the same moment both get it
/// migrated (SQLite has no migration lock; the loser of the race retries).
#[tokio::test(flavor = "multi_thread")]
async fn two_processes_opening_a_new_sqlite_database_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..10 {
        let url = format!(
            "sqlite://{}",
            dir.path().join(format!("{i}.sqlite")).display()
        );
        let (a, b) = tokio::join!(Store::connect(&url), Store::connect(&url));
        a.unwrap();
        b.unwrap();
    }
}
