//! Shared by the integration tests (never by the product): a real anvil chain with the timebank
//! contracts deployed and wired through the bindings, ten actors, a scenario that emits every
//! kind of event, fresh SQLite and PostgreSQL databases, and indexing to the head.
#![allow(missing_docs)]

use alloy::{
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    primitives::{Address, B256, U256, keccak256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use std::path::{Path, PathBuf};
use timebank_bindings::{
    CredentialRegistry, IdentityRegistry, ServiceLedger, SupervisionDesk, TimeCoin, TimebankAccess,
    roles,
};
use timebank_indexer::{Deployment, Settings, Store};

pub const HOUR: u128 = 1_000_000_000_000_000_000;

/// Repository root (this crate's parent).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Anvil from the project's pinned toolchain.
pub fn anvil() -> Anvil {
    Anvil::new().path(root().join("node_modules/.bin/anvil"))
}

pub struct Chain {
    pub anvil: AnvilInstance,
    pub provider: DynProvider,
    pub deployment: Deployment,
    pub op1: Address,
    pub op1b: Address,
    pub op2: Address,
    pub supervisor: Address,
    pub issuer: Address,
    pub partner: Address,
    pub alice: Address,
    pub bob: Address,
    pub carol: Address,
}

/// Sends a contract call and waits for it to be mined; panics with the revert otherwise.
#[macro_export]
macro_rules! send {
    ($call:expr) => {{
        // The estimate plus a margin: an estimate made in the same second as the previous
        // write can be short by the SSTORE of a timestamp that changes when the block is one
        // second later.
        // (The call is built twice: its builder borrows temporaries.)
        let gas = $call
            .estimate_gas()
            .await
            .unwrap_or_else(|e| panic!("{} reverted: {e}", stringify!($call)));
        let receipt = $call
            .gas(gas + gas / 5 + 20_000)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{} reverted: {e}", stringify!($call)))
            .get_receipt()
            .await
            .unwrap();
        assert!(receipt.status(), "{} failed", stringify!($call));
        receipt
    }};
}

impl Chain {
    /// Starts anvil and deploys everything, as `contracts/script/Deploy.s.sol` does.
    pub async fn start() -> Self {
        Self::start_with(anvil()).await
    }

    pub async fn start_with(anvil: Anvil) -> Self {
        let anvil = anvil.try_spawn().expect("anvil starts");
        let signers: Vec<PrivateKeySigner> = anvil
            .keys()
            .iter()
            .map(|k| PrivateKeySigner::from(k.clone()))
            .collect();
        let mut wallet = EthereumWallet::new(signers[0].clone());
        for s in &signers[1..] {
            wallet.register_signer(s.clone());
        }
        let provider = ProviderBuilder::new()
            .wallet(wallet)
            .connect_http(anvil.endpoint_url())
            .erased();
        let a: Vec<Address> = signers.iter().map(|s| s.address()).collect();
        let admin = a[0];
        let start_block = provider.get_block_number().await.unwrap();

        let addresses = timebank_bindings::deploy::deploy_all(&provider, admin)
            .await
            .unwrap();
        let chain_id = provider.get_chain_id().await.unwrap();
        let deployment = Deployment::new(chain_id, start_block, admin, addresses);
        Self {
            anvil,
            provider,
            deployment,
            op1: a[1],
            op1b: a[2],
            op2: a[3],
            supervisor: a[4],
            issuer: a[5],
            partner: a[6],
            alice: a[7],
            bob: a[8],
            carol: a[9],
        }
    }

    pub fn access(&self) -> TimebankAccess::TimebankAccessInstance<DynProvider> {
        TimebankAccess::new(self.deployment.access, self.provider.clone())
    }
    pub fn identity(&self) -> IdentityRegistry::IdentityRegistryInstance<DynProvider> {
        IdentityRegistry::new(self.deployment.identity_registry, self.provider.clone())
    }
    pub fn credentials(&self) -> CredentialRegistry::CredentialRegistryInstance<DynProvider> {
        CredentialRegistry::new(self.deployment.credential_registry, self.provider.clone())
    }
    pub fn coin(&self) -> TimeCoin::TimeCoinInstance<DynProvider> {
        TimeCoin::new(self.deployment.time_coin, self.provider.clone())
    }
    pub fn ledger(&self) -> ServiceLedger::ServiceLedgerInstance<DynProvider> {
        ServiceLedger::new(self.deployment.service_ledger, self.provider.clone())
    }
    pub fn desk(&self) -> SupervisionDesk::SupervisionDeskInstance<DynProvider> {
        SupervisionDesk::new(self.deployment.supervision_desk, self.provider.clone())
    }

    /// Two branches with operators, a supervisor, an issuer, a partner, members alice and bob
    /// (north) and carol (south), rewards, payments, a credential, a service, a held gift with
    /// its decided case, a risk alert, a move and a wallet recovery: every kind of event.
    pub async fn scenario(&self) -> Address {
        let (access, identity, credentials, coin, ledger, desk) = (
            self.access(),
            self.identity(),
            self.credentials(),
            self.coin(),
            self.ledger(),
            self.desk(),
        );
        send!(access.addBranch("north".into(), "North".into(), vec![1u8; 32].into()));
        send!(access.addBranch("south".into(), "South".into(), vec![2u8; 32].into()));
        send!(access.updateBranch(
            1,
            "north".into(),
            "North Region".into(),
            vec![3u8; 32].into()
        ));
        send!(access.grantRole(roles::operator(1), self.op1));
        send!(access.grantRole(roles::operator(1), self.op1b));
        send!(access.grantRole(roles::operator(2), self.op2));
        send!(access.grantRole(roles::role("supervisor"), self.supervisor));
        send!(access.grantRole(roles::role("partner"), self.partner));
        send!(credentials.defineCredentialType(1, "nursing".into()));
        send!(access.grantRole(roles::issuer(1), self.issuer));
        send!(ledger.setMintQuota(1, 1000 * HOUR));
        send!(ledger.setMintQuota(2, 1000 * HOUR));
        for (member, branch) in [(self.alice, 1u32), (self.bob, 1), (self.carol, 2)] {
            let (submitter, approver) = if branch == 1 {
                (self.op1, self.op1b)
            } else {
                (self.op2, self.op2)
            };
            send!(
                identity
                    .submitMember(
                        member,
                        branch,
                        keccak256(member),
                        vec![0xc0, 0xff, 0xee].into()
                    )
                    .from(submitter)
            );
            if branch == 1 {
                send!(identity.approveMember(member).from(approver));
            }
        }
        // carol's branch has one operator: a second one joins to approve.
        send!(access.grantRole(roles::operator(2), self.partner_as_operator()));
        send!(
            identity
                .approveMember(self.carol)
                .from(self.partner_as_operator())
        );
        send!(
            credentials
                .issueCredential(
                    self.alice,
                    1,
                    B256::repeat_byte(7),
                    alloy::primitives::aliases::U40::from(4_000_000_000u64)
                )
                .from(self.issuer)
        );
        for (n, (member, op, branch)) in [
            (self.alice, self.op1, 1u32),
            (self.bob, self.op1, 1),
            (self.carol, self.op2, 2),
        ]
        .into_iter()
        .enumerate()
        {
            let id = U256::from(n + 1); // activities are numbered from 1
            send!(
                ledger
                    .createActivity(branch, 0, 20 * HOUR, 0, B256::repeat_byte(1))
                    .from(op)
            );
            send!(ledger.joinActivity(id).from(member));
            send!(ledger.recordHours(id, member, 10 * HOUR).from(op));
            send!(ledger.confirmHours(id).from(member));
            send!(ledger.settle(id, member).from(op));
        }
        send!(coin.transfer(self.bob, U256::from(HOUR)).from(self.alice));
        send!(
            coin.pay(self.carol, U256::from(2 * HOUR), 2, B256::repeat_byte(9))
                .from(self.alice)
        );
        send!(
            ledger
                .proposeService(self.alice, HOUR, B256::repeat_byte(2))
                .from(self.bob)
        );
        send!(ledger.confirmService(U256::from(1)).from(self.alice));
        // Rules on: a large gift is held, and a supervisor decides the case.
        let (config, actions) = default_rules();
        send!(coin.setMonitorRules(config.clone(), actions));
        send!(
            coin.transfer(self.carol, U256::from(10 * HOUR))
                .from(self.bob)
        );
        send!(
            desk.decideCase(U256::from(1), 2, B256::repeat_byte(4), 0)
                .from(self.supervisor)
        );
        send!(
            identity
                .raiseRiskAlert(self.bob, B256::repeat_byte(5))
                .from(self.partner)
        );
        send!(
            identity
                .assessRiskAlert(U256::from(1), 2, B256::repeat_byte(6))
                .from(self.supervisor)
        );
        send!(identity.requestMove(self.bob, 2).from(self.bob));
        send!(identity.acceptMove(self.bob).from(self.op2));
        send!(
            identity
                .updateProfile(self.alice, keccak256("v2"), vec![1, 2, 3].into())
                .from(self.op1)
        );
        // alice loses her wallet.
        let fresh: Address = "0x00000000000000000000000000000000000a11ce"
            .parse()
            .unwrap();
        send!(identity.recoverMember(self.alice, fresh, B256::repeat_byte(8)));
        fresh
    }

    fn partner_as_operator(&self) -> Address {
        // The partner account doubles as branch 2's second operator in this scenario.
        self.partner
    }
}

pub use timebank_bindings::deploy::default_rules;

/// A fresh database: a SQLite file in `dir`, or a new PostgreSQL database on the test server.
pub async fn fresh_database(postgres: bool, dir: &Path) -> Option<String> {
    // The code under test logs through `tracing`; `RUST_LOG=debug` shows it.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    if !postgres {
        return Some(format!("sqlite://{}", dir.join("index.sqlite").display()));
    }
    // Unset: a developer's quick run, PostgreSQL tests skip. `make test` always sets it.
    let server = std::env::var("TIMEBANK_TEST_POSTGRES_URL").ok()?;
    assert!(
        !server.is_empty(),
        "TIMEBANK_TEST_POSTGRES_URL is set but empty: no server started"
    );
    sqlx::any::install_default_drivers();
    let name = format!("tb_{}", rand_suffix());
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&server)
        .await
        .unwrap();
    sqlx::Executor::execute(
        &mut conn,
        sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
    )
    .await
    .unwrap();
    let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server);
    Some(format!("{base}/{name}"))
}

fn rand_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}{:x}", nanos, std::process::id())
}

/// Settings for a test run against `chain` into `database_url`.
pub fn settings(chain: &Chain, database_url: String) -> Settings {
    Settings {
        rpc_url: chain.anvil.endpoint(),
        ws_url: None,
        deployment: PathBuf::new(),
        database_url,
        start_block: None,
        confirmations: 0,
        max_range: 10_000,
        poll_interval: std::time::Duration::from_millis(50),
        metrics_addr: None,
        stop_at_head: true,
        log_json: false,
    }
}

/// Indexes `chain` up to its head into `url`.
pub async fn index_to_head(chain: &Chain, url: &str) -> Store {
    let store = Store::connect(url).await.unwrap();
    let provider = ProviderBuilder::new().connect_http(chain.anvil.endpoint_url());
    timebank_indexer::run(
        provider,
        store.clone(),
        &settings(chain, url.to_string()),
        &chain.deployment,
        std::future::pending(),
    )
    .await
    .unwrap();
    store
}
