//! `timebank-riskscan`: the platform's risk agent.

use alloy::{
    network::EthereumWallet,
    providers::{Provider, ProviderBuilder},
};
use clap::{Parser, Subcommand};
use std::{collections::BTreeMap, path::PathBuf, time::Duration};
use timebank_bindings::deploy::Deployment;
use timebank_indexer::Store;
use timebank_riskscan::{Config, Engine, agent};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The platform's risk agent: detectors over payments and scans of the platform, on one
/// branch's index and the chain.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// The branch's index (the database its gateway reads): sqlite://… or postgres://….
    #[arg(long, env = "TIMEBANK_DATABASE_URL")]
    database_url: String,
    /// The chain's JSON-RPC.
    #[arg(
        long,
        env = "TIMEBANK_RPC_URL",
        default_value = "http://127.0.0.1:8545"
    )]
    rpc_url: url::Url,
    /// The deployment file (addresses).
    #[arg(long, env = "TIMEBANK_DEPLOYMENT")]
    deployment: PathBuf,
    /// Parameters (`riskscan.toml`); the defaults without it.
    #[arg(long, env = "TIMEBANK_RISKSCAN_CONFIG")]
    config: Option<PathBuf>,
    /// Logs as JSON lines.
    #[arg(long, env = "TIMEBANK_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Follows the index as blocks arrive: findings stored, cases opened, scans at an interval.
    Run {
        /// A file holding the monitoring agent's private key (hex); without it findings are
        /// stored and listed but no case is opened.
        #[arg(long, env = "TIMEBANK_RISKSCAN_KEY_FILE")]
        key_file: Option<PathBuf>,
        /// How often the index is read for new blocks (ms).
        #[arg(long, default_value_t = 500)]
        poll_ms: u64,
        /// Serves Prometheus metrics here (e.g. 127.0.0.1:9102).
        #[arg(long, env = "TIMEBANK_RISKSCAN_METRICS")]
        metrics: Option<std::net::SocketAddr>,
    },
    /// Runs one detector over the whole history with other parameters and reports what it
    /// would have found, writing nothing: tune it before switching it on.
    Backtest {
        /// The detector (`structuring`, `cycles`, `fan_in`, `fan_out`, `mule`, `velocity`).
        #[arg(long)]
        detector: String,
        /// A parameter of it, `name=value` (repeatable), e.g. `--param count=4`.
        #[arg(long = "param", value_parser = parse_param)]
        params: Vec<(String, String)>,
        /// Prints each finding as a JSON line too.
        #[arg(long)]
        json: bool,
    },
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .ok_or_else(|| format!("{s:?} is not name=value"))
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let cli = Cli::parse();
    timebank_indexer::telemetry::init_logs(cli.log_json);
    let mut config = Config::load(cli.config.as_deref())?;
    let deployment = Deployment::load(&cli.deployment)?;
    let store = Store::connect(&cli.database_url).await?;
    match cli.command {
        Command::Run {
            key_file,
            poll_ms,
            metrics,
        } => {
            if let Some(addr) = metrics {
                timebank_riskscan::metrics::serve(addr)?;
            }
            let builder = ProviderBuilder::new();
            let (chain, opens_cases) = match key_file {
                Some(path) => {
                    let signer = agent::signer_from_key_file(&path)?;
                    tracing::info!(agent = %signer.address(), "opens cases as the monitoring agent");
                    let wallet = EthereumWallet::new(signer);
                    (
                        builder.wallet(wallet).connect_http(cli.rpc_url).erased(),
                        true,
                    )
                }
                None => (builder.connect_http(cli.rpc_url).erased(), false),
            };
            let chain_id = chain.get_chain_id().await?;
            eyre::ensure!(
                chain_id == deployment.chain_id,
                "the node is on chain {chain_id}, the deployment on {}",
                deployment.chain_id
            );
            let agent = agent::Agent::new(store, chain, deployment, config, opens_cases).await?;
            agent
                .run(
                    Duration::from_millis(poll_ms),
                    timebank_indexer::telemetry::shutdown_signal(),
                )
                .await
        }
        Command::Backtest {
            detector,
            params,
            json,
        } => {
            for (name, value) in &params {
                config.set(&detector, name, value)?;
            }
            let chain = ProviderBuilder::new().connect_http(cli.rpc_url).erased();
            let rules = agent::chain_rules(&chain, &deployment).await?;
            let mut engine = Engine::new(&config, &rules).only(&detector)?;
            let Some(head) = store.head().await? else {
                eyre::bail!("the index is empty");
            };
            let started = std::time::Instant::now();
            let mut by_account: BTreeMap<String, u64> = BTreeMap::new();
            let (mut total, mut cases) = (0u64, 0u64);
            let open_case_at = config.open_case_at;
            let seen = agent::scan_history(
                &store,
                &mut engine,
                deployment.contracts.time_coin,
                head.number,
                |f| {
                    total += 1;
                    cases += u64::from(f.severity >= open_case_at);
                    *by_account.entry(f.account.to_string()).or_default() += 1;
                    if json {
                        println!("{}", serde_json::to_string(&f).unwrap_or_default());
                    }
                },
            )
            .await?;
            println!(
                "{detector}: {total} findings, {cases} of them cases (at {} or above), on {} \
                 accounts, over {seen} payments to block {} in {:.2} s",
                open_case_at.as_str(),
                by_account.len(),
                head.number,
                started.elapsed().as_secs_f64()
            );
            for (account, n) in &by_account {
                println!("  {account}  {n}");
            }
            Ok(())
        }
    }
}
