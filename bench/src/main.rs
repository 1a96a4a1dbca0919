//! `timebank-bench`: the platform's figures under load. Starts the chain of `make up` (anvil, the
//! contracts, the demo data), runs one branch's indexer and gateway as separate processes, loads
//! the gateway's reads (a member lookup, a history page) and a bare axum JSON handler (the
//! ceiling) from a separate load-generator process, then has many members' wallets pay through
//! the gateway (signed, checked, relayed, mined, indexed) while the indexer's lag is sampled, then
//! has the same members pay straight to the chain (the limit the gateway's rate is judged
//! against), and reads the indexer's and gateway's peak resident memory. Prints `BENCH name value unit` lines
//! and writes them as JSON to `--out`.

use alloy::signers::local::PrivateKeySigner;
use clap::Parser;
use eyre::{WrapErr, ensure};
use serde_json::{Value, json};
use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::Duration,
};
use timebank_bench::{
    payments,
    procs::{Proc, cpu_seconds, free_port, peak_rss_mib, signal, wait_ready},
};
use timebank_client::Gateway;

#[derive(Debug, Parser)]
#[command(name = "timebank-bench", about = "The platform's figures under load")]
struct Args {
    /// Concurrent connections of the load generator.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Seconds per measured load.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Members paying at once in the end-to-end payment load.
    #[arg(long, default_value_t = 400)]
    payers: usize,
    /// Payments each of them makes, one after another.
    #[arg(long, default_value_t = 10)]
    payments_per_payer: usize,
    /// Block period during the payment load in milliseconds (0: a block per transaction).
    #[arg(long, default_value_t = 100)]
    block_ms: u64,
    /// Where to write the figures as JSON.
    #[arg(long, default_value = "target/bench-platform.json")]
    out: PathBuf,
}

fn loadgen(bin: &Path, url: &str, header: Option<&str>, args: &Args) -> eyre::Result<Value> {
    let mut command = Command::new(bin.join("loadgen"));
    command
        .arg(url)
        .args(["--connections", &args.connections.to_string()])
        .args(["--seconds", &args.seconds.to_string()]);
    if let Some(h) = header {
        command.args(["--header", h]);
    }
    let out = command.output().wrap_err("running loadgen")?;
    ensure!(
        out.status.success(),
        "loadgen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout)?;
    ensure!(
        result["errors"] == 0,
        "{url}: {} requests failed under load",
        result["errors"]
    );
    Ok(result)
}

/// Where a child's log goes: next to `--out`.
fn log_file(out: &Path, name: &str) -> eyre::Result<Stdio> {
    let path = out.with_file_name(format!("bench-platform-{name}.log"));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    Ok(std::fs::File::create(&path)
        .wrap_err_with(|| format!("creating {}", path.display()))?
        .into())
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let args = Args::parse();
    let bin = std::env::current_exe()?
        .parent()
        .ok_or_else(|| eyre::eyre!("where am I?"))?
        .to_path_buf();
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let up = timebank_devnet::Up {
        data_dir: data.clone(),
        host: "127.0.0.1".into(),
        anvil_port: free_port(),
        gateway_ports: vec![free_port(), free_port(), free_port()],
        postgres_url: None,
        branch_databases: Vec::new(),
        chain_only: true,
        console_dir: "console/dist".into(),
    };
    let platform = timebank_devnet::start(up).await?;
    let accounts = platform.accounts()?;

    // North's indexer and gateway, each its own process.
    let database = format!("sqlite://{}", dir.path().join("north.sqlite").display());
    let ws = platform.rpc.replace("http://", "ws://");
    let deployment = data.join("deployment.json");
    let indexer = Proc(
        Command::new(bin.join("timebank-indexer"))
            .env("TIMEBANK_RPC_URL", &platform.rpc)
            .env("TIMEBANK_WS_URL", &ws)
            .env("TIMEBANK_DEPLOYMENT", &deployment)
            .env("TIMEBANK_DATABASE_URL", &database)
            .stderr(log_file(&args.out, "indexer")?)
            .spawn()
            .wrap_err("starting timebank-indexer (cargo build --release first)")?,
    );
    // The three branches' gateways, each its own process on north's index (every branch's
    // index holds the same): members are registered at their own branch, whose gateway binds
    // their uniqueness key with the others' evaluations. North's is the one measured.
    let ports = [free_port(), free_port(), free_port()];
    let peers = |me: usize| {
        ports
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != me)
            .map(|(i, port)| format!("{}=http://127.0.0.1:{port}/", i + 1))
            .collect::<Vec<_>>()
            .join(",")
    };
    let start_gateway = |i: usize| -> eyre::Result<Proc> {
        let branch = i + 1;
        Ok(Proc(
            Command::new(bin.join("timebank-gateway"))
                .args(["--listen", &format!("127.0.0.1:{}", ports[i])])
                .args(["--branch-id", &branch.to_string()])
                .args(["--rpc-url", &platform.rpc])
                .arg("--deployment")
                .arg(&deployment)
                .args(["--database-url", &database])
                .arg("--branch-key-file")
                .arg(data.join(format!("keys/branch-{branch}.key")))
                .arg("--uniqueness-share-file")
                .arg(data.join(format!("keys/uniqueness-share-{branch}.json")))
                .arg("--uniqueness-public-file")
                .arg(data.join("keys/uniqueness-public.json"))
                .args(["--peer-gateway", &peers(i)])
                .arg("--relayer-key-file")
                .arg(data.join(format!("keys/relayer-{branch}.key")))
                // The bench measures how many writes a gateway can relay, not the rate a branch
                // allows itself (`--relay-per-second`, 200 by default).
                .args(["--relay-per-second", "1000000"])
                .env("RUST_LOG", "warn")
                .stderr(log_file(&args.out, &format!("gateway-{branch}"))?)
                .spawn()
                .wrap_err("starting timebank-gateway")?,
        ))
    };
    let gateway = start_gateway(0)?;
    let others = [start_gateway(1)?, start_gateway(2)?];
    let port = ports[0];
    let base = format!("http://127.0.0.1:{port}");
    let bases: Vec<String> = ports
        .iter()
        .map(|port| format!("http://127.0.0.1:{port}"))
        .collect();
    for base in &bases {
        wait_ready(&format!("{base}/ready")).await?;
    }
    // The demo data, written as people write it: through each branch's gateway.
    timebank_devnet::demo::run(timebank_devnet::Demo {
        data_dir: data.clone(),
        gateways: bases,
    })
    .await?;
    // South's and east's gateways take no part in what is measured from here.
    signal("-STOP", &[others[0].id(), others[1].id()])?;

    // A supervisor reads a north member's record and history.
    let supervisor: PrivateKeySigner = accounts.keys[7].parse()?;
    let session = Gateway::new(&base, timebank_indexer::Deployment::load(&deployment)?)?
        .sign_in(&supervisor)
        .await?;
    let member: PrivateKeySigner = accounts.keys[12].parse()?;
    let member = member.address();
    // Until the index has the demo's last writes.
    let mut indexed = false;
    for _ in 0..200 {
        let activities: Vec<serde_json::Value> = session.get("/v1/activities?limit=10").await?;
        if activities.len() >= 3 {
            indexed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    eyre::ensure!(indexed, "the demo's writes did not reach the index");
    let auth = format!(
        "Authorization: Bearer {}",
        session.token().unwrap_or_default()
    );

    let ceiling_port = free_port();
    let _ceiling = Proc(
        Command::new(bin.join("bench-ceiling"))
            .arg(ceiling_port.to_string())
            .spawn()?,
    );
    let ceiling_url = format!("http://127.0.0.1:{ceiling_port}/json");
    wait_ready(&ceiling_url).await?;
    let ceiling = loadgen(&bin, &ceiling_url, None, &args)?;
    let lookup = loadgen(
        &bin,
        &format!("{base}/v1/members/{member}"),
        Some(&auth),
        &args,
    )?;
    let history = loadgen(
        &bin,
        &format!("{base}/v1/accounts/{member}/history?limit=50"),
        Some(&auth),
        &args,
    )?;

    // End-to-end monitored payments.
    let deployment_file = timebank_indexer::Deployment::load(&deployment)?;
    let setup = std::time::Instant::now();
    let payers = payments::members(
        &platform.rpc,
        &deployment_file,
        &accounts.keys[0].parse()?,
        [&accounts.keys[1].parse()?, &accounts.keys[2].parse()?],
        1,
        args.payers,
    )
    .await
    .wrap_err("setting up the payers")?;
    eprintln!(
        "bench: {} payers registered and funded in {:.1}s; paying",
        args.payers,
        setup.elapsed().as_secs_f64()
    );
    let index = timebank_indexer::Store::connect(&database).await?;
    let anvil_pid = platform
        .anvil_pid()
        .ok_or_else(|| eyre::eyre!("anvil is not running"))?;
    let pids = [
        ("gateway", gateway.id()),
        ("indexer", indexer.id()),
        ("anvil", anvil_pid),
        ("load", std::process::id()),
    ];
    // Signing in is a session's cost, not a payment's: measured on its own, before the
    // payments' clock and CPU start, as the payments' rate always was.
    let gateway_cpu = || cpu_seconds(gateway.id());
    let before_sign_in = gateway_cpu()?;
    let sessions = payments::sign_in(&base, &deployment_file, &payers).await?;
    let sign_in_ms = (gateway_cpu()? - before_sign_in) * 1000.0 / payers.len().max(1) as f64;
    let cpu_before = pids
        .iter()
        .map(|(_, pid)| cpu_seconds(*pid))
        .collect::<eyre::Result<Vec<_>>>()?;
    let block_time = (args.block_ms > 0).then(|| Duration::from_millis(args.block_ms));
    let paid = payments::run(
        &platform.rpc,
        &deployment_file,
        &index,
        &payers,
        sessions,
        args.payments_per_payer,
        block_time,
    )
    .await?;
    // CPU per payment, by process: where the time goes on this machine.
    let mut cpu = serde_json::Map::new();
    for ((name, pid), before) in pids.iter().zip(cpu_before) {
        let used = cpu_seconds(*pid)? - before;
        cpu.insert(
            format!("e2e_cpu_{name}_ms_per_payment"),
            json!(used * 1000.0 / paid.payments.max(1) as f64),
        );
    }
    // The limit: the same payers' next payments straight to the chain, under the same block
    // period, with the gateway and the indexer stopped (SIGSTOP) so that they take no CPU.
    let stopped = [gateway.id(), indexer.id()];
    signal("-STOP", &stopped)?;
    let anvil_before = cpu_seconds(anvil_pid)?;
    let direct = payments::run_direct(
        &platform.rpc,
        &deployment_file,
        accounts.keys[18].parse()?,
        &payers,
        args.payments_per_payer,
        args.payments_per_payer as u64,
        block_time,
    )
    .await;
    let anvil_direct = cpu_seconds(anvil_pid)? - anvil_before;
    signal("-CONT", &stopped)?;
    let direct = direct.wrap_err("the chain-direct payments")?;
    let direct_rate = direct.payments as f64 / direct.seconds;
    let e2e_rate = paid.payments as f64 / paid.seconds;
    let cpu_of = |name: &str| {
        cpu.get(&format!("e2e_cpu_{name}_ms_per_payment"))
            .and_then(Value::as_f64)
            .unwrap_or_default()
    };
    let gateway_vs_node = cpu_of("gateway") / cpu_of("anvil").max(f64::MIN_POSITIVE);
    let quantile = |v: &[f64], q: f64| timebank_bench::quantile(v, q).unwrap_or_default();
    let figures = json!({
        "axum_ceiling_rps": ceiling["rps"],
        "axum_ceiling_p99_ms": ceiling["p99_ms"],
        "gateway_member_lookup_rps": lookup["rps"],
        "gateway_member_lookup_p50_ms": lookup["p50_ms"],
        "gateway_member_lookup_p99_ms": lookup["p99_ms"],
        "gateway_member_lookup_vs_ceiling": lookup["rps"].as_f64().unwrap_or(0.0)
            / ceiling["rps"].as_f64().unwrap_or(1.0).max(1.0),
        "gateway_history_rps": history["rps"],
        "gateway_history_p50_ms": history["p50_ms"],
        "gateway_history_p99_ms": history["p99_ms"],
        "e2e_monitored_payments_per_s": e2e_rate,
        "e2e_chain_direct_payments_per_s": direct_rate,
        "e2e_vs_chain_direct": e2e_rate / direct_rate,
        "e2e_chain_direct_cpu_anvil_ms_per_payment":
            anvil_direct * 1000.0 / direct.payments.max(1) as f64,
        "e2e_cpu_gateway_vs_node": gateway_vs_node,
        "e2e_relay_p50_ms": quantile(&paid.relay_ms, 0.5),
        "e2e_relay_p99_ms": quantile(&paid.relay_ms, 0.99),
        "indexer_live_lag_p50_ms": quantile(&paid.lag_ms, 0.5),
        "indexer_live_lag_p99_ms": quantile(&paid.lag_ms, 0.99),
        "indexer_live_lag_max_blocks": paid.max_lag_blocks,
        "e2e_cpu_gateway_ms_per_sign_in": sign_in_ms,
        "gateway_peak_rss_mib": peak_rss_mib(gateway.id())?,
        "indexer_peak_rss_mib": peak_rss_mib(indexer.id())?,
    });
    let mut figures = figures;
    if let Some(f) = figures.as_object_mut() {
        f.extend(cpu);
    }
    timebank_bench::print_bench_lines(&figures);
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let report = json!({
        "figures": figures,
        "settings": {
            "connections": args.connections,
            "seconds": args.seconds,
            "payers": args.payers,
            "payments_per_payer": args.payments_per_payer,
            "block_ms": args.block_ms,
        },
        // For the plots of `make bench`.
        "samples": {
            "e2e_relay_ms": paid.relay_ms,
            "indexer_live_lag_ms": paid.lag_ms,
        },
    });
    std::fs::write(&args.out, serde_json::to_string(&report)?)?;
    drop((gateway, indexer));
    platform.stop().await;
    Ok(())
}
