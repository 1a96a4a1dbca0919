//! `up`: anvil with its state on disk, the contracts and the demo branches on the first start
//! ([`crate::setup`]), then an indexer and a gateway per branch until Ctrl-C.

use crate::{
    Up,
    setup::{ACCOUNTS, Accounts, BRANCHES, Paths, first_start},
};
use alloy::{
    network::EthereumWallet,
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use eyre::{WrapErr, bail, ensure, eyre};
use std::{
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use timebank_bindings::deploy::DEV_CHAIN_ID;
use timebank_indexer::{Deployment, Store};
use tokio::{sync::watch, task::JoinHandle};

/// A running platform.
pub struct Platform {
    anvil: tokio::process::Child,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Anvil's JSON-RPC endpoint.
    pub rpc: String,
    /// The branches' gateways, by branch id - 1.
    pub gateways: Vec<String>,
    /// The branches' database URLs, by branch id - 1.
    pub databases: Vec<String>,
    /// The deployment.
    pub deployment: Deployment,
    /// The data directory.
    pub paths: Paths,
    summary: String,
}

impl Platform {
    /// Anvil's process id (for the benchmarks' CPU and memory figures).
    pub fn anvil_pid(&self) -> Option<u32> {
        self.anvil.id()
    }

    /// What runs where, for people.
    pub fn summary(&self) -> &str {
        &self.summary
    }

    /// The demo accounts.
    pub fn accounts(&self) -> eyre::Result<Accounts> {
        Ok(serde_json::from_slice(&std::fs::read(
            self.paths.accounts(),
        )?)?)
    }

    /// Serves until Ctrl-C or SIGTERM (or anvil stops), then stops everything.
    pub async fn run_until_stopped(mut self) -> eyre::Result<()> {
        tokio::select! {
            () = timebank_indexer::telemetry::shutdown_signal() => {}
            status = self.anvil.wait() => {
                bail!("anvil stopped ({status:?}); its state is in {}", self.paths.state().display())
            }
        }
        eprintln!("devnet: stopping");
        self.stop().await;
        eprintln!("devnet: stopped; `make up` resumes the same chain and databases");
        Ok(())
    }

    /// Stops the gateways and indexers, then anvil (which saves its state).
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
        // SIGTERM: anvil writes its state before it exits.
        if let Some(pid) = self.anvil.id() {
            let _ = tokio::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), self.anvil.wait()).await;
    }
}

/// Starts (or resumes) the platform: anvil, the contracts (deployed on the first start), then
/// each branch's indexer and gateway.
pub async fn start(up: Up) -> eyre::Result<Platform> {
    ensure!(
        up.gateway_ports.len() == BRANCHES.len(),
        "TIMEBANK_GATEWAY_PORTS names {} ports; the demo has {} branches",
        up.gateway_ports.len(),
        BRANCHES.len()
    );
    let anvil_bin = PathBuf::from("node_modules/.bin/anvil");
    if !anvil_bin.exists() {
        bail!(
            "anvil is missing: run `make tools` (or `make up`, which does) from the repository root"
        );
    }
    check_port(&up.host, up.anvil_port, "anvil", "ANVIL_PORT")?;
    let (mut listeners, gateway_addrs) = bind_gateways(&up)?;
    if up.chain_only {
        listeners.clear();
    }
    let paths = Paths {
        root: up.data_dir.clone(),
    };
    std::fs::create_dir_all(up.data_dir.join("anvil"))?;
    let resuming = paths.state().exists();
    let (anvil, rpc) = start_anvil(&up, &anvil_bin, &paths).await?;
    let deployment = load_or_deploy(&up, &paths, &rpc).await?;

    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();
    let mut lines = Vec::new();
    let mut north = None;
    let mut databases = Vec::new();
    for (i, listener) in listeners.into_iter().enumerate() {
        let branch = Branch {
            id: u32::try_from(i + 1)?,
            listener,
            database: database(&up, u32::try_from(i + 1)?).await?,
        };
        lines.push(format!(
            "  {:<6} console http://{}/   docs http://{}/docs   database {}",
            BRANCHES[i].0,
            gateway_addrs[i],
            gateway_addrs[i],
            timebank_indexer::config::redact(&branch.database)
        ));
        north.get_or_insert_with(|| branch.database.clone());
        databases.push(branch.database.clone());
        tasks.extend(
            start_branch(
                &up,
                &paths,
                &deployment,
                &rpc,
                branch,
                &gateway_addrs,
                &stopped,
            )
            .await?,
        );
    }
    if let Some(north) = north {
        tasks.push(
            start_risk_agent(&north, &paths, &deployment, &rpc, &gateway_addrs, &stopped).await?,
        );
        lines.push(
            "  risk   one agent on north's index: findings at GET /v1/risk/findings and /v1/risk/platform, the console's 风险扫描"
                .to_owned(),
        );
    }
    let summary = format!(
        "\ntimebank is up ({}).\n  chain  {rpc} (chain id {}, state in {})\n{}\n  demo accounts and keys: {} (anvil's public development keys)\n  `make demo` fills it with members, payments and alerts; Ctrl-C stops everything.\n",
        if resuming { "resumed" } else { "new chain" },
        deployment.chain_id,
        paths.state().display(),
        lines.join("\n"),
        paths.accounts().display(),
    ) + &console_note(&up);
    let gateways = gateway_addrs
        .iter()
        .map(|addr| format!("http://{addr}"))
        .collect();
    Ok(Platform {
        anvil,
        stop,
        tasks,
        rpc,
        gateways,
        databases,
        deployment,
        paths,
        summary,
    })
}

/// A word when there is no console to serve.
fn console_note(up: &Up) -> String {
    if up.console_dir.join("index.html").is_file() {
        String::new()
    } else {
        format!(
            "  (no console: {} has no build; `make console` builds it)\n",
            up.console_dir.display()
        )
    }
}

/// Binds the gateways' sockets now and holds them, so that nothing started meanwhile (an
/// outgoing connection's ephemeral port, say) can take them; port 0 picks a free one.
fn bind_gateways(up: &Up) -> eyre::Result<(Vec<TcpListener>, Vec<SocketAddr>)> {
    let mut listeners = Vec::new();
    for (port, (name, _)) in up.gateway_ports.iter().zip(BRANCHES) {
        let listener = TcpListener::bind((up.host.as_str(), *port)).map_err(|err| {
            eyre!(
                "{name}'s gateway can't listen on {}:{port} ({err}): stop what runs there or set TIMEBANK_GATEWAY_PORTS",
                up.host
            )
        })?;
        listeners.push(listener);
    }
    let addrs = listeners
        .iter()
        .map(TcpListener::local_addr)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((listeners, addrs))
}

/// Starts anvil, saving its state every second and on exit, and waits until it answers.
/// Returns the process and its JSON-RPC endpoint.
async fn start_anvil(
    up: &Up,
    anvil_bin: &Path,
    paths: &Paths,
) -> eyre::Result<(tokio::process::Child, String)> {
    let anvil = tokio::process::Command::new(anvil_bin)
        .args(["--host", &up.host, "--port", &up.anvil_port.to_string()])
        .args([
            "--chain-id",
            &DEV_CHAIN_ID.to_string(),
            "--accounts",
            &ACCOUNTS.to_string(),
        ])
        .arg("--state")
        .arg(paths.state())
        .args(["--state-interval", "1", "--silent"])
        .arg("--config-out")
        .arg(paths.anvil_config())
        .kill_on_drop(true)
        .spawn()
        .wrap_err("starting anvil")?;
    let rpc = format!("http://{}:{}", up.host, up.anvil_port);
    let probe = ProviderBuilder::new().connect_http(rpc.parse()?);
    for _ in 0..100 {
        if probe.get_block_number().await.is_ok() && paths.anvil_config().exists() {
            return Ok((anvil, rpc));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("anvil did not answer at {rpc}")
}

/// The deployment of a resumed chain (checked to be on it), or a new one.
async fn load_or_deploy(up: &Up, paths: &Paths, rpc: &str) -> eyre::Result<Deployment> {
    if !paths.deployment().exists() {
        let config: serde_json::Value =
            serde_json::from_slice(&std::fs::read(paths.anvil_config())?)?;
        let keys: Vec<String> = serde_json::from_value(config["private_keys"].clone())?;
        return first_start(paths, rpc, keys).await;
    }
    let deployment = Deployment::load(&paths.deployment())?;
    let probe = ProviderBuilder::new().connect_http(rpc.parse()?);
    let code = probe.get_code_at(deployment.contracts.time_coin).await?;
    ensure!(
        !code.is_empty(),
        "{} names contracts this chain does not have (was {} removed?): remove {} to start over",
        paths.deployment().display(),
        paths.state().display(),
        up.data_dir.display()
    );
    Ok(deployment)
}

/// What a branch runs on.
struct Branch {
    id: u32,
    listener: TcpListener,
    database: String,
}

/// Starts a branch's indexer and gateway, which stop when `stopped` turns true; `peers` are
/// every branch's gateway's address, in branch order.
async fn start_branch(
    up: &Up,
    paths: &Paths,
    deployment: &Deployment,
    rpc: &str,
    branch: Branch,
    peers: &[SocketAddr],
    stopped: &watch::Receiver<bool>,
) -> eyre::Result<[JoinHandle<()>; 2]> {
    let until_stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let Branch {
        id,
        listener,
        database,
    } = branch;
    let store = Store::connect(&database)
        .await
        .wrap_err_with(|| format!("branch {id}'s database"))?;

    let settings = timebank_indexer::Settings {
        rpc_url: rpc.to_owned(),
        ws_url: Some(format!("ws://{}:{}", up.host, up.anvil_port)),
        deployment: paths.deployment(),
        database_url: database.clone(),
        ..timebank_indexer::Settings::default()
    };
    let (indexer_store, indexer_deployment) = (store.clone(), deployment.clone());
    let provider = ProviderBuilder::new().connect_http(rpc.parse()?);
    let rx = stopped.clone();
    let indexer = tokio::spawn(async move {
        if let Err(err) = timebank_indexer::run(
            provider,
            indexer_store,
            &settings,
            &indexer_deployment,
            until_stopped(rx),
        )
        .await
        {
            tracing::error!(branch = id, error = %err, "the indexer stopped");
        }
    });

    let settings = timebank_gateway::Settings {
        console_dir: up.console_dir.is_dir().then(|| up.console_dir.clone()),
        dev_accounts_file: Some(paths.accounts()),
        branch_key_file: Some(paths.branch_key(id)),
        uniqueness_share_file: Some(paths.uniqueness_share(id)),
        uniqueness_public_file: Some(paths.uniqueness_public()),
        // The other branches' gateways, where they really listen (a port may be 0: any).
        peer_gateways: peers
            .iter()
            .zip(1u32..)
            .filter(|(_, branch)| *branch != id)
            .map(|(addr, branch)| format!("{branch}=http://{addr}/"))
            .collect(),
        // A development platform: partners' webhooks may go to a receiver on this machine.
        webhook_allow_http: true,
        webhook_allow_loopback: true,
        ..timebank_gateway::Settings::new(
            listener.local_addr()?,
            id,
            rpc,
            paths.deployment(),
            &database,
        )
    };
    let relayer: PrivateKeySigner = std::fs::read_to_string(paths.relayer_key(id))?
        .trim()
        .parse()
        .map_err(|_| eyre!("the relayer key file of branch {id} is damaged"))?;
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(relayer.clone()))
        .connect_http(rpc.parse()?)
        .erased();
    let state = Arc::new(
        timebank_gateway::AppState::new(
            &settings,
            store,
            deployment.clone(),
            provider,
            Some(&relayer),
        )
        .await?,
    );
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let rx = stopped.clone();
    let gateway = tokio::spawn(async move {
        if let Err(err) =
            timebank_gateway::serve(listener, state, &settings, until_stopped(rx)).await
        {
            tracing::error!(branch = id, error = %err, "the gateway stopped");
        }
    });
    Ok([indexer, gateway])
}

/// The platform's risk agent, on north's index: every branch's node and gateway scanned, cases
/// opened as the monitoring agent (its key from the data directory).
async fn start_risk_agent(
    database: &str,
    paths: &Paths,
    deployment: &Deployment,
    rpc: &str,
    gateways: &[SocketAddr],
    stopped: &watch::Receiver<bool>,
) -> eyre::Result<JoinHandle<()>> {
    use timebank_riskscan::config::BranchEndpoints;
    let store = Store::connect(database).await?;
    let mut config = timebank_riskscan::Config::default();
    config.platform.branches = gateways
        .iter()
        .enumerate()
        .map(|(i, addr)| {
            Ok(BranchEndpoints {
                branch: u64::try_from(i + 1)?,
                rpc_url: rpc.parse()?,
                gateway_url: Some(format!("http://{addr}/").parse()?),
            })
        })
        .collect::<eyre::Result<_>>()?;
    for branch in 1..=u32::try_from(BRANCHES.len())? {
        let key: PrivateKeySigner = std::fs::read_to_string(paths.relayer_key(branch))?
            .trim()
            .parse()
            .map_err(|_| eyre!("the relayer key file of branch {branch} is damaged"))?;
        config.platform.relayers.push(key.address());
    }
    // A data directory from before the agent had a key: it finds, it opens no cases.
    let key = std::fs::read_to_string(paths.risk_agent_key()).ok();
    let (chain, opens_cases) = match key.and_then(|k| k.trim().parse::<PrivateKeySigner>().ok()) {
        Some(signer) => (
            ProviderBuilder::new()
                .wallet(EthereumWallet::from(signer))
                .connect_http(rpc.parse()?)
                .erased(),
            true,
        ),
        None => (
            ProviderBuilder::new().connect_http(rpc.parse()?).erased(),
            false,
        ),
    };
    let agent =
        timebank_riskscan::agent::Agent::new(store, chain, deployment.clone(), config, opens_cases)
            .await?;
    let mut rx = stopped.clone();
    Ok(tokio::spawn(async move {
        let stop = async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        if let Err(err) = agent.run(Duration::from_millis(500), stop).await {
            tracing::error!(error = %err, "the risk agent stopped");
        }
    }))
}

fn check_port(host: &str, port: u16, what: &str, variable: &str) -> eyre::Result<()> {
    TcpListener::bind((host, port)).map(drop).map_err(|err| {
        eyre!(
            "{what} can't listen on {host}:{port} ({err}): stop what runs there or set {variable}"
        )
    })
}

/// The database URL of `branch`: a SQLite file, or a database on the PostgreSQL server
/// (created if missing).
async fn database(up: &Up, branch: u32) -> eyre::Result<String> {
    if let Some(url) = up.branch_databases.get(branch as usize - 1) {
        return Ok(url.clone());
    }
    match &up.postgres_url {
        None => Ok(format!(
            "sqlite://{}",
            up.data_dir
                .join(format!("branch-{branch}/indexer.sqlite"))
                .display()
        )),
        Some(server) => Ok(timebank_indexer::store::create_database(
            server,
            &format!("timebank_branch_{branch}"),
            false,
        )
        .await
        .wrap_err("creating a branch's database on TIMEBANK_POSTGRES_URL")?),
    }
}
