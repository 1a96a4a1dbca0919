//! `make bench-indexer`: creates at least 100,000 TimeCoin movements on anvil, then backfills
//! them with every projection into a fresh SQLite file and a fresh PostgreSQL database, and
//! prints `BENCH indexer_backfill_sqlite N events/s` and `BENCH indexer_backfill_postgres ...`.
//!
//! Settings (environment): `BENCH_MOVEMENTS` (default 100000), `BENCH_MEMBERS` (100),
//! `TIMEBANK_BENCH_POSTGRES_URL` (a server to create the database on; the Makefile starts one).

use alloy::{
    node_bindings::Anvil,
    primitives::{Address, B256, U256, keccak256},
    providers::{Provider, ProviderBuilder, ext::AnvilApi},
};
use eyre::WrapErr;
use futures::{StreamExt, stream};
use std::{path::Path, time::Instant};
use timebank_bindings::{IdentityRegistry, ServiceLedger, TimeCoin, TimebankAccess, roles};
use timebank_indexer::{Deployment, Settings, Store};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const HOUR: u128 = 1_000_000_000_000_000_000;
const MINE_EVERY: usize = 4_000;
const GAS: u64 = 400_000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    timebank_indexer::telemetry::init_logs(false);
    let movements = env_usize("BENCH_MOVEMENTS", 100_000);
    let members = env_usize("BENCH_MEMBERS", 100);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let anvil = Anvil::new()
        .path(root.join("node_modules/.bin/anvil"))
        .args([
            "--accounts",
            &(members + 10).to_string(),
            "--gas-limit",
            "3000000000",
        ])
        .args([
            "--no-mining",
            "--order",
            "fifo",
            "--disable-code-size-limit",
        ])
        .try_spawn()?;
    let provider = ProviderBuilder::new()
        .disable_recommended_fillers()
        .connect_http(anvil.endpoint_url());
    let accounts = provider.get_accounts().await?;
    let (admin, op1, op2) = (accounts[0], accounts[1], accounts[2]);
    let people: Vec<Address> = accounts[10..10 + members].to_vec();

    // Deployment, with automine on for the setup, off for the bulk.
    provider.anvil_set_auto_mine(true).await?;
    let start_block = provider.get_block_number().await?;
    let a = timebank_bindings::deploy::deploy_all(&provider, admin).await?;
    let access = TimebankAccess::new(a.access, &provider);
    let identity = IdentityRegistry::new(a.identity_registry, &provider);
    let ledger = ServiceLedger::new(a.service_ledger, &provider);
    let coin = TimeCoin::new(a.time_coin, &provider);
    for call in [
        access.addBranch("north".into(), "North".into(), keccak256("north key")),
        access.addBranch("south".into(), "South".into(), keccak256("south key")),
    ] {
        call.from(admin).send().await?.get_receipt().await?;
    }
    access
        .grantRole(roles::operator(1), op1)
        .from(admin)
        .send()
        .await?
        .get_receipt()
        .await?;
    access
        .grantRole(roles::operator(1), op2)
        .from(admin)
        .send()
        .await?
        .get_receipt()
        .await?;
    ledger
        .setMintQuota(1, u128::MAX / 2)
        .from(admin)
        .send()
        .await?
        .get_receipt()
        .await?;
    ledger
        .createActivity(1, 0, 1_000 * HOUR, 0, B256::ZERO)
        .from(op1)
        .send()
        .await?
        .get_receipt()
        .await?;

    provider.anvil_set_auto_mine(false).await?;
    let setup = Instant::now();
    // Nonces are assigned here, so that many transactions can wait in the pool at once.
    let mut nonces = std::collections::HashMap::new();
    for who in people.iter().chain([&op1, &op2]) {
        nonces.insert(*who, provider.get_transaction_count(*who).pending().await?);
    }
    let mut next = |who: Address| {
        let n = nonces.get_mut(&who).expect("a known sender");
        *n += 1;
        *n - 1
    };
    let activity = U256::from(1);
    let mut pending = Vec::new();
    for p in &people {
        pending.push(
            identity
                .submitMember(
                    *p,
                    1,
                    keccak256(p),
                    keccak256([p.as_slice(), b"person"].concat()),
                    vec![1u8; 64].into(),
                )
                .from(op1)
                .gas(GAS)
                .nonce(next(op1))
                .send()
                .await?,
        );
    }
    mine(&provider, &mut pending).await.wrap_err("setup")?;
    for p in &people {
        pending.push(
            identity
                .approveMember(*p)
                .from(op2)
                .gas(GAS)
                .nonce(next(op2))
                .send()
                .await?,
        );
    }
    mine(&provider, &mut pending).await.wrap_err("setup")?;
    for p in &people {
        pending.push(
            ledger
                .joinActivity(activity)
                .from(*p)
                .gas(GAS)
                .nonce(next(*p))
                .send()
                .await?,
        );
        pending.push(
            ledger
                .recordHours(activity, *p, 1_000 * HOUR)
                .from(op1)
                .gas(GAS)
                .nonce(next(op1))
                .send()
                .await?,
        );
    }
    mine(&provider, &mut pending).await.wrap_err("setup")?;
    for p in &people {
        pending.push(
            ledger
                .confirmHours(activity, 1_000 * HOUR)
                .from(*p)
                .gas(GAS)
                .nonce(next(*p))
                .send()
                .await?,
        );
    }
    mine(&provider, &mut pending).await.wrap_err("setup")?;
    for p in &people {
        pending.push(
            ledger
                .settle(activity, *p)
                .from(op1)
                .gas(GAS)
                .nonce(next(op1))
                .send()
                .await?,
        );
    }
    mine(&provider, &mut pending).await.wrap_err("setup")?;

    // The movements: gifts between members, in blocks of MINE_EVERY.
    let sent = Instant::now();
    let n = people.len();
    let mut done = 0;
    while done < movements {
        let chunk = MINE_EVERY.min(movements - done);
        let calls = (done..done + chunk).map(|i| {
            let (from, to) = (people[i % n], people[(i * 7 + 1 + i / n) % n]);
            let to = if to == from { people[(i + 1) % n] } else { to };
            coin.transfer(to, U256::from(HOUR / 1000))
                .from(from)
                .gas(GAS)
        });
        // One lane per sender, in nonce order; the lanes run side by side.
        let mut lanes: Vec<Vec<_>> = (0..n).map(|_| Vec::new()).collect();
        for (i, call) in (done..done + chunk).zip(calls) {
            lanes[i % n].push(call);
        }
        let results: Vec<_> = stream::iter(lanes)
            .map(|lane| async move {
                for call in lane {
                    // Mined below, with the whole block.
                    drop(call.send().await?);
                }
                Ok::<_, alloy::contract::Error>(())
            })
            .buffer_unordered(n)
            .collect()
            .await;
        for r in results {
            r.wrap_err_with(|| format!("sending movements {done}.."))?;
        }
        provider.evm_mine(None).await?;
        done += chunk;
    }
    let last = provider.get_block_number().await?;
    let receipt_check = provider
        .get_block_receipts(last.into())
        .await?
        .unwrap_or_default();
    eyre::ensure!(
        receipt_check.iter().all(|r| r.status()),
        "a benchmark transfer reverted"
    );
    eprintln!(
        "bench: {} members set up in {:.1}s; {movements} movements sent and mined in {:.1}s ({} blocks)",
        n,
        (sent - setup).as_secs_f64(),
        sent.elapsed().as_secs_f64(),
        last - start_block
    );

    let deployment = Deployment::new(provider.get_chain_id().await?, start_block, admin, a);
    // A fresh anvil serves its first read of these blocks' logs about twice as slowly as later
    // ones; a branch's long-running node would not. One read before either database is timed,
    // so that neither pays it (the first one timed used to).
    let warm = Instant::now();
    let logs = provider
        .get_logs(
            &alloy::rpc::types::Filter::new()
                .address(vec![a.time_coin, a.identity_registry, a.service_ledger])
                .from_block(start_block)
                .to_block(last),
        )
        .await?;
    eprintln!(
        "bench: the node served {} logs once before timing ({:.2}s)",
        logs.len(),
        warm.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir()?;
    let sqlite = format!("sqlite://{}", dir.path().join("bench.sqlite").display());
    backfill(
        "indexer_backfill_sqlite",
        &anvil.endpoint(),
        &sqlite,
        &deployment,
    )
    .await?;
    match std::env::var("TIMEBANK_BENCH_POSTGRES_URL") {
        Ok(server) => {
            let url = create_database(&server).await?;
            backfill(
                "indexer_backfill_postgres",
                &anvil.endpoint(),
                &url,
                &deployment,
            )
            .await?;
        }
        Err(_) => eprintln!("bench: TIMEBANK_BENCH_POSTGRES_URL unset, PostgreSQL skipped"),
    }
    Ok(())
}

/// Mines the pending transactions into one block and checks they all succeeded.
async fn mine<P: Provider>(
    provider: &P,
    pending: &mut Vec<alloy::providers::PendingTransactionBuilder<alloy::network::Ethereum>>,
) -> eyre::Result<()> {
    provider.evm_mine(None).await?;
    for tx in pending.drain(..) {
        let receipt = tx.get_receipt().await?;
        eyre::ensure!(
            receipt.status(),
            "setup transaction {} reverted",
            receipt.transaction_hash
        );
    }
    Ok(())
}

async fn backfill(name: &str, rpc: &str, url: &str, deployment: &Deployment) -> eyre::Result<()> {
    let store = Store::connect(url).await?;
    let settings = Settings {
        rpc_url: rpc.into(),
        ws_url: None,
        deployment: Default::default(),
        database_url: url.into(),
        start_block: None,
        confirmations: 0,
        max_range: 10_000,
        poll_interval: std::time::Duration::from_millis(50),
        metrics_addr: None,
        stop_at_head: true,
        log_json: false,
    };
    let provider = ProviderBuilder::new().connect_http(rpc.parse()?);
    let started = Instant::now();
    timebank_indexer::run(
        provider,
        store.clone(),
        &settings,
        deployment,
        std::future::pending(),
    )
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    let events = store.count("event_log").await?;
    let payments = store.count("payment").await?;
    eprintln!("bench: {name}: {events} events ({payments} payments) in {seconds:.2}s");
    println!("BENCH {name} {:.0} events/s", events as f64 / seconds);
    Ok(())
}

async fn create_database(server: &str) -> eyre::Result<String> {
    let name = format!("bench_{}", std::process::id());
    Ok(timebank_indexer::store::create_database(server, &name, true).await?)
}
