//! Shared by the integration tests (never by the product): a real anvil chain with the timebank
//! contracts deployed and wired through the bindings, ten actors, a scenario that emits every
//! kind of event, fresh SQLite and PostgreSQL databases, and indexing to the head.
#![allow(missing_docs)]

use alloy::sol_types::SolCall;
use alloy::{
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    primitives::{Address, B256, U256, keccak256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use std::path::{Path, PathBuf};
use timebank_bindings::{
    CredentialRegistry, IdentityRegistry, NoopMonitor, ServiceLedger, SupervisionDesk, TimeCoin,
    TimebankAccess, TimebankTimelock, roles,
};

const U40_ONE: alloy::primitives::aliases::U40 = alloy::primitives::aliases::U40::from_limbs([1]);
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

    /// Two branches with operators, a supervisor, an issuer, a partner, members alice and bob
    /// (north) and carol (south), rewards, payments, credentials, services, a held gift with its
    /// decided case, a risk alert, moves, key rotations, a rejected, a suspended and a closed
    /// member, a second operator's approval of a large reward and a wallet recovery decided by a
    /// supervisor: every kind of event. Returns alice's recovered wallet.
    pub async fn scenario(&self) -> Address {
        let (access, identity, credentials, coin, ledger, desk) = (
            self.access(),
            self.identity(),
            self.credentials(),
            self.coin(),
            self.ledger(),
            self.desk(),
        );
        send!(access.addBranch("north".into(), "North".into(), Self::branch_key(1)));
        send!(access.addBranch("south".into(), "South".into(), Self::branch_key(2)));
        send!(access.updateBranch(1, "north".into(), "North Region".into()));
        send!(access.grantRole(roles::operator(1), self.op1));
        send!(access.grantRole(roles::operator(1), self.op1b));
        send!(access.grantRole(roles::operator(2), self.op2));
        // The admin proposes north's new key, an operator confirms it (the delay is 0 here);
        // south's proposal is withdrawn.
        send!(access.proposeBranchKey(1, Self::branch_key(3)));
        send!(access.confirmBranchKey(1).from(self.op1));
        send!(
            access
                .proposeBranchKey(2, Self::branch_key(4))
                .from(self.op2)
        );
        send!(access.cancelBranchKey(2));
        self.govern(&[(
            self.deployment.contracts.access,
            TimebankAccess::grantRoleCall {
                role: roles::SUPERVISOR,
                account: self.supervisor,
            }
            .abi_encode(),
        )])
        .await;
        send!(access.grantRole(roles::PARTNER, self.partner));
        // A role granted in error and revoked; a branch paused and resumed; an admin transfer
        // and a change of its delay, both started and withdrawn.
        send!(access.grantRole(roles::AUDITOR, self.carol));
        send!(access.revokeRole(roles::AUDITOR, self.carol));
        send!(access.setBranchActive(2, false));
        send!(access.setBranchActive(2, true));
        send!(access.beginDefaultAdminTransfer(self.carol));
        send!(access.cancelDefaultAdminTransfer());
        send!(access.changeDefaultAdminDelay(alloy::primitives::aliases::U48::from(3600)));
        send!(access.rollbackDefaultAdminDelay());
        send!(credentials.defineCredentialType(1, "nursing".into()));
        send!(credentials.defineCredentialType(3, "upload".into()));
        send!(credentials.setCredentialTypeActive(2, false));
        send!(credentials.setCredentialTypeActive(2, true));
        send!(access.grantRole(roles::issuer(1), self.issuer));
        send!(ledger.setMintQuota(1, 1000 * HOUR));
        send!(ledger.setMintQuota(2, 1000 * HOUR));
        send!(ledger.setSecondApproval(1, 15 * HOUR));
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
        // dave is rejected; erin is suspended, reinstated and closed.
        let (dave, erin) = (Address::repeat_byte(0xda), Address::repeat_byte(0xe1));
        for who in [dave, erin] {
            send!(
                identity
                    .submitMember(who, 1, keccak256(who), vec![1].into())
                    .from(self.op1)
            );
        }
        send!(
            identity
                .rejectMember(dave, B256::repeat_byte(0xd))
                .from(self.op1b)
        );
        send!(identity.approveMember(erin).from(self.op1b));
        send!(
            identity
                .suspendMember(erin, B256::repeat_byte(0xe))
                .from(self.op1)
        );
        send!(
            identity
                .reinstateMember(erin, B256::repeat_byte(0xe))
                .from(self.supervisor)
        );
        send!(
            identity
                .closeMember(erin, B256::repeat_byte(0xe))
                .from(self.op1)
        );
        let far = alloy::primitives::aliases::U40::from(4_000_000_000u64);
        send!(
            credentials
                .issueCredential(self.alice, 1, B256::repeat_byte(7), far)
                .from(self.issuer)
        );
        send!(
            credentials
                .renewCredential(self.alice, 1, B256::repeat_byte(7), far + U40_ONE)
                .from(self.issuer)
        );
        send!(
            credentials
                .issueCredential(self.bob, 1, B256::repeat_byte(3), far)
                .from(self.issuer)
        );
        send!(
            credentials
                .revokeCredential(self.bob, 1, B256::repeat_byte(3))
                .from(self.issuer)
        );
        send!(
            credentials
                .declareCredential(2, B256::repeat_byte(0xc), far)
                .from(self.carol)
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
            send!(ledger.confirmHours(id, 10 * HOUR).from(member));
            send!(ledger.settle(id, member).from(op));
        }
        // A training above north's second-approval amount: two operators settle it.
        send!(
            ledger
                .createActivity(1, 1, 20 * HOUR, 1, B256::repeat_byte(1))
                .from(self.op1)
        );
        let training = U256::from(4);
        send!(ledger.joinActivity(training).from(self.alice));
        send!(
            ledger
                .recordHours(training, self.alice, 16 * HOUR)
                .from(self.op1)
        );
        send!(ledger.confirmHours(training, 16 * HOUR).from(self.alice));
        send!(ledger.settle(training, self.alice).from(self.op1));
        send!(ledger.settle(training, self.alice).from(self.op1b));
        send!(ledger.closeActivity(training).from(self.op1));
        send!(coin.transfer(self.bob, U256::from(HOUR)).from(self.alice));
        send!(coin.approve(self.bob, U256::from(HOUR)).from(self.alice));
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
        send!(
            ledger
                .proposeService(self.bob, HOUR, B256::repeat_byte(2))
                .from(self.carol)
        );
        send!(ledger.cancelService(U256::from(2)).from(self.bob));
        send!(coin.redeem(U256::from(HOUR), B256::ZERO).from(self.carol));
        // A gift held while no desk opens cases, adopted by the desk and released.
        let noop = NoopMonitor::deploy(&self.provider).await.unwrap();
        let (config, actions) = self.default_rules().await;
        self.govern(&[
            (
                self.deployment.contracts.time_coin,
                TimeCoin::setMonitorRulesCall {
                    config: config.clone(),
                    actions,
                }
                .abi_encode(),
            ),
            (
                self.deployment.contracts.time_coin,
                TimeCoin::setMonitorCall {
                    newMonitor: *noop.address(),
                }
                .abi_encode(),
            ),
        ])
        .await;
        send!(
            coin.transfer(self.alice, U256::from(10 * HOUR))
                .from(self.carol)
        );
        self.govern(&[(
            self.deployment.contracts.time_coin,
            TimeCoin::setMonitorCall {
                newMonitor: self.deployment.contracts.supervision_desk,
            }
            .abi_encode(),
        )])
        .await;
        send!(desk.adoptHold(U256::from(1)).from(self.supervisor));
        send!(
            desk.decideCase(U256::from(1), 2, B256::repeat_byte(4), 0)
                .from(self.supervisor)
        );
        // A change the guardian cancels in the timelock's queue.
        self.cancelled_change().await;
        // Rules on: a large gift is held, and a supervisor decides the case; the desk raises the
        // risk of an account with an open case.
        self.govern(&[
            (
                self.deployment.contracts.time_coin,
                TimeCoin::setMonitorRulesCall { config, actions }.abi_encode(),
            ),
            (
                self.deployment.contracts.supervision_desk,
                SupervisionDesk::setAutoRiskCall {
                    threshold: 1,
                    level: 1,
                }
                .abi_encode(),
            ),
        ])
        .await;
        send!(
            coin.transfer(self.carol, U256::from(10 * HOUR))
                .from(self.bob)
        );
        send!(
            desk.decideCase(U256::from(2), 2, B256::repeat_byte(4), 1)
                .from(self.supervisor)
        );
        self.govern(&[(
            self.deployment.contracts.supervision_desk,
            SupervisionDesk::setAutoRiskCall {
                threshold: 0,
                level: 0,
            }
            .abi_encode(),
        )])
        .await;
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
        send!(identity.requestMove(self.carol, 1).from(self.carol));
        send!(identity.cancelMove(self.carol).from(self.op2));
        send!(identity.requestMove(self.bob, 2).from(self.bob));
        send!(identity.acceptMove(self.bob).from(self.op2));
        send!(
            identity
                .updateProfile(self.alice, keccak256("v2"), vec![1, 2, 3].into())
                .from(self.op1)
        );
        // alice loses her wallet: an operator asks, a supervisor approves.
        let fresh: Address = "0x00000000000000000000000000000000000a11ce"
            .parse()
            .unwrap();
        send!(
            desk.requestRecovery(self.alice, fresh, B256::repeat_byte(8))
                .from(self.op1)
        );
        send!(
            desk.decideCase(U256::from(3), 2, B256::repeat_byte(8), 0)
                .from(self.supervisor)
        );
        fresh
    }

    /// The admin schedules switching the monitor off; the guardian cancels it.
    async fn cancelled_change(&self) {
        let timelock = TimebankTimelock::new(self.deployment.contracts.timelock, &self.provider);
        let (target, data) = (
            self.deployment.contracts.time_coin,
            alloy::primitives::Bytes::from(
                TimeCoin::setRuleEnabledCall {
                    ruleId: 1,
                    enabled: false,
                }
                .abi_encode(),
            ),
        );
        let salt = B256::repeat_byte(0x5a);
        send!(timelock.schedule(
            target,
            U256::ZERO,
            data.clone(),
            B256::ZERO,
            salt,
            U256::ZERO
        ));
        let id = timelock
            .hashOperation(target, U256::ZERO, data, B256::ZERO, salt)
            .call()
            .await
            .unwrap();
        send!(timelock.cancel(id));
        // The guardian's role, given to carol and taken back, by the timelock itself.
        let canceller = timelock.CANCELLER_ROLE().call().await.unwrap();
        let own = self.deployment.contracts.timelock;
        self.govern(&[
            (
                own,
                TimebankTimelock::grantRoleCall {
                    role: canceller,
                    account: self.carol,
                }
                .abi_encode(),
            ),
            (
                own,
                TimebankTimelock::revokeRoleCall {
                    role: canceller,
                    account: self.carol,
                }
                .abi_encode(),
            ),
        ])
        .await;
    }

    fn partner_as_operator(&self) -> Address {
        // The partner account doubles as branch 2's second operator in this scenario.
        self.partner
    }
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
