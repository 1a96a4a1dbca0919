//! Partners hear of a case only when a supervisor decides it. Colluders' gifts and a monitoring
//! agent can open any number of cases about an innocent member; none of them writes a message
//! to her partners, or moves her risk level, until a person decides (issue 29, framing).

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use timebank_bindings::{HOUR, TimeCoin, TimebankAccess, roles};
use timebank_indexer::query::gateway::Delivery;
use timebank_testkit::{Chain, fresh_database, index_to_head, send};

alloy::sol! {
    /// The desk's switch before issue 29: at `threshold` open cases about an account, raise its
    /// risk to `level` before anyone decided. The framing attack's setting, which a governor
    /// can no longer choose.
    function setAutoRisk(uint16 threshold, uint8 level);
}

async fn partners_hear_of_a_case_only_at_its_decision(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = fresh_database(postgres, dir.path()).await else {
        return;
    };
    let chain = Chain::start_with(timebank_testkit::anvil().arg("--accounts").arg("20")).await;
    let (access, identity, coin, ledger, desk) = (
        chain.access(),
        chain.identity(),
        chain.coin(),
        chain.ledger(),
        chain.desk(),
    );
    let contracts = &chain.deployment.contracts;
    let agent = chain.issuer;
    send!(access.addBranch("north".into(), "North".into(), Chain::branch_key(1)));
    send!(access.grantRole(roles::operator(1), chain.op1));
    send!(access.grantRole(roles::operator(1), chain.op1b));
    send!(access.grantRole(roles::PARTNER, chain.partner));
    send!(access.grantRole(roles::MONITORING_AGENT, agent));
    // The issuer's key stands for north's gateway, which binds members' uniqueness keys.
    send!(access.grantRole(roles::gateway(1), chain.issuer));
    chain
        .govern(&[(
            contracts.access,
            TimebankAccess::grantRoleCall {
                role: roles::SUPERVISOR,
                account: chain.supervisor,
            }
            .abi_encode(),
        )])
        .await;
    send!(ledger.setMintQuota(1, 1_000 * HOUR));

    // The victim and eight colluders, each rewarded two hours; the victim lets the partner
    // hear of her membership.
    let victim = chain.alice;
    let colluders: Vec<Address> = chain.anvil.keys()[10..18]
        .iter()
        .map(|k| PrivateKeySigner::from(k.clone()).address())
        .collect();
    send!(
        ledger
            .createActivity(1, 0, 2 * HOUR, 0, B256::repeat_byte(1))
            .from(chain.op1)
    );
    let activity = U256::from(1);
    for m in colluders.iter().chain([&victim]) {
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
        send!(ledger.recordHours(activity, *m, 2 * HOUR).from(chain.op1));
        send!(ledger.confirmHours(activity, 2 * HOUR).from(*m));
        send!(ledger.settle(activity, *m).from(chain.op1b));
    }
    send!(identity.setPartnerConsent(chain.partner, true).from(victim));
    // Only the volume rule, flagging from two hours received in a day.
    let (mut config, _) = chain.default_rules().await;
    config.enabled = 1 << 2;
    config.volumeOut = 0;
    config.volumeIn = 2;
    chain
        .govern(&[(
            contracts.time_coin,
            TimeCoin::setMonitorRulesCall {
                config,
                actions: 1 << 4,
            }
            .abi_encode(),
        )])
        .await;
    // The governor tries the old switch: raise the risk at the first open case.
    let switched = timebank_bindings::deploy::govern(
        &chain.provider,
        contracts.timelock,
        chain.deployment.admin,
        &[(
            contracts.supervision_desk,
            setAutoRiskCall {
                threshold: 1,
                level: 3,
            }
            .abi_encode()
            .into(),
        )],
    )
    .await
    .is_ok();

    // The attack: each colluder gives the victim an hour, and the agent reports each gift.
    for colluder in &colluders {
        send!(coin.transfer(victim, U256::from(HOUR)).from(*colluder));
        send!(
            desk.openCase(victim, *colluder, keccak256("fan-in"))
                .from(agent)
        );
    }
    let open = desk.openCases(victim).call().await.unwrap();
    assert_eq!(
        open,
        U256::from(15),
        "seven incoming-volume hits (from the second hour on) and eight reports"
    );

    let store = index_to_head(&chain, &url).await;
    let kinds = async || -> Vec<String> {
        store
            .messages(Some(chain.partner), Delivery::Pending, 100, 0)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.kind)
            .collect()
    };
    assert_eq!(
        kinds().await,
        Vec::<String>::new(),
        "the partner heard of {open} undecided cases"
    );
    assert_eq!(identity.member(victim).call().await.unwrap().risk, 0);

    // A supervisor decides one case, raising her risk: now, and only now, the partner hears.
    send!(
        desk.decideCase(U256::from(1), 3, B256::repeat_byte(4), 1)
            .from(chain.supervisor)
    );
    index_to_head(&chain, &url).await;
    assert_eq!(kinds().await, ["member.risk_changed", "case.decided"]);
    assert!(!switched, "the desk still raises risk by itself");
}

#[tokio::test(flavor = "multi_thread")]
async fn partners_hear_of_a_case_only_at_its_decision_sqlite() {
    partners_hear_of_a_case_only_at_its_decision(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn partners_hear_of_a_case_only_at_its_decision_postgres() {
    partners_hear_of_a_case_only_at_its_decision(true).await;
}
