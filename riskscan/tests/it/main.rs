//! The agent on a real anvil chain, indexed into SQLite and PostgreSQL: members make each
//! pattern with their own keys (and the ordinary payments beside them that must not fire), the
//! indexer indexes, the agent finds each pattern once, opens a case for it on chain as the
//! monitoring agent with the evidence's hash, and a restarted agent adds nothing.

#![allow(missing_docs)]

mod floods;
mod platform;

use alloy::sol_types::SolCall;
use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, U256, keccak256},
    providers::{DynProvider, Provider, ProviderBuilder, ext::AnvilApi},
    signers::local::PrivateKeySigner,
};
use std::collections::BTreeSet;
use timebank_bindings::{HOUR, TimeCoin, roles, types::Purpose};
use timebank_indexer::Store;
use timebank_riskscan::{Config, agent::Agent};
use timebank_testkit::{Chain, send};

/// A chain with twenty funded members at branch 1 and a monitoring agent's key.
pub struct World {
    pub chain: Chain,
    pub members: Vec<Address>,
    pub agent: PrivateKeySigner,
}

impl World {
    pub async fn start() -> Self {
        let chain = Chain::start_with(timebank_testkit::anvil().arg("--accounts").arg("32")).await;
        let (access, identity, ledger) = (chain.access(), chain.identity(), chain.ledger());
        send!(access.addBranch("north".into(), "North".into(), Chain::branch_key(1)));
        send!(access.grantRole(roles::operator(1), chain.op1));
        send!(access.grantRole(roles::operator(1), chain.op1b));
        // The issuer's key stands for north's gateway, which binds members' uniqueness keys.
        send!(access.grantRole(roles::gateway(1), chain.issuer));
        let keys = chain.anvil.keys().to_vec();
        let agent = PrivateKeySigner::from(keys[31].clone());
        send!(access.grantRole(roles::MONITORING_AGENT, agent.address()));
        send!(ledger.setMintQuota(1, 10_000 * HOUR));
        // The rules timebank ships with, as a deployment's governor sets them.
        let (config, actions) = chain.default_rules().await;
        chain
            .govern(&[(
                chain.deployment.contracts.time_coin,
                TimeCoin::setMonitorRulesCall { config, actions }.abi_encode(),
            )])
            .await;
        let members: Vec<Address> = keys[10..30]
            .iter()
            .map(|k| PrivateKeySigner::from(k.clone()).address())
            .collect();
        send!(
            ledger
                .createActivity(1, 0, 1_000 * HOUR, 0, B256::repeat_byte(1))
                .from(chain.op1)
        );
        let activity = U256::from(1);
        for m in &members {
            send!(
                identity
                    .submitMember(*m, 1, keccak256(m), vec![1].into())
                    .from(chain.op1)
            );
            send!(
                identity
                    .bindUniquenessKey(*m, timebank_testkit::person(*m))
                    .from(chain.issuer)
            );
            send!(identity.approveMember(*m).from(chain.op1b));
            send!(ledger.joinActivity(activity).from(*m));
            send!(ledger.recordHours(activity, *m, 30 * HOUR).from(chain.op1));
            send!(ledger.confirmHours(activity, 30 * HOUR).from(*m));
            send!(ledger.settle(activity, *m).from(chain.op1b));
        }
        Self {
            chain,
            members,
            agent,
        }
    }

    /// `from` pays `to` `hours` for `purpose`, signed with `from`'s own key.
    /// A service payment is a real service: `to` proposes it and `from` confirms it, which pays
    /// (the coin refuses a member's own service payment).
    pub async fn pay(&self, from: usize, to: usize, hours: f64, purpose: Purpose) {
        let amount = U256::from((hours * 1e6).round() as u128) * U256::from(1_000_000_000_000u64);
        let (payer, payee) = (self.members[from], self.members[to]);
        if purpose == Purpose::ServicePayment {
            let ledger = self.chain.ledger();
            let propose = ledger
                .proposeService(payer, amount.to::<u128>(), B256::ZERO)
                .from(payee);
            let service = propose.call().await.unwrap();
            send!(propose);
            send!(ledger.confirmService(service).from(payer));
            return;
        }
        let coin = self.chain.coin();
        send!(
            coin.pay(payee, amount, purpose as u8, B256::ZERO)
                .from(payer)
        );
    }

    pub async fn later(&self, secs: u64) {
        self.chain.provider.anvil_increase_time(secs).await.unwrap();
    }

    /// A provider that signs as the monitoring agent only.
    pub fn agent_chain(&self) -> DynProvider {
        ProviderBuilder::new()
            .wallet(EthereumWallet::new(self.agent.clone()))
            .connect_http(self.chain.anvil.endpoint_url())
            .erased()
    }

    pub async fn agent(&self, store: Store, config: Config) -> Agent {
        Agent::new(
            store,
            self.agent_chain(),
            self.chain.deployment.clone(),
            config,
            true,
        )
        .await
        .unwrap()
    }
}

/// The patterns, each beside the ordinary payments that look like it and must not fire.
async fn patterns(w: &World) {
    use Purpose::{Gift, ServicePayment};
    // Ordinary members paying each other for services, now and then.
    // (Member 0 stays out: its first payment opens its window on the chain, below.)
    for (from, to) in [(1, 2), (2, 3), (3, 1), (3, 4), (4, 3)] {
        w.pay(from, to, 2.0, ServicePayment).await;
    }
    // Structuring across the chain's window edge: member 0 opens its window, then gives 9 h
    // (the band below the 10 h gift threshold) twice just before the window ends and once
    // just after; the chain counts two and one.
    w.later(3600).await;
    w.pay(0, 5, 0.5, Gift).await;
    w.later(86_400 - 600).await;
    w.pay(0, 1, 9.0, Gift).await;
    w.pay(0, 2, 9.0, Gift).await;
    w.later(1_200).await;
    w.pay(0, 3, 9.0, Gift).await;
    // ... and member 6 gives 9 h three times, a day and more apart: not structuring.
    for to in [7, 8, 9] {
        w.pay(6, to, 9.0, Gift).await;
        w.later(90_000).await;
    }
    // A cycle through two others, an hour per hop, with dust between: 10 -> 11 -> 12 -> 10
    // (each hop within the mule's two hours: 11 and 12 are mules too).
    w.pay(10, 11, 5.0, Gift).await;
    w.later(3600).await;
    w.pay(11, 19, 0.01, Gift).await;
    w.pay(11, 12, 4.8, Gift).await;
    w.later(3600).await;
    w.pay(12, 10, 4.7, Gift).await;
    w.later(3 * 3600).await;
    // Fan-in: eight members give member 13 1.5 h each within minutes; it then spreads 11.2 h
    // to eight others (fan-out with coins just received).
    for from in 0..8 {
        w.pay(from, 13, 1.5, Gift).await;
    }
    for to in 0..8 {
        w.pay(13, to, 1.4, Gift).await;
    }
    w.later(2 * 86_400).await;
    // An organiser (member 14) pays ten volunteers once each from their own balance.
    for to in 0..10 {
        w.pay(14, to, 2.0, ServicePayment).await;
    }
    w.later(3600).await;
    // A mule: 15 is paid 6 h by 16 and passes 5.5 h to 17 within minutes; 18 is paid 6 h for
    // a service and pays 6 h for another hours later.
    w.pay(16, 15, 6.0, Gift).await;
    w.later(300).await;
    w.pay(15, 17, 5.5, Gift).await;
    w.pay(16, 18, 6.0, ServicePayment).await;
    w.later(4 * 3600).await;
    w.pay(18, 19, 6.0, ServicePayment).await;
}

fn expected(w: &World) -> BTreeSet<(String, Address)> {
    [
        ("structuring", 0),
        ("cycles", 10),
        ("mule", 11),
        ("mule", 12),
        ("fan_in", 13),
        ("fan_out", 13),
        ("mule", 15),
    ]
    .into_iter()
    .map(|(d, m)| (d.to_owned(), w.members[m]))
    .collect()
}

async fn finds_each_pattern_once_and_opens_its_case(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = timebank_testkit::fresh_database(postgres, dir.path()).await else {
        return;
    };
    let w = World::start().await;
    patterns(&w).await;
    let store = timebank_testkit::index_to_head(&w.chain, &url).await;
    let desk = w.chain.desk();
    let cases_before = desk.caseCount().call().await.unwrap();

    let mut config = Config::default();
    config.platform.enabled = false;
    let mut agent = w.agent(store.clone(), config.clone()).await;
    let step = agent.step().await.unwrap();
    let findings = store.risk_findings(None, None, 100).await.unwrap();
    let found: BTreeSet<(String, Address)> = findings
        .iter()
        .map(|f| (f.detector.clone(), f.account))
        .collect();
    assert_eq!(found, expected(&w), "{findings:#?}");
    let n = expected(&w).len() as u64;
    assert_eq!(step.findings, n);
    assert_eq!(
        step.cases, n,
        "every finding is medium or above: a case each"
    );

    // Each case is on chain, opened by the agent, with the evidence's hash as its reason.
    assert_eq!(
        desk.caseCount().call().await.unwrap(),
        cases_before + U256::from(n)
    );
    let store = timebank_testkit::index_to_head(&w.chain, &url).await;
    for f in store.risk_findings(None, None, 100).await.unwrap() {
        assert_eq!(
            keccak256(&f.evidence),
            f.reason_hash,
            "the reason is the evidence's hash"
        );
        let case = f
            .case_id
            .unwrap_or_else(|| panic!("{} has no case", f.detector));
        let c = store
            .cases(&timebank_indexer::query::CaseQuery {
                limit: 1,
                after: Some(case + 1),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(c[0].case_id, case);
        assert_eq!(c[0].opened_by, w.agent.address());
        assert_eq!(c[0].account, f.account);
        assert_eq!(c[0].kind, timebank_bindings::types::CaseKind::Agent);
    }
    // The cycle's evidence is its path and payments, in chain order.
    let cycle = store
        .risk_findings(None, Some("cycles"), 10)
        .await
        .unwrap()
        .remove(0);
    let evidence: serde_json::Value = serde_json::from_str(&cycle.evidence).unwrap();
    assert_eq!(evidence["payments"].as_array().unwrap().len(), 3);
    assert_eq!(
        evidence["path"],
        serde_json::json!([w.members[10], w.members[11], w.members[12], w.members[10]])
    );

    // A restarted agent sees the same history: nothing new stored, no case opened twice.
    let mut again = w.agent(store.clone(), config).await;
    let step = again.step().await.unwrap();
    assert_eq!((step.findings, step.cases), (0, 0), "{step:?}");
    assert_eq!(
        desk.caseCount().call().await.unwrap(),
        cases_before + U256::from(n)
    );

    // A case sent before a crash and never mined (its transaction is unknown to the chain) is
    // sent again at the next start; once its receipt is there, it is not owed any more.
    let lost = timebank_indexer::query::risk::NewRiskFinding {
        fingerprint: B256::repeat_byte(0x10),
        detector: "mule".into(),
        account: w.members[19],
        counterparty: Address::ZERO,
        severity: 2,
        score: 2_450_000,
        summary: "收到 / received".into(),
        evidence: "{}".into(),
        reason_hash: keccak256("{}"),
        first_block: 1,
        last_block: 1,
        found_at: 0,
    };
    let id = store.insert_risk_finding(&lost).await.unwrap().unwrap();
    store
        .set_finding_case_tx(id, B256::repeat_byte(0x77))
        .await
        .unwrap();
    again.open_owed_cases().await;
    assert_eq!(
        desk.caseCount().call().await.unwrap(),
        cases_before + U256::from(n + 1)
    );
    again.open_owed_cases().await;
    assert_eq!(
        desk.caseCount().call().await.unwrap(),
        cases_before + U256::from(n + 1),
        "mined now: not sent twice"
    );

    // New blocks: the running agent sees only them.
    w.pay(19, 0, 1.0, Purpose::ServicePayment).await;
    let store = timebank_testkit::index_to_head(&w.chain, &url).await;
    let step = agent.step().await.unwrap();
    assert_eq!((step.payments, step.findings), (1, 0), "{step:?}");
    drop(store);
}

#[tokio::test(flavor = "multi_thread")]
async fn finds_each_pattern_once_and_opens_its_case_sqlite() {
    finds_each_pattern_once_and_opens_its_case(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn finds_each_pattern_once_and_opens_its_case_postgres() {
    finds_each_pattern_once_and_opens_its_case(true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backtest_with_other_parameters_finds_other_things() {
    let dir = tempfile::tempdir().unwrap();
    let url = timebank_testkit::fresh_database(false, dir.path())
        .await
        .unwrap();
    let w = World::start().await;
    patterns(&w).await;
    let store = timebank_testkit::index_to_head(&w.chain, &url).await;
    let rules = timebank_riskscan::agent::chain_rules(&w.chain.provider, &w.chain.deployment)
        .await
        .unwrap();
    let count = |config: Config, detector: &'static str| {
        let store = store.clone();
        let rules = rules.clone();
        let coin = w.chain.deployment.contracts.time_coin;
        async move {
            let mut engine = timebank_riskscan::Engine::new(&config, &rules)
                .only(detector)
                .unwrap();
            let mut accounts = Vec::new();
            timebank_riskscan::agent::scan_history(&store, &mut engine, coin, u64::MAX >> 1, |f| {
                accounts.push(f.account);
            })
            .await
            .unwrap();
            accounts
        }
    };
    assert_eq!(
        count(Config::default(), "fan_in").await,
        vec![w.members[13]]
    );
    let mut more = Config::default();
    more.set("fan_in", "min_payers", "9").unwrap();
    assert!(
        count(more, "fan_in").await.is_empty(),
        "nine payers needed: none"
    );
    let mut slower = Config::default();
    slower.set("mule", "max_delay_secs", "18000").unwrap();
    let mules = count(slower, "mule").await;
    assert!(
        mules.contains(&w.members[18]),
        "with five hours, 18 passes coins on: {mules:?}"
    );
    assert!(
        Config::default().set("mule", "max_delay", "1").is_err(),
        "a misspelt parameter is an error"
    );
    // Write nothing: the findings table is empty.
    assert_eq!(store.count("risk_finding").await.unwrap(), 0);
}
