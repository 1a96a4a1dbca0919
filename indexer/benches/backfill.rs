//! `make bench-indexer`: creates at least 100,000 TimeCoin movements on anvil, then backfills
//! them with every projection into a fresh SQLite file and a fresh PostgreSQL database, each
//! judged against two limits measured in the same run: the rate the node serves the same logs
//! at (`indexer_backfill_*_vs_node`), and the rate the same database takes the same event_log
//! rows at with no decoding or projection (`indexer_backfill_*_vs_raw_insert`).
//!
//! Settings (environment): `BENCH_MOVEMENTS` (default 100000), `BENCH_MEMBERS` (100),
//! `TIMEBANK_BENCH_POSTGRES_URL` (a server to create the database on; the Makefile starts one).

use alloy::{
    node_bindings::Anvil,
    primitives::{Address, B256, U256, keccak256},
    providers::{Provider, ProviderBuilder, ext::AnvilApi},
    rpc::types::{Filter, Log},
};
use eyre::WrapErr;
use futures::{StreamExt, stream};
use std::{path::Path, time::Instant};
use timebank_bindings::{IdentityRegistry, ServiceLedger, TimeCoin, TimebankAccess, roles};
use timebank_indexer::{
    Deployment, Settings, Store,
    decode::Decoder,
    ingest::{GROUP_LOGS, TARGET_LOGS},
    project::{Batch, Projector},
};

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
    access
        .grantRole(roles::gateway(1), admin)
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
    for who in people.iter().chain([&op1, &op2, &admin]) {
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
                .submitMember(*p, 1, keccak256(p), vec![1u8; 64].into())
                .from(op1)
                .gas(GAS)
                .nonce(next(op1))
                .send()
                .await?,
        );
    }
    mine(&provider, &mut pending).await.wrap_err("setup")?;
    // The admin's key stands for the branch's gateway, which binds each person's key.
    for p in &people {
        pending.push(
            identity
                .bindUniquenessKey(*p, keccak256([p.as_slice(), b"person"].concat()))
                .from(admin)
                .gas(GAS)
                .nonce(next(admin))
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
    // The indexer's own filter: every timebank contract.
    let addresses = Decoder::new(&deployment)?.addresses();
    // A fresh anvil serves its first read of these blocks' logs about twice as slowly as later
    // ones; a branch's long-running node would not. One read before anything is timed.
    let warm = Instant::now();
    let logs = provider
        .get_logs(
            &Filter::new()
                .address(addresses.clone())
                .from_block(start_block)
                .to_block(last),
        )
        .await?;
    eprintln!(
        "bench: the node served {} logs once before timing ({:.2}s)",
        logs.len(),
        warm.elapsed().as_secs_f64()
    );
    let ranges = ranges(&logs, TARGET_LOGS);

    // Baseline 1: the node. The same logs read as the indexer reads them, a range at a time.
    let whole = [(start_block, last, 0, logs.len())];
    let node_whole = node_rate(&provider, &addresses, &whole).await?;
    let node = node_rate(&provider, &addresses, &ranges).await?;
    println!("BENCH indexer_node_serving_rate {node:.0} logs/s");
    println!("BENCH indexer_node_serving_rate_whole {node_whole:.0} logs/s");

    let dir = tempfile::tempdir()?;
    let mut databases = vec![(
        "sqlite",
        format!("sqlite://{}", dir.path().join("backfill.sqlite").display()),
        format!("sqlite://{}", dir.path().join("raw.sqlite").display()),
    )];
    match std::env::var("TIMEBANK_BENCH_POSTGRES_URL") {
        Ok(server) => databases.push((
            "postgres",
            create_database(&server, "backfill").await?,
            create_database(&server, "raw").await?,
        )),
        Err(_) => eprintln!("bench: TIMEBANK_BENCH_POSTGRES_URL unset, PostgreSQL skipped"),
    }
    for (name, backfill_url, raw_url) in databases {
        let filled = backfill(name, &anvil.endpoint(), &backfill_url, &deployment).await?;
        let rate = filled.rate;
        // Baseline 2: the database. The same event_log rows inserted by the same write path,
        // in the backfill's largest transactions, with no decoding or projection.
        let raw = raw_insert(name, &raw_url, &deployment, &logs, &ranges).await?;
        println!("BENCH indexer_backfill_{name} {rate:.0} events/s");
        println!("BENCH indexer_raw_insert_{name} {raw:.0} events/s");
        println!("BENCH indexer_backfill_{name}_vs_node {:.3} x", rate / node);
        println!(
            "BENCH indexer_backfill_{name}_vs_raw_insert {:.3} x",
            rate / raw
        );
        println!(
            "BENCH indexer_backfill_{name}_machine_cpu_us_per_event {:.2} us",
            filled.cpu_us_per_event
        );
        println!(
            "BENCH indexer_backfill_{name}_cpu_bound_vs_node {:.3} x",
            filled.cpu_bound() / node
        );
    }
    Ok(())
}

/// Consecutive block ranges of at most `target` logs each (a block with more stands alone), as
/// `(first block, last block, index of its first log, log count)`.
fn ranges(logs: &[Log], target: usize) -> Vec<(u64, u64, usize, usize)> {
    let mut out: Vec<(u64, u64, usize, usize)> = Vec::new();
    let mut i = 0;
    while i < logs.len() {
        let block = logs[i].block_number.unwrap_or_default();
        let in_block = logs[i..]
            .iter()
            .take_while(|l| l.block_number == Some(block))
            .count();
        match out.last_mut() {
            Some(last) if last.3 + in_block <= target => {
                last.1 = block;
                last.3 += in_block;
            }
            _ => out.push((block, block, i, in_block)),
        }
        i += in_block;
    }
    out
}

/// Logs per second the node serves over `ranges`, one `eth_getLogs` at a time, parsed: the
/// median of three passes.
async fn node_rate<P: Provider>(
    provider: &P,
    addresses: &[Address],
    ranges: &[(u64, u64, usize, usize)],
) -> eyre::Result<f64> {
    let mut passes = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let mut served = 0;
        for (from, to, _, _) in ranges {
            let filter = Filter::new()
                .address(addresses.to_vec())
                .from_block(*from)
                .to_block(*to);
            served += provider.get_logs(&filter).await?.len();
        }
        passes.push(served as f64 / started.elapsed().as_secs_f64());
    }
    passes.sort_by(f64::total_cmp);
    eprintln!("bench: the node served {passes:.0?} logs/s in three passes");
    Ok(passes[1])
}

/// Events per second a fresh database takes the event log at: the rows the backfill wrote,
/// decoded and projected before the clock starts, written with [`Store::write_batch`] in the
/// largest transactions the backfill commits (`GROUP_LOGS`, one checkpoint each), and nothing
/// else.
async fn raw_insert(
    name: &str,
    url: &str,
    deployment: &Deployment,
    logs: &[Log],
    ranges: &[(u64, u64, usize, usize)],
) -> eyre::Result<f64> {
    let decoder = Decoder::new(deployment)?;
    let mut projector = Projector::default();
    let mut batches: Vec<(Batch, _)> = Vec::new();
    for (_, _, first, count) in ranges {
        let projected =
            projector.project(&decoder, &logs[*first..first + count], &Default::default())?;
        let last = &logs[first + count - 1];
        let checkpoint = (
            last.block_number.unwrap_or_default(),
            last.block_hash.unwrap_or_default(),
            last.block_timestamp.unwrap_or_default(),
        );
        let events = Batch {
            events: projected.events,
            ..Batch::default()
        };
        match batches.last_mut() {
            Some((group, end)) if group.log_count() < GROUP_LOGS => {
                group.append(events);
                *end = checkpoint;
            }
            _ => batches.push((events, checkpoint)),
        }
    }
    let store = Store::connect(url).await?;
    let started = Instant::now();
    let mut after = None;
    let mut written = 0;
    for (batch, checkpoint) in &batches {
        store.write_batch(batch, after, *checkpoint).await?;
        after = Some((checkpoint.0, checkpoint.1));
        written += batch.log_count();
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("bench: raw insert into {name}: {written} event_log rows in {seconds:.2}s");
    Ok(written as f64 / seconds)
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

/// A backfill from the node into a fresh database, every projection.
async fn backfill(
    name: &str,
    rpc: &str,
    url: &str,
    deployment: &Deployment,
) -> eyre::Result<Backfill> {
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
    let busy = machine_busy()?;
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
    let cpu = machine_busy()? - busy;
    let events = store.count("event_log").await?;
    let payments = store.count("payment").await?;
    let cores = std::thread::available_parallelism()?.get() as f64;
    eprintln!(
        "bench: backfill into {name}: {events} events ({payments} payments) in {seconds:.2}s, \
         the machine's {cores} cores {:.0}% busy",
        100.0 * cpu / (cores * seconds)
    );
    Ok(Backfill {
        rate: events as f64 / seconds,
        cpu_us_per_event: cpu * 1e6 / events as f64,
        cores,
    })
}

/// A backfill's rate, and what it cost the whole machine: the node, the indexer and the
/// database server together.
struct Backfill {
    rate: f64,
    cpu_us_per_event: f64,
    cores: f64,
}

impl Backfill {
    /// The fastest this machine could backfill at this CPU per event: every core busy.
    fn cpu_bound(&self) -> f64 {
        self.cores * 1e6 / self.cpu_us_per_event
    }
}

/// CPU seconds every process on the machine has used, from `/proc/stat` (all but idle and
/// I/O wait; ticks of 1/100 s).
fn machine_busy() -> eyre::Result<f64> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let ticks: Vec<f64> = stat
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("cpu "))
        .ok_or_else(|| eyre::eyre!("/proc/stat has no cpu line"))?
        .split_whitespace()
        .map(|t| t.parse().wrap_err("a /proc/stat field"))
        .collect::<eyre::Result<_>>()?;
    eyre::ensure!(ticks.len() >= 8, "/proc/stat's cpu line is short");
    // user nice system idle iowait irq softirq steal
    let busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7];
    Ok(busy / 100.0)
}

async fn create_database(server: &str, what: &str) -> eyre::Result<String> {
    let name = format!("bench_{what}_{}", std::process::id());
    Ok(timebank_indexer::store::create_database(server, &name, true).await?)
}
