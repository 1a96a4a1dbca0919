//! Shared by the integration tests (never by the product): a real anvil chain with the timebank
//! contracts deployed and wired through the bindings, ten actors, a scenario that emits every
//! kind of event, fresh SQLite and PostgreSQL databases, and indexing to the head.
#![allow(missing_docs)]

mod scenario;

use alloy::{
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    primitives::{Address, B256, keccak256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use std::path::{Path, PathBuf};
use timebank_bindings::{
    CredentialRegistry, IdentityRegistry, ServiceLedger, SupervisionDesk, TimeCoin, TimebankAccess,
};

const U40_ONE: alloy::primitives::aliases::U40 = alloy::primitives::aliases::U40::from_limbs([1]);
use timebank_indexer::{Deployment, Settings, Store};

pub use timebank_bindings::HOUR;

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
        TimebankAccess::new(self.deployment.contracts.access, self.provider.clone())
    }
    pub fn identity(&self) -> IdentityRegistry::IdentityRegistryInstance<DynProvider> {
        IdentityRegistry::new(
            self.deployment.contracts.identity_registry,
            self.provider.clone(),
        )
    }
    pub fn credentials(&self) -> CredentialRegistry::CredentialRegistryInstance<DynProvider> {
        CredentialRegistry::new(
            self.deployment.contracts.credential_registry,
            self.provider.clone(),
        )
    }
    pub fn coin(&self) -> TimeCoin::TimeCoinInstance<DynProvider> {
        TimeCoin::new(self.deployment.contracts.time_coin, self.provider.clone())
    }
    pub fn ledger(&self) -> ServiceLedger::ServiceLedgerInstance<DynProvider> {
        ServiceLedger::new(
            self.deployment.contracts.service_ledger,
            self.provider.clone(),
        )
    }
    pub fn desk(&self) -> SupervisionDesk::SupervisionDeskInstance<DynProvider> {
        SupervisionDesk::new(
            self.deployment.contracts.supervision_desk,
            self.provider.clone(),
        )
    }

    /// Carries out `calls` as the governor, through the timelock (its delay is 0 here).
    pub async fn govern(&self, calls: &[(Address, Vec<u8>)]) {
        let calls: Vec<(Address, alloy::primitives::Bytes)> = calls
            .iter()
            .map(|(to, data)| (*to, data.clone().into()))
            .collect();
        timebank_bindings::deploy::govern(
            &self.provider,
            self.deployment.contracts.timelock,
            self.deployment.admin,
            &calls,
        )
        .await
        .unwrap_or_else(|e| panic!("governing {} calls: {e}", calls.len()));
    }

    /// Puts `key` in force as `branch`'s data-package key: the admin proposes, an operator of
    /// the branch confirms (the delay is 0 here).
    pub async fn rotate_branch_key(&self, branch: u32, key: B256) {
        let access = self.access();
        let operator = if branch == 1 { self.op1 } else { self.op2 };
        send!(access.proposeBranchKey(branch, key));
        send!(access.confirmBranchKey(branch).from(operator));
    }

    /// The monitoring rules timebank ships with, read from the coin.
    pub async fn default_rules(&self) -> (timebank_bindings::time_coin::MonitorRules::Config, u32) {
        timebank_bindings::deploy::default_rules(
            &self.provider,
            self.deployment.contracts.time_coin,
        )
        .await
        .unwrap()
    }

    /// A branch key for tests that open no data packages: a hash, which is a valid X25519 public
    /// key (not of small order) with overwhelming odds.
    pub fn branch_key(n: u8) -> B256 {
        keccak256([b"timebank test branch key".as_slice(), &[n]].concat())
    }
}

/// A uniqueness key for the person behind `account` (one person per account in the tests that
/// call the registry directly; the gateway derives real ones from identity documents).
pub fn person(account: alloy::primitives::Address) -> alloy::primitives::B256 {
    alloy::primitives::keccak256([b"person".as_slice(), account.as_slice()].concat())
}

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
    // Unset: a developer's quick run, PostgreSQL tests skip. `make test` always sets it, and
    // under CI (`CI` set) a PostgreSQL test without a server fails rather than pass unrun.
    let Ok(server) = std::env::var("TIMEBANK_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but TIMEBANK_TEST_POSTGRES_URL is not: PostgreSQL tests must run in CI \
             (make test-rust starts a server)"
        );
        eprintln!("skipped: TIMEBANK_TEST_POSTGRES_URL is not set");
        return None;
    };
    assert!(
        !server.is_empty(),
        "TIMEBANK_TEST_POSTGRES_URL is set but empty: no server started"
    );
    let name = format!("tb_{}", rand_suffix());
    Some(
        timebank_indexer::store::create_database(&server, &name, true)
            .await
            .expect("creating a test database"),
    )
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
        deployment: PathBuf::new(),
        database_url,
        poll_interval: std::time::Duration::from_millis(50),
        stop_at_head: true,
        ..Settings::default()
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
