//! `up`: anvil with its state on disk, the contracts and three demo branches on the first start,
//! then an indexer and a gateway per branch until Ctrl-C.

use crate::Up;
use alloy::{
    network::EthereumWallet,
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use eyre::{WrapErr, bail, ensure, eyre};
use serde::{Deserialize, Serialize};
use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};
use timebank_bindings::{CredentialRegistry, ServiceLedger, TimeCoin, TimebankAccess, roles};
use timebank_gateway::privacy::KeyPair;
use timebank_indexer::{Deployment, Store};
use tokio::sync::watch;

/// Anvil accounts (its well-known development mnemonic) and what the demo makes of them.
pub const ACCOUNTS: usize = 20;
const ADMIN: usize = 0;
/// Two operators per branch: the second approves what the first submits.
pub const OPERATORS: [(usize, usize); 3] = [(1, 2), (3, 4), (5, 6)];
/// The supervisor.
pub const SUPERVISOR: usize = 7;
/// Issues identity checks.
pub const ID_ISSUER: usize = 8;
/// Issues the nursing licence and first-aid training certificates.
pub const SKILLS_ISSUER: usize = 9;
/// The partner institution.
pub const PARTNER: usize = 10;
/// The auditor.
pub const AUDITOR: usize = 11;
/// Demo members: two north, two south, one east.
pub const MEMBERS: [(usize, u32); 5] = [(12, 1), (13, 1), (14, 2), (15, 2), (16, 3)];
/// One relayer per branch's gateway.
const RELAYERS: [usize; 3] = [17, 18, 19];
/// The branches.
pub const BRANCHES: [(&str, &str); 3] = [
    ("north", "North Region"),
    ("south", "South Region"),
    ("east", "East Region"),
];
const HOUR: u128 = 1_000_000_000_000_000_000;

/// What `data/accounts.json` says: every demo role's address and (anvil's public) key.
#[derive(Debug, Serialize, Deserialize)]
pub struct Accounts {
    /// A reminder of what these keys are.
    pub warning: String,
    /// Role name → (address, private key).
    pub roles: Vec<(String, Address, String)>,
    /// All keys, by anvil index.
    pub keys: Vec<String>,
}

/// The data directory's layout.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The data directory.
    pub root: PathBuf,
}

impl Paths {
    /// Anvil's saved state.
    pub fn state(&self) -> PathBuf {
        self.root.join("anvil/state.json")
    }
    /// What anvil says of its accounts.
    pub fn anvil_config(&self) -> PathBuf {
        self.root.join("anvil/accounts.json")
    }
    /// The contracts' addresses.
    pub fn deployment(&self) -> PathBuf {
        self.root.join("deployment.json")
    }
    /// The demo accounts.
    pub fn accounts(&self) -> PathBuf {
        self.root.join("accounts.json")
    }
    /// A branch's data-package key.
    pub fn branch_key(&self, branch: u32) -> PathBuf {
        self.root.join(format!("keys/branch-{branch}.key"))
    }
    /// A branch gateway's relayer key.
    pub fn relayer_key(&self, branch: u32) -> PathBuf {
        self.root.join(format!("keys/relayer-{branch}.key"))
    }
}

/// Writes a secret readable by its owner only.
fn write_secret(path: &Path, text: &str) -> eyre::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .wrap_err_with(|| format!("writing {}", path.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    Ok(())
}

/// A provider that can send from every anvil account.
pub fn provider(rpc: &str, keys: &[String]) -> eyre::Result<(DynProvider, Vec<Address>)> {
    let signers: Vec<PrivateKeySigner> = keys
        .iter()
        .map(|k| {
            k.parse()
                .map_err(|_| eyre!("a key in the accounts file is not a key"))
        })
        .collect::<eyre::Result<_>>()?;
    let mut wallet = EthereumWallet::new(signers[0].clone());
    for s in &signers[1..] {
        wallet.register_signer(s.clone());
    }
    let provider = ProviderBuilder::new()
        .wallet(wallet)
        .connect_http(rpc.parse().wrap_err("the RPC URL")?)
        .erased();
    Ok((provider, signers.iter().map(|s| s.address()).collect()))
}

/// Sends a call and waits for it; a refusal names the contract's error.
macro_rules! send {
    ($what:expr, $call:expr) => {{
        let refused = |err: alloy::contract::Error| {
            let reason = err
                .as_revert_data()
                .map(|data| timebank_bindings::describe_revert(&data))
                .unwrap_or_else(|| err.to_string());
            eyre::eyre!("{} was refused: {reason}", $what)
        };
        // The estimate plus a margin: an estimate made in the same second as the previous
        // write can be short by the SSTORE of a timestamp that changes when the block is one
        // second later.
        let gas = $call.estimate_gas().await.map_err(refused)?;
        let pending = $call
            .gas(gas + gas / 5 + 20_000)
            .send()
            .await
            .map_err(refused)?;
        let receipt = pending.get_receipt().await?;
        eyre::ensure!(receipt.status(), "{} reverted", $what);
    }};
}
pub(crate) use send;

/// Deploys, wires and sets up the demo branches; writes the keys and the deployment file.
async fn first_start(paths: &Paths, rpc: &str, keys: Vec<String>) -> eyre::Result<Deployment> {
    let (provider, a) = provider(rpc, &keys)?;
    let admin = a[ADMIN];
    let start_block = provider.get_block_number().await?;
    eprintln!("devnet: deploying the contracts");
    let addresses = timebank_bindings::deploy::deploy_all(&provider, admin).await?;
    let deployment = Deployment::new(
        provider.get_chain_id().await?,
        start_block,
        admin,
        addresses,
    );
    let access = TimebankAccess::new(deployment.contracts.access, &provider);
    let credentials = CredentialRegistry::new(deployment.contracts.credential_registry, &provider);
    let ledger = ServiceLedger::new(deployment.contracts.service_ledger, &provider);
    let (config, actions) =
        timebank_bindings::deploy::default_rules(&provider, deployment.contracts.time_coin).await?;
    eprintln!("devnet: the governor (timelock) sets the monitoring rules and the supervisor");
    timebank_bindings::deploy::govern(
        &provider,
        deployment.contracts.timelock,
        admin,
        &[
            (
                deployment.contracts.time_coin,
                TimeCoin::setMonitorRulesCall { config, actions }
                    .abi_encode()
                    .into(),
            ),
            (
                deployment.contracts.access,
                TimebankAccess::grantRoleCall {
                    role: roles::SUPERVISOR,
                    account: a[SUPERVISOR],
                }
                .abi_encode()
                .into(),
            ),
        ],
    )
    .await?;

    for (i, (name, region)) in BRANCHES.iter().enumerate() {
        let branch = u32::try_from(i + 1)?;
        let key = KeyPair::generate();
        write_secret(&paths.branch_key(branch), &key.secret_hex())?;
        send!(
            format!("adding branch {name}"),
            access.addBranch((*name).into(), (*region).into(), key.public.into())
        );
        let (first, second) = OPERATORS[i];
        for op in [first, second] {
            send!(
                "granting an operator",
                access.grantRole(roles::operator(branch), a[op])
            );
        }
        send!(
            "setting a minting quota",
            ledger.setMintQuota(branch, 10_000 * HOUR)
        );
        write_secret(&paths.relayer_key(branch), &keys[RELAYERS[i]])?;
    }
    for (name, role, who) in [
        ("partner", roles::PARTNER, PARTNER),
        ("auditor", roles::AUDITOR, AUDITOR),
    ] {
        send!(format!("granting {name}"), access.grantRole(role, a[who]));
    }
    for (type_id, (kind, name, issuer)) in [
        (0u8, "government identity check", ID_ISSUER),
        (1, "nursing licence", SKILLS_ISSUER),
        (2, "first aid", SKILLS_ISSUER),
    ]
    .into_iter()
    .enumerate()
    {
        send!(
            format!("defining {name}"),
            credentials.defineCredentialType(kind, name.into())
        );
        let type_id = u32::try_from(type_id + 1)?;
        send!(
            "granting an issuer",
            access.grantRole(roles::issuer(type_id), a[issuer])
        );
    }

    let mut named = vec![
        ("admin".to_owned(), ADMIN),
        ("supervisor".into(), SUPERVISOR),
    ];
    for (i, (name, _)) in BRANCHES.iter().enumerate() {
        named.push((format!("{name}-operator-1"), OPERATORS[i].0));
        named.push((format!("{name}-operator-2"), OPERATORS[i].1));
    }
    named.extend([
        ("identity-issuer".into(), ID_ISSUER),
        ("skills-issuer".into(), SKILLS_ISSUER),
        ("partner".into(), PARTNER),
        ("auditor".into(), AUDITOR),
    ]);
    for (n, (index, branch)) in MEMBERS.iter().enumerate() {
        named.push((
            format!("member-{}-{}", n + 1, BRANCHES[*branch as usize - 1].0),
            *index,
        ));
    }
    let accounts = Accounts {
        warning: "anvil's well-known development keys: for this local chain only, never for a \
                  real one"
            .into(),
        roles: named
            .into_iter()
            .map(|(name, i)| (name, a[i], keys[i].clone()))
            .collect(),
        keys,
    };
    write_secret(&paths.accounts(), &serde_json::to_string_pretty(&accounts)?)?;
    std::fs::write(
        paths.deployment(),
        serde_json::to_string_pretty(&deployment)?,
    )?;
    Ok(deployment)
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
        Some(server) => {
            sqlx::any::install_default_drivers();
            let name = format!("timebank_branch_{branch}");
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(server)
                .await
                .wrap_err("connecting to TIMEBANK_POSTGRES_URL")?;
            let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
                .bind(&name)
                .fetch_optional(&mut conn)
                .await?
                .is_some();
            if !exists {
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await?;
            }
            let base = server.rsplit_once('/').map_or(server.as_str(), |(b, _)| b);
            Ok(format!("{base}/{name}"))
        }
    }
}

/// A running platform.
pub struct Platform {
    anvil: tokio::process::Child,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Anvil's JSON-RPC endpoint.
    pub rpc: String,
    /// The branches' gateways, by branch id - 1.
    pub gateways: Vec<String>,
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
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
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

/// Starts (or resumes) the platform.
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
    // The gateways' sockets are bound now and held, so nothing started meanwhile (an outgoing
    // connection's ephemeral port, say) can take them; port 0 picks a free one.
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
    let gateway_addrs = listeners
        .iter()
        .map(TcpListener::local_addr)
        .collect::<Result<Vec<_>, _>>()?;
    if up.chain_only {
        listeners.clear();
    }
    let paths = Paths {
        root: up.data_dir.clone(),
    };
    std::fs::create_dir_all(up.data_dir.join("anvil"))?;
    let resuming = paths.state().exists();

    // anvil, saving its state every second and on exit.
    let anvil = tokio::process::Command::new(&anvil_bin)
        .args(["--host", &up.host, "--port", &up.anvil_port.to_string()])
        .args(["--chain-id", "31337", "--accounts", &ACCOUNTS.to_string()])
        .arg("--state")
        .arg(paths.state())
        .args(["--state-interval", "1", "--silent"])
        .arg("--config-out")
        .arg(paths.anvil_config())
        .kill_on_drop(true)
        .spawn()
        .wrap_err("starting anvil")?;
    let rpc = format!("http://{}:{}", up.host, up.anvil_port);
    let ws = format!("ws://{}:{}", up.host, up.anvil_port);
    let probe = ProviderBuilder::new().connect_http(rpc.parse()?);
    let mut ready = false;
    for _ in 0..100 {
        if probe.get_block_number().await.is_ok() && paths.anvil_config().exists() {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ensure!(ready, "anvil did not answer at {rpc}");

    let deployment = if paths.deployment().exists() {
        let deployment = Deployment::load(&paths.deployment())?;
        let code = probe.get_code_at(deployment.contracts.time_coin).await?;
        ensure!(
            !code.is_empty(),
            "{} names contracts this chain does not have (was {} removed?): remove {} to start over",
            paths.deployment().display(),
            paths.state().display(),
            up.data_dir.display()
        );
        deployment
    } else {
        let config: serde_json::Value =
            serde_json::from_slice(&std::fs::read(paths.anvil_config())?)?;
        let keys: Vec<String> = serde_json::from_value(config["private_keys"].clone())?;
        first_start(&paths, &rpc, keys).await?
    };

    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let mut tasks = Vec::new();
    let mut lines = Vec::new();
    for (i, listener) in listeners.into_iter().enumerate() {
        let branch = u32::try_from(i + 1)?;
        let url = database(&up, branch).await?;
        let store = Store::connect(&url)
            .await
            .wrap_err_with(|| format!("branch {branch}'s database"))?;
        // The indexer.
        let settings = timebank_indexer::Settings {
            rpc_url: rpc.clone(),
            ws_url: Some(ws.clone()),
            deployment: paths.deployment(),
            database_url: url.clone(),
            start_block: None,
            confirmations: 0,
            max_range: 10_000,
            poll_interval: Duration::from_millis(200),
            metrics_addr: None,
            stop_at_head: false,
            log_json: false,
        };
        let (indexer_store, indexer_deployment) = (store.clone(), deployment.clone());
        let indexer_provider = ProviderBuilder::new().connect_http(rpc.parse()?);
        let rx = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(err) = timebank_indexer::run(
                indexer_provider,
                indexer_store,
                &settings,
                &indexer_deployment,
                stopped(rx),
            )
            .await
            {
                tracing::error!(branch, error = %err, "the indexer stopped");
            }
        }));
        // The gateway.
        let listen = gateway_addrs[i].to_string();
        let settings = <timebank_gateway::Settings as clap::Parser>::try_parse_from([
            "timebank-gateway",
            "--listen",
            &listen,
            "--branch-id",
            &branch.to_string(),
            "--rpc-url",
            &rpc,
            "--database-url",
            &url,
            "--branch-key-file",
            paths.branch_key(branch).to_str().unwrap_or_default(),
        ])?;
        let relayer: PrivateKeySigner = std::fs::read_to_string(paths.relayer_key(branch))?
            .trim()
            .parse()
            .map_err(|_| eyre!("the relayer key file of branch {branch} is damaged"))?;
        let relayer_address = relayer.address();
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(relayer))
            .connect_http(rpc.parse()?)
            .erased();
        let state = Arc::new(
            timebank_gateway::AppState::new(
                &settings,
                store,
                deployment.clone(),
                provider,
                Some(relayer_address),
            )
            .await?,
        );
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let rx = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(err) = timebank_gateway::serve(listener, state, &settings, stopped(rx)).await
            {
                tracing::error!(branch, error = %err, "the gateway stopped");
            }
        }));
        lines.push(format!(
            "  {:<6} http://{listen}   docs http://{listen}/docs   database {}",
            BRANCHES[i].0,
            timebank_indexer::config::redact(&url)
        ));
    }
    let summary = format!(
        "\ntimebank is up ({}).\n  chain  {rpc} (chain id {}, state in {})\n{}\n  demo accounts and keys: {} (anvil's public development keys)\n  `make demo` fills it with members, payments and alerts; Ctrl-C stops everything.\n",
        if resuming { "resumed" } else { "new chain" },
        deployment.chain_id,
        paths.state().display(),
        lines.join("\n"),
        paths.accounts().display(),
    );
    let gateways = gateway_addrs
        .iter()
        .map(|addr| format!("http://{addr}"))
        .collect();
    Ok(Platform {
        anvil,
        stop: stop_tx,
        tasks,
        rpc,
        gateways,
        deployment,
        paths,
        summary,
    })
}
