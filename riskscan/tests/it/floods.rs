//! Floods and framing on a real anvil chain: three colluders passing coins round for an hour,
//! and eight giving to an innocent member, re-arm the detectors with every payment. The agent
//! opens one case per account and detector while it is open (the later findings are its
//! evidence), at most `daily_cases_per_account` a day per account, and a new case only once a
//! supervisor decided the last.

use crate::World;
use alloy::primitives::{Address, U256, keccak256};
use alloy::sol_types::SolCall;
use std::collections::{BTreeMap, BTreeSet};
use timebank_bindings::{TimebankAccess, roles, types::Purpose};
use timebank_indexer::{Store, query::risk::RiskFindingRow};
use timebank_riskscan::{Config, agent::Agent};
use timebank_testkit::send;

const RING: [usize; 3] = [0, 1, 2];
const VICTIM: usize = 11;

/// One round of the ring (5 h from 0 to 1 to 2 and back, two minutes a hop), and in every
/// fourth round eight colluders (3..=10) giving the victim 1.5 h each.
async fn round(w: &World, n: usize) {
    for (i, from) in RING.iter().enumerate() {
        w.pay(*from, RING[(i + 1) % 3], 5.0, Purpose::Gift).await;
        w.later(120).await;
    }
    if n.is_multiple_of(4) {
        for from in 3..=10 {
            w.pay(from, VICTIM, 1.5, Purpose::Gift).await;
        }
    }
}

async fn step(w: &World, url: &str, agent: &mut Agent) {
    timebank_testkit::index_to_head(&w.chain, url).await;
    agent.step().await.unwrap();
}

/// Cases opened per (account, detector), from the findings that opened one.
fn cases(findings: &[RiskFindingRow]) -> BTreeMap<(Address, String), usize> {
    let mut by = BTreeMap::new();
    for f in findings.iter().filter(|f| f.joins_finding.is_none()) {
        *by.entry((f.account, f.detector.clone())).or_default() += 1;
    }
    by
}

async fn all(store: &Store) -> Vec<RiskFindingRow> {
    store.risk_findings(None, None, 1000).await.unwrap()
}

async fn a_ring_for_an_hour_opens_one_case_per_account_and_detector(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = timebank_testkit::fresh_database(postgres, dir.path()).await else {
        return;
    };
    let w = World::start().await;
    // The setup's rewards out of the chain's volume window.
    w.later(2 * 86_400).await;
    let desk = w.chain.desk();
    let before = desk.caseCount().call().await.unwrap();
    let mut config = Config::default();
    config.platform.enabled = false;
    let store = timebank_testkit::index_to_head(&w.chain, &url).await;
    let mut agent = w.agent(store.clone(), config.clone()).await;
    for n in 0..10 {
        round(&w, n).await;
        step(&w, &url, &mut agent).await;
    }
    let findings = all(&store).await;
    let opened = cases(&findings);
    let ring: BTreeSet<Address> = RING.iter().map(|m| w.members[*m]).collect();
    // Each hop is a mule, each round closes a cycle for each of the three: dozens of findings,
    // a case for each (account, detector) pair.
    assert!(findings.len() >= 40, "{} findings", findings.len());
    assert!(
        opened.values().all(|n| *n == 1),
        "one case per account and detector: {opened:?}"
    );
    let pairs: BTreeSet<(Address, &str)> = opened.keys().map(|(a, d)| (*a, d.as_str())).collect();
    let mut expected: BTreeSet<(Address, &str)> = ring
        .iter()
        .flat_map(|a| [(*a, "cycles"), (*a, "mule")])
        .collect();
    expected.insert((w.members[VICTIM], "fan_in"));
    assert_eq!(pairs, expected);
    assert_eq!(
        desk.caseCount().call().await.unwrap(),
        before + U256::from(expected.len()),
        "O(1) cases on chain"
    );
    // Every finding is beside a case: its own, or the one it adds evidence to.
    let store = timebank_testkit::index_to_head(&w.chain, &url).await;
    let findings = all(&store).await;
    assert!(
        findings.iter().all(|f| f.case_id.is_some()),
        "{findings:#?}"
    );
    // The victim's case holds the three fan-ins as its evidence.
    let framed: Vec<&RiskFindingRow> = findings
        .iter()
        .filter(|f| f.account == w.members[VICTIM])
        .collect();
    assert_eq!(framed.len(), 3);
    let opener = framed.iter().find(|f| f.joins_finding.is_none()).unwrap();
    let evidence = store
        .risk_findings(Some((opener.reason_hash, opener.account)), None, 100)
        .await
        .unwrap();
    assert_eq!(
        evidence.len(),
        3,
        "the case lists every finding added to it"
    );
    assert!(evidence.iter().all(|f| f.case_id == opener.case_id));

    // A supervisor clears the victim's case: the next fan-in opens a new one.
    w.chain
        .govern(&[(
            w.chain.deployment.contracts.access,
            TimebankAccess::grantRoleCall {
                role: roles::SUPERVISOR,
                account: w.chain.supervisor,
            }
            .abi_encode(),
        )])
        .await;
    send!(
        desk.decideCase(
            U256::from(opener.case_id.unwrap()),
            2,
            keccak256("a framed member"),
            0
        )
        .from(w.chain.supervisor)
    );
    round(&w, 0).await;
    step(&w, &url, &mut agent).await;
    let after = cases(&all(&store).await);
    assert_eq!(after[&(w.members[VICTIM], "fan_in".to_owned())], 2);
    for a in &ring {
        assert_eq!(after[&(*a, "cycles".to_owned())], 1, "still open: joined");
    }

    // A daily cap of one case per account: a fresh index, a second agent over the same hour
    // opens one case per account, the rest joins it.
    let dir2 = tempfile::tempdir().unwrap();
    let url2 = timebank_testkit::fresh_database(postgres, dir2.path())
        .await
        .unwrap();
    let store2 = timebank_testkit::index_to_head(&w.chain, &url2).await;
    let mut capped = config.clone();
    capped.daily_cases_per_account = 1;
    let cases_before = desk.caseCount().call().await.unwrap();
    let mut agent2 = w.agent(store2.clone(), capped).await;
    agent2.step().await.unwrap();
    let by_account: BTreeMap<Address, usize> =
        cases(&all(&store2).await)
            .into_iter()
            .fold(BTreeMap::new(), |mut m, ((a, _), n)| {
                *m.entry(a).or_default() += n;
                m
            });
    assert!(by_account.values().all(|n| *n == 1), "{by_account:?}");
    assert_eq!(by_account.len(), 4);
    assert_eq!(
        desk.caseCount().call().await.unwrap(),
        cases_before + U256::from(4)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ring_for_an_hour_opens_one_case_per_account_and_detector_sqlite() {
    a_ring_for_an_hour_opens_one_case_per_account_and_detector(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ring_for_an_hour_opens_one_case_per_account_and_detector_postgres() {
    a_ring_for_an_hour_opens_one_case_per_account_and_detector(true).await;
}
