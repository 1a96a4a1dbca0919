//! `timebank-bench-branches` (`make bench-branches`): many branches on one chain agree.
//!
//! Eight branches by default, each with its own indexer, gateway and database (the first half
//! SQLite, the second half PostgreSQL), each a separate process, on one anvil chain that makes a
//! block every second as a QBFT chain does. Members of every branch pay members of the next
//! branch through their own branch's gateway for a few minutes. Meanwhile one branch's indexer is
//! killed (`kill -9`) and restarted, and another branch's gateway is restarted. At the end every
//! branch's projection of the chain is compared table by table (digests), nothing is lost or
//! doubled (payments counted by the members, by the chain's nonces and in every index; balances
//! against the chain), then one SQLite and one PostgreSQL branch drop their database and rebuild
//! it from the chain, and are compared again. Prints `BENCH` lines and a table per branch, and
//! writes them as JSON.

use alloy::{
    network::EthereumWallet,
    primitives::{Address, U256},
    providers::{DynProvider, Provider, ProviderBuilder, ext::AnvilApi},
    signers::local::PrivateKeySigner,
};
use clap::Parser;
use eyre::{WrapErr, bail, ensure};
use futures::{StreamExt, stream};
use serde_json::json;
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use timebank_bench::{
    payments::{self, Miner, Payments},
    procs::{Proc, cpu_seconds, free_port, machine_cpu_seconds, peak_rss_mib, signal, wait_ready},
};
use timebank_bindings::{TimeCoin, TimebankAccess, TimebankForwarder, roles};
use timebank_client::{Gateway, Session};
use timebank_gateway::privacy::KeyPair;
use timebank_indexer::{Deployment, Store, store::TableDigest};
use timebank_kit::keys;

#[derive(Debug, Parser)]
#[command(
    name = "timebank-bench-branches",
    about = "Many branches on one chain, paying each other, agree"
)]
struct Args {
    /// Branches (the first half on SQLite, the rest on PostgreSQL).
    #[arg(long, default_value_t = 8)]
    branches: u32,
    /// Members per branch, each with one payment in flight (a payment a block each).
    #[arg(long, default_value_t = 16)]
    members: usize,
    /// Seconds of payments.
    #[arg(long, default_value_t = 180.0)]
    seconds: f64,
    /// The chain's block period in milliseconds.
    #[arg(long, default_value_t = 1000)]
    block_ms: u64,
    /// A PostgreSQL server for the PostgreSQL branches' databases (one each, created).
    #[arg(long, env = "TIMEBANK_BENCH_POSTGRES_URL")]
    postgres_url: String,
    /// Where the figures (JSON) and the processes' logs go.
    #[arg(long, default_value = "target/bench-branches")]
    out: PathBuf,
}

/// The branches `make up` does not set up, named after regions.
const MORE: [(&str, &str); 5] = [
    ("west", "West Region"),
    ("central", "Central Region"),
    ("coast", "Coast Region"),
    ("hills", "Hill Country"),
    ("islands", "Islands Region"),
];

/// One branch's stack: its processes and what the ones it replaced used.
struct Stack {
    id: u32,
    database: String,
    gateway_url: String,
    port: u16,
    branch_key: PathBuf,
    relayer_key: PathBuf,
    indexer: Option<Proc>,
    gateway: Option<Proc>,
    /// CPU seconds and peak memory of processes stopped during the run.
    cpu_gone: f64,
    peak_gone: [f64; 2],
}

/// How the processes are started.
struct Launch {
    bin: PathBuf,
    rpc: String,
    deployment: PathBuf,
    logs: PathBuf,
}

impl Launch {
    fn log(&self, name: &str) -> eyre::Result<Stdio> {
        let path = self.logs.join(format!("{name}.log"));
        Ok(std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .wrap_err_with(|| format!("opening {}", path.display()))?
            .into())
    }

    fn indexer(&self, stack: &Stack, stop_at_head: bool) -> eyre::Result<Command> {
        let mut command = Command::new(self.bin.join("timebank-indexer"));
        command
            .env("TIMEBANK_RPC_URL", &self.rpc)
            .env("TIMEBANK_WS_URL", self.rpc.replace("http://", "ws://"))
            .env("TIMEBANK_DEPLOYMENT", &self.deployment)
            .env("TIMEBANK_DATABASE_URL", &stack.database)
            .env("RUST_LOG", "warn")
            .stderr(self.log(&format!("indexer-{}", stack.id))?);
        if stop_at_head {
            command.arg("--stop-at-head");
        }
        Ok(command)
    }

    fn start_indexer(&self, stack: &mut Stack) -> eyre::Result<()> {
        let child = self
            .indexer(stack, false)?
            .spawn()
            .wrap_err("starting timebank-indexer (cargo build --release first)")?;
        stack.indexer = Some(Proc(child));
        Ok(())
    }

    fn start_gateway(&self, stack: &mut Stack) -> eyre::Result<()> {
        let child = Command::new(self.bin.join("timebank-gateway"))
            .args(["--listen", &format!("127.0.0.1:{}", stack.port)])
            .args(["--branch-id", &stack.id.to_string()])
            .args(["--rpc-url", &self.rpc])
            .arg("--deployment")
            .arg(&self.deployment)
            .args(["--database-url", &stack.database])
            .arg("--branch-key-file")
            .arg(&stack.branch_key)
            .arg("--relayer-key-file")
            .arg(&stack.relayer_key)
            // A member pays about once a second here, for minutes: far more than a day's gas
            // a branch allows one member (20,000,000 by default).
            .args(["--relay-daily-gas-per-signer", "100000000000"])
            .env("RUST_LOG", "warn")
            .stderr(self.log(&format!("gateway-{}", stack.id))?)
            .spawn()
            .wrap_err("starting timebank-gateway")?;
        stack.gateway = Some(Proc(child));
        Ok(())
    }
}

impl Stack {
    /// SQLite or PostgreSQL.
    fn database_kind(&self) -> &'static str {
        if self.database.starts_with("sqlite") {
            "SQLite"
        } else {
            "PostgreSQL"
        }
    }

    fn pids(&self) -> Vec<u32> {
        self.indexer
            .iter()
            .chain(&self.gateway)
            .map(Proc::id)
            .collect()
    }

    /// CPU seconds used by the stack's processes, the stopped ones included.
    fn cpu(&self) -> eyre::Result<f64> {
        let mut used = self.cpu_gone;
        for pid in self.pids() {
            used += cpu_seconds(pid)?;
        }
        Ok(used)
    }

    /// Stops a process for good, keeping what it used.
    fn retire(&mut self, which: Which, how: &str) -> eyre::Result<()> {
        let slot = match which {
            Which::Indexer => &mut self.indexer,
            Which::Gateway => &mut self.gateway,
        };
        if let Some(mut proc) = slot.take() {
            let pid = proc.id();
            self.cpu_gone += cpu_seconds(pid)?;
            let peak = &mut self.peak_gone[which as usize];
            *peak = peak.max(peak_rss_mib(pid)?);
            signal(how, &[pid])?;
            // A gateway finishes the requests it has (a relay waits for its block).
            tokio::task::block_in_place(|| proc.0.wait())?;
        }
        Ok(())
    }

    /// Peak resident memory of the indexer and the gateway, in MiB.
    fn peaks(&self) -> eyre::Result<[f64; 2]> {
        let mut peaks = self.peak_gone;
        for (i, proc) in [&self.indexer, &self.gateway].into_iter().enumerate() {
            if let Some(proc) = proc {
                peaks[i] = peaks[i].max(peak_rss_mib(proc.id())?);
            }
        }
        Ok(peaks)
    }
}

#[derive(Debug, Clone, Copy)]
enum Which {
    Indexer = 0,
    Gateway = 1,
}

/// One member's payment as the member saw it.
struct Paid {
    from: u32,
    to: u32,
    sent: Instant,
    /// The block the gateway answered with (none when the answer was lost to a restart and
    /// the chain's nonce showed the payment made).
    block: Option<u64>,
}

/// When each block was first seen: on the chain, and in each branch's index.
#[derive(Default)]
struct Seen {
    chain: BTreeMap<u64, Instant>,
    index: BTreeMap<u32, BTreeMap<u64, Instant>>,
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let args = Args::parse();
    ensure!(
        (2..=3 + MORE.len() as u32).contains(&args.branches),
        "--branches: from 2 to {}",
        3 + MORE.len()
    );
    let bin = std::env::current_exe()?
        .parent()
        .ok_or_else(|| eyre::eyre!("where am I?"))?
        .to_path_buf();
    std::fs::create_dir_all(&args.out)?;
    for old in std::fs::read_dir(&args.out)? {
        let old = old?.path();
        if old.extension().is_some_and(|e| e == "log") {
            std::fs::remove_file(old)?;
        }
    }
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let platform = timebank_devnet::start(timebank_devnet::Up {
        data_dir: data.clone(),
        host: "127.0.0.1".into(),
        anvil_port: free_port(),
        gateway_ports: vec![0, 0, 0],
        postgres_url: None,
        branch_databases: Vec::new(),
        chain_only: true,
        console_dir: "console/dist".into(),
    })
    .await?;
    let accounts = platform.accounts()?;
    let deployment = platform.deployment.clone();
    let admin: PrivateKeySigner = accounts.keys[0].parse()?;
    let launch = Launch {
        bin,
        rpc: platform.rpc.clone(),
        deployment: platform.paths.deployment(),
        logs: args.out.clone(),
    };

    // The branches: the demo's three, then more added by the platform's admin as a real branch
    // joins (its key, its operators, its gateway's relayer).
    let mut operators = Vec::new();
    let mut stacks = Vec::new();
    for id in 1..=args.branches {
        let (ops, relayer_key, branch_key) = if id <= 3 {
            let (a, b) = timebank_devnet::setup::OPERATORS[id as usize - 1];
            (
                [accounts.keys[a].parse()?, accounts.keys[b].parse()?],
                platform.paths.relayer_key(id),
                platform.paths.branch_key(id),
            )
        } else {
            let (name, region) = MORE[id as usize - 4];
            join_branch(
                &platform.rpc,
                &deployment,
                &admin,
                &platform.paths,
                id,
                name,
                region,
            )
            .await
            .wrap_err_with(|| format!("adding branch {name}"))?
        };
        operators.push(ops);
        let database = if id <= args.branches / 2 {
            format!(
                "sqlite://{}",
                dir.path().join(format!("branch-{id}.sqlite")).display()
            )
        } else {
            timebank_indexer::store::create_database(
                &args.postgres_url,
                &format!("tb_bench_branch_{id}"),
                true,
            )
            .await?
        };
        let port = free_port();
        stacks.push(Stack {
            id,
            database,
            gateway_url: format!("http://127.0.0.1:{port}"),
            port,
            branch_key,
            relayer_key,
            indexer: None,
            gateway: None,
            cpu_gone: 0.0,
            peak_gone: [0.0; 2],
        });
    }
    for stack in &mut stacks {
        launch.start_indexer(stack)?;
        launch.start_gateway(stack)?;
    }
    for stack in &stacks {
        wait_ready(&format!("{}/ready", stack.gateway_url)).await?;
    }

    // The members: `members` per branch, registered by their own branch's operators.
    let setup = Instant::now();
    let mut payers = Vec::new();
    for (stack, [op1, op2]) in stacks.iter().zip(&operators) {
        payers.extend(
            payments::members(
                &platform.rpc,
                &deployment,
                &admin,
                [op1, op2],
                stack.id,
                args.members,
            )
            .await
            .wrap_err_with(|| format!("branch {}'s members", stack.id))?,
        );
    }
    let sessions: Vec<Session> = stream::iter(payers.iter().enumerate())
        .map(|(i, payer)| {
            let gateway = Gateway::new(&stacks[i / args.members].gateway_url, deployment.clone());
            async move { gateway?.sign_in(payer).await.map_err(eyre::Report::from) }
        })
        .buffered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<eyre::Result<_>>()
        .wrap_err("signing the members in at their branches")?;
    eprintln!(
        "bench-branches: {} branches, {} members registered and signed in ({:.0} s); paying for {} s",
        stacks.len(),
        payers.len(),
        setup.elapsed().as_secs_f64(),
        args.seconds
    );

    let provider = ProviderBuilder::new()
        .connect_http(platform.rpc.parse()?)
        .erased();
    let stores = {
        let mut stores = Vec::new();
        for stack in &stacks {
            stores.push((stack.id, Store::connect(&stack.database).await?));
        }
        stores
    };
    let start_block = provider.get_block_number().await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let seen = Arc::new(Mutex::new(Seen::default()));
    let sampler = tokio::spawn(sample(
        provider.clone(),
        stores.clone(),
        Arc::clone(&seen),
        stop_rx.clone(),
    ));
    let cpu_before = stacks
        .iter()
        .map(Stack::cpu)
        .collect::<eyre::Result<Vec<_>>>()?;
    let anvil_pid = platform
        .anvil_pid()
        .ok_or_else(|| eyre::eyre!("anvil is not running"))?;
    let anvil_before = cpu_seconds(anvil_pid)?;
    let machine_before = machine_cpu_seconds()?;
    let miner = Miner::start(
        &provider,
        Some(Duration::from_millis(args.block_ms)),
        stop_rx.clone(),
    );

    // Every member pays the member at the same place in the next branch.
    let payments = Payments::new(&provider, &deployment, &payers, args.members).await?;
    let forwarder = TimebankForwarder::new(deployment.contracts.forwarder, &provider);
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(args.seconds);
    let branches = args.branches;
    let members = args.members;
    let lanes = sessions.iter().enumerate().map(|(i, session)| {
        let (payments, forwarder) = (&payments, &forwarder);
        async move {
            let from = u32::try_from(i / members)? + 1;
            let to = from % branches + 1;
            let mut paid = Vec::new();
            let mut retries = 0u32;
            let mut nonce = 0u64;
            while Instant::now() < deadline {
                let (payer, _, request) = payments.signed(i, nonce).await?;
                let sent = Instant::now();
                let answer: Result<serde_json::Value, _> =
                    session.post("/v1/relay", &request).await;
                let block = match answer {
                    Ok(answer) if answer["success"] == true => answer["blockNumber"].as_u64(),
                    failed => {
                        // The gateway restarting (or any failure): did the payment land
                        // anyway? A block or two later the chain's nonce says.
                        retries += 1;
                        ensure!(
                            retries < 200,
                            "{payer}'s payment {nonce} keeps failing: {failed:?}"
                        );
                        tokio::time::sleep(Duration::from_millis(1500)).await;
                        let used = forwarder.nonces(payer).call().await?;
                        if used <= U256::from(nonce) {
                            continue;
                        }
                        None
                    }
                };
                paid.push(Paid {
                    from,
                    to,
                    sent,
                    block,
                });
                nonce += 1;
            }
            Ok::<_, eyre::Report>((paid, retries))
        }
    });

    // The disturbances, while the members pay: a third of the way in, one SQLite branch's
    // indexer is killed and restarted ten seconds later; two thirds in, one PostgreSQL branch's
    // gateway is stopped and started again.
    let killed_indexer = (branches / 2).max(1);
    let restarted_gateway = branches;
    let stacks = Mutex::new(stacks);
    let disturb = async {
        tokio::time::sleep(Duration::from_secs_f64(args.seconds / 3.0)).await;
        let behind_from = {
            let mut stacks = stacks.lock().map_err(|_| eyre::eyre!("poisoned"))?;
            let stack = &mut stacks[killed_indexer as usize - 1];
            stack.retire(Which::Indexer, "-KILL")?;
            eprintln!("bench-branches: branch {killed_indexer}'s indexer killed (kill -9)");
            Instant::now()
        };
        tokio::time::sleep(Duration::from_secs(10)).await;
        let restart_head = provider.get_block_number().await?;
        let restarted = Instant::now();
        {
            let mut stacks = stacks.lock().map_err(|_| eyre::eyre!("poisoned"))?;
            launch.start_indexer(&mut stacks[killed_indexer as usize - 1])?;
        }
        eprintln!("bench-branches: branch {killed_indexer}'s indexer restarted");
        let wait = (deadline - Instant::now()).as_secs_f64() / 2.0;
        tokio::time::sleep(Duration::from_secs_f64(wait.max(0.0))).await;
        // An online backup of the PostgreSQL branch about to restart, taken under load
        // (restored at the end).
        let backup = branch_db(
            &["backup"],
            &stacks.lock().map_err(|_| eyre::eyre!("poisoned"))?[restarted_gateway as usize - 1]
                .database,
            &launch.logs,
        )?;
        let stopped = Instant::now();
        let url = {
            let mut stacks = stacks.lock().map_err(|_| eyre::eyre!("poisoned"))?;
            let stack = &mut stacks[restarted_gateway as usize - 1];
            stack.retire(Which::Gateway, "-TERM")?;
            launch.start_gateway(stack)?;
            stack.gateway_url.clone()
        };
        wait_ready(&format!("{url}/ready")).await?;
        let gateway_down = stopped.elapsed();
        eprintln!(
            "bench-branches: branch {restarted_gateway}'s gateway restarted ({:.1} s)",
            gateway_down.as_secs_f64()
        );
        Ok::<_, eyre::Report>((behind_from, restarted, restart_head, gateway_down, backup))
    };
    let (lanes, disturbed) = tokio::join!(futures::future::join_all(lanes), disturb);
    let (killed_at, restarted_at, restart_head, gateway_down, backup) = disturbed?;
    let mut paid = Vec::new();
    let mut retries = 0;
    for lane in lanes {
        let (lane, r) = lane?;
        paid.extend(lane);
        retries += r;
    }
    let load_seconds = started.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    miner.stop().await?;
    let mut stacks = stacks.into_inner().map_err(|_| eyre::eyre!("poisoned"))?;

    // Every index at the chain's head.
    let head = provider.get_block_number().await?;
    for (id, store) in &stores {
        let waited = Instant::now();
        while store.head().await?.map_or(0, |h| h.number) < head {
            ensure!(
                waited.elapsed() < Duration::from_secs(120),
                "branch {id}'s index did not reach block {head}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let caught_up = Instant::now();
    let seen = sampler.await??;
    let stack_cpu: Vec<f64> = stacks
        .iter()
        .zip(&cpu_before)
        .map(|(s, before)| Ok(s.cpu()? - before))
        .collect::<eyre::Result<_>>()?;
    let anvil_cpu = cpu_seconds(anvil_pid)? - anvil_before;
    let machine_after = machine_cpu_seconds()?;
    let machine_pct =
        100.0 * (machine_after.0 - machine_before.0) / (machine_after.1 - machine_before.1);
    let peaks = stacks
        .iter()
        .map(Stack::peaks)
        .collect::<eyre::Result<Vec<_>>>()?;

    // Nothing lost or doubled: what the members were told, what the chain's nonces say, what
    // every index holds, and every balance.
    let mut by_chain = 0u64;
    for payer in &payers {
        by_chain += u64::try_from(forwarder.nonces(payer.address()).call().await?)?;
    }
    ensure!(
        by_chain == paid.len() as u64,
        "the members made {} payments; the chain's nonces say {by_chain}",
        paid.len()
    );
    let coin = TimeCoin::new(deployment.contracts.time_coin, &provider);
    let mut on_chain = BTreeMap::new();
    for payer in &payers {
        on_chain.insert(
            payer.address(),
            coin.balanceOf(payer.address()).call().await?,
        );
    }
    let (first, first_store) = &stores[0];
    let reference =
        digests_and_checks(*first, first_store, &on_chain, start_block, paid.len()).await?;
    for (id, store) in &stores[1..] {
        let digests = digests_and_checks(*id, store, &on_chain, start_block, paid.len()).await?;
        compare(*first, &reference, *id, &digests)?;
    }
    eprintln!(
        "bench-branches: {} payments; the {} branches' {} tables agree with each other and the chain",
        paid.len(),
        stores.len(),
        reference.len()
    );

    // A branch loses its database. The SQLite one has no backup: it is rebuilt from the chain
    // alone. The PostgreSQL one gets back the backup taken under load, and its indexer goes on
    // from the backup's checkpoint; what only a backup holds (the members' sessions, written by
    // the gateway) is back too. Each is then compared with branch 2.
    let reference = stores[1].1.digests().await?;
    let restored = branches;
    let sessions_before = count(&stores[restored as usize - 1].1, "gateway_session").await?;
    drop(stores);
    let (rebuild_seconds, store) =
        lose_database(&launch, &mut stacks[0], &args.postgres_url, None).await?;
    let rebuilt = digests_and_checks(1, &store, &on_chain, start_block, paid.len()).await?;
    compare(2, &reference, 1, &rebuilt)?;
    let rebuilt_events = rebuilt.get("event_log").map_or(0, |d| d.rows);
    eprintln!(
        "bench-branches: branch 1's database dropped and rebuilt from the chain in {rebuild_seconds:.1} s ({rebuilt_events} events); it equals branch 2's"
    );
    let (restore_seconds, store) = lose_database(
        &launch,
        &mut stacks[restored as usize - 1],
        &args.postgres_url,
        Some(&backup),
    )
    .await?;
    let digests = digests_and_checks(restored, &store, &on_chain, start_block, paid.len()).await?;
    compare(2, &reference, restored, &digests)?;
    let sessions = count(&store, "gateway_session").await?;
    ensure!(
        sessions > 0 && sessions <= sessions_before,
        "branch {restored}'s restored database has {sessions} sessions (before: {sessions_before})"
    );
    eprintln!(
        "bench-branches: branch {restored}'s database dropped, restored from {backup} and caught up with the chain in {restore_seconds:.1} s; it equals branch 2's; {sessions} sessions back"
    );

    // The figures.
    let seen = std::mem::take(&mut *seen.lock().map_err(|_| eyre::eyre!("poisoned"))?);
    let mut visibility = Vec::new();
    let mut visibility_undisturbed = Vec::new();
    let mut index_lag = Vec::new();
    for p in &paid {
        let Some(block) = p.block else { continue };
        if let Some(at) = seen.index.get(&p.to).and_then(|s| s.get(&block)) {
            let ms = at.saturating_duration_since(p.sent).as_secs_f64() * 1000.0;
            visibility.push(ms);
            if p.to != killed_indexer && p.from != restarted_gateway {
                visibility_undisturbed.push(ms);
            }
        }
    }
    for (id, blocks) in &seen.index {
        if *id == killed_indexer {
            continue;
        }
        for (block, at) in blocks {
            if let Some(announced) = seen.chain.get(block) {
                index_lag.push(at.saturating_duration_since(*announced).as_secs_f64() * 1000.0);
            }
        }
    }
    let behind_blocks = restart_head.saturating_sub(
        seen.index
            .get(&killed_indexer)
            .and_then(|s| {
                s.iter()
                    .take_while(|(_, at)| **at <= killed_at)
                    .last()
                    .map(|(n, _)| *n)
            })
            .unwrap_or(start_block),
    );
    let catch_up = seen
        .index
        .get(&killed_indexer)
        .and_then(|s| s.get(&restart_head))
        .map_or(f64::NAN, |at| {
            at.saturating_duration_since(restarted_at).as_secs_f64()
        });
    for v in [&mut visibility, &mut visibility_undisturbed, &mut index_lag] {
        v.sort_by(f64::total_cmp);
    }
    let q = |v: &[f64], q: f64| timebank_bench::quantile(v, q).unwrap_or(f64::NAN);
    let cpu_pct: Vec<f64> = stack_cpu.iter().map(|c| 100.0 * c / load_seconds).collect();
    let blocks = head.saturating_sub(start_block).max(1);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let max = |v: &[f64]| v.iter().copied().fold(f64::NAN, f64::max);
    let stack_peak: Vec<f64> = peaks.iter().map(|[i, g]| i + g).collect();
    let figures = json!({
        "branches": branches,
        "branches_members": payers.len(),
        "branches_payments": paid.len(),
        "branches_payments_per_s": paid.len() as f64 / load_seconds,
        "branches_blocks": blocks,
        "branches_payments_per_block": paid.len() as f64 / blocks as f64,
        "branches_visibility_p50_ms": q(&visibility, 0.5),
        "branches_visibility_p99_ms": q(&visibility, 0.99),
        "branches_visibility_undisturbed_p99_ms": q(&visibility_undisturbed, 0.99),
        "branches_index_lag_p50_ms": q(&index_lag, 0.5),
        "branches_index_lag_p99_ms": q(&index_lag, 0.99),
        "branches_killed_indexer_behind_blocks": behind_blocks,
        "branches_killed_indexer_catch_up_s": catch_up,
        "branches_restarted_gateway_down_s": gateway_down.as_secs_f64(),
        "branches_relay_retries": retries,
        "branches_final_catch_up_s": caught_up.duration_since(started).as_secs_f64() - load_seconds,
        "branches_stack_cpu_pct_mean": mean(&cpu_pct),
        "branches_stack_cpu_pct_max": max(&cpu_pct),
        "branches_stack_cpu_ms_per_payment": stack_cpu.iter().sum::<f64>() * 1000.0 / paid.len().max(1) as f64,
        "branches_anvil_cpu_pct": 100.0 * anvil_cpu / load_seconds,
        "branches_anvil_cpu_ms_per_payment": anvil_cpu * 1000.0 / paid.len().max(1) as f64,
        "branches_machine_cpu_pct": machine_pct,
        "branches_stack_peak_rss_mib_mean": mean(&stack_peak),
        "branches_stack_peak_rss_mib_max": max(&stack_peak),
        "branches_rebuild_from_chain_s": rebuild_seconds,
        "branches_rebuild_events": rebuilt_events,
        "branches_restore_catch_up_s": restore_seconds,
    });
    println!("\nbranch  database    indexer+gateway CPU  peak memory (indexer, gateway)");
    for (i, stack) in stacks.iter().enumerate() {
        println!(
            "  {:<5} {:<11} {:>6.1} % of a core   {:>6.1} MiB ({:.1} + {:.1})",
            stack.id,
            stack.database_kind(),
            cpu_pct[i],
            stack_peak[i],
            peaks[i][0],
            peaks[i][1],
        );
    }
    println!();
    timebank_bench::print_bench_lines(&figures);
    let report = json!({
        "figures": figures,
        "settings": {
            "branches": branches,
            "members_per_branch": members,
            "seconds": args.seconds,
            "block_ms": args.block_ms,
        },
        "per_branch": stacks.iter().enumerate().map(|(i, s)| json!({
            "branch": s.id,
            "database": s.database_kind(),
            "cpu_pct": cpu_pct[i],
            "indexer_peak_rss_mib": peaks[i][0],
            "gateway_peak_rss_mib": peaks[i][1],
        })).collect::<Vec<_>>(),
    });
    std::fs::write(
        args.out.join("figures.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    drop(stacks);
    platform.stop().await;
    Ok(())
}

/// Adds branch `id` as a new branch joins: its data-package key and its gateway's relayer key
/// made with `timebank-kit key` (in the data directory's keys), two operators (fresh accounts),
/// each funded for gas and granted its role by the platform's admin.
async fn join_branch(
    rpc: &str,
    deployment: &Deployment,
    admin: &PrivateKeySigner,
    paths: &timebank_devnet::setup::Paths,
    id: u32,
    name: &str,
    region: &str,
) -> eyre::Result<([PrivateKeySigner; 2], PathBuf, PathBuf)> {
    let (branch_key, relayer_key) = (paths.branch_key(id), paths.relayer_key(id));
    keys::write(keys::Kind::Branch, &branch_key)?;
    keys::write(keys::Kind::Relayer, &relayer_key)?;
    let key = KeyPair::from_secret_hex(&std::fs::read_to_string(&branch_key)?)?;
    let relayer: PrivateKeySigner = std::fs::read_to_string(&relayer_key)?.trim().parse()?;
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(admin.clone()))
        .connect_http(rpc.parse()?);
    let access = TimebankAccess::new(deployment.contracts.access, &provider);
    let ops = [PrivateKeySigner::random(), PrivateKeySigner::random()];
    for account in ops.iter().chain([&relayer]) {
        provider
            .anvil_set_balance(account.address(), U256::from(10u128.pow(20)))
            .await?;
    }
    let receipt = access
        .addBranch(name.into(), region.into(), key.public.into())
        .send()
        .await?
        .get_receipt()
        .await?;
    ensure!(receipt.status(), "addBranch({name}) reverted");
    for (role, account) in [
        (roles::operator(id), ops[0].address()),
        (roles::operator(id), ops[1].address()),
        (roles::gateway(id), relayer.address()),
    ] {
        let receipt = access
            .grantRole(role, account)
            .send()
            .await?
            .get_receipt()
            .await?;
        ensure!(receipt.status(), "granting a role at {name} reverted");
    }
    Ok((ops, relayer_key, branch_key))
}

/// Records when each block is first seen on the chain and in each branch's index (their heads,
/// read every 10 ms), until `stop`.
async fn sample(
    provider: DynProvider,
    stores: Vec<(u32, Store)>,
    seen: Arc<Mutex<Seen>>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> eyre::Result<Arc<Mutex<Seen>>> {
    let mut ticks = tokio::time::interval(Duration::from_millis(10));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last = BTreeMap::<u32, u64>::new();
    let mut chain_last = provider.get_block_number().await?;
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = ticks.tick() => {}
        }
        let chain = provider.get_block_number().await?;
        let now = Instant::now();
        {
            let mut record = seen.lock().map_err(|_| eyre::eyre!("poisoned"))?;
            for n in chain_last + 1..=chain {
                record.chain.insert(n, now);
            }
        }
        chain_last = chain_last.max(chain);
        for (id, store) in &stores {
            // A killed indexer's database still answers: its head just stops moving.
            let Ok(Some(head)) = store.head().await else {
                continue;
            };
            let now = Instant::now();
            let from = last.get(id).map_or(head.number, |n| n + 1);
            {
                let mut record = seen.lock().map_err(|_| eyre::eyre!("poisoned"))?;
                let index = record.index.entry(*id).or_default();
                for n in from..=head.number {
                    index.insert(n, now);
                }
            }
            last.insert(*id, head.number.max(from.saturating_sub(1)));
        }
    }
    Ok(seen)
}

/// A branch's digests, after checking its own rows against the chain: every member's balance,
/// and as many gifts since `start_block` as the members made.
async fn digests_and_checks(
    id: u32,
    store: &Store,
    on_chain: &BTreeMap<Address, U256>,
    start_block: u64,
    payments: usize,
) -> eyre::Result<BTreeMap<&'static str, TableDigest>> {
    let balances = store.balances().await?;
    for (account, balance) in on_chain {
        let indexed = balances.get(account).copied().unwrap_or_default();
        ensure!(
            indexed == *balance,
            "branch {id}'s index says {account} holds {indexed}; the chain says {balance}"
        );
    }
    let gifts: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM payment WHERE block_number > $1 AND purpose = $2")
            .bind(i64::try_from(start_block)?)
            .bind(timebank_bindings::types::Purpose::Gift as i16)
            .fetch_one(store.pool())
            .await?;
    ensure!(
        usize::try_from(gifts)? == payments,
        "branch {id}'s index has {gifts} gifts; the members made {payments}"
    );
    Ok(store.digests().await?)
}

/// Fails on the first table two branches disagree on.
fn compare(
    a: u32,
    ours: &BTreeMap<&'static str, TableDigest>,
    b: u32,
    theirs: &BTreeMap<&'static str, TableDigest>,
) -> eyre::Result<()> {
    for (table, digest) in ours {
        let other = theirs.get(table);
        if other != Some(digest) {
            bail!(
                "{table}: branch {a} has {} rows ({}), branch {b} {:?}",
                digest.rows,
                digest.digest,
                other.map(|d| (d.rows, d.digest))
            );
        }
    }
    Ok(())
}

/// Branch `stack` loses its database: its gateway and indexer stop, the database is dropped,
/// `backup` (if any) is put back, and its indexer runs to the chain's head. Returns how long the
/// indexer took, and the database.
async fn lose_database(
    launch: &Launch,
    stack: &mut Stack,
    server: &str,
    backup: Option<&str>,
) -> eyre::Result<(f64, Store)> {
    stack.retire(Which::Gateway, "-TERM")?;
    stack.retire(Which::Indexer, "-TERM")?;
    drop_database(&stack.database, server).await?;
    if let Some(backup) = backup {
        branch_db(&["restore", backup], &stack.database, &launch.logs)?;
    }
    let rebuilding = Instant::now();
    let status = launch.indexer(stack, true)?.status()?;
    ensure!(
        status.success(),
        "rebuilding branch {}'s index failed",
        stack.id
    );
    let seconds = rebuilding.elapsed().as_secs_f64();
    Ok((seconds, Store::connect(&stack.database).await?))
}

/// Drops a branch's database: its SQLite files, or its PostgreSQL database (made again, empty).
async fn drop_database(url: &str, server: &str) -> eyre::Result<()> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let file = format!("{path}{suffix}");
            match std::fs::remove_file(&file) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => return Err(err).wrap_err_with(|| format!("removing {file}")),
            }
        }
    } else {
        let name = url
            .rsplit('/')
            .next()
            .and_then(|n| n.split('?').next())
            .ok_or_else(|| eyre::eyre!("no database name in the URL"))?;
        // Other connections (this benchmark's own readers) are closed by force.
        sqlx::any::install_default_drivers();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(server).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await?;
        timebank_indexer::store::create_database(server, name, false).await?;
    }
    Ok(())
}

/// Runs `deploy/branch-db` on `database`; returns what it printed (a backup's path).
fn branch_db(args: &[&str], database: &str, logs: &Path) -> eyre::Result<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/branch-db");
    let out = Command::new(&script)
        .args(args)
        .env("TIMEBANK_DATABASE_URL", database)
        .env("TIMEBANK_BACKUP_DIR", logs.join("backups"))
        .output()
        .wrap_err_with(|| format!("running {}", script.display()))?;
    ensure!(
        out.status.success(),
        "branch-db {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

async fn count(store: &Store, table: &str) -> eyre::Result<i64> {
    Ok(
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(store.pool())
            .await?,
    )
}
