use super::*;
use alloy::sol_types::SolCall;
use timebank_bindings::{TimeCoin as TC, deploy::Addresses};

fn contracts() -> Addresses {
    Addresses {
        forwarder: Address::repeat_byte(1),
        timelock: Address::repeat_byte(2),
        access: Address::repeat_byte(3),
        identity_registry: Address::repeat_byte(4),
        credential_registry: Address::repeat_byte(5),
        time_coin: Address::repeat_byte(6),
        service_ledger: Address::repeat_byte(7),
        supervision_desk: Address::repeat_byte(8),
    }
}

/// Every action, once.
fn every_action() -> Vec<Action> {
    let a = Address::repeat_byte(9);
    let r = || "a reason".to_owned();
    vec![
        Action::ApproveMember { account: a },
        Action::RejectMember {
            account: a,
            reason: r(),
        },
        Action::SuspendMember {
            account: a,
            reason: r(),
        },
        Action::ReinstateMember {
            account: a,
            reason: r(),
        },
        Action::CloseMember {
            account: a,
            reason: r(),
        },
        Action::RequestMove {
            account: a,
            to_branch: 2,
        },
        Action::AcceptMove { account: a },
        Action::CancelMove { account: a },
        Action::RequestRecovery {
            previous_account: a,
            new_account: a,
            reason: r(),
        },
        Action::SetRiskLevel {
            account: a,
            level: RiskLevel::High,
            reason: r(),
        },
        Action::RaiseRiskAlert {
            account: a,
            reason: r(),
        },
        Action::AssessRiskAlert {
            alert_id: 1,
            level: RiskLevel::Low,
            reason: r(),
        },
        Action::IssueCredential {
            account: a,
            type_id: 1,
            document_hash: B256::ZERO,
            expires_at: 9,
        },
        Action::RenewCredential {
            account: a,
            type_id: 1,
            document_hash: B256::ZERO,
            expires_at: 9,
        },
        Action::RevokeCredential {
            account: a,
            type_id: 1,
            reason: r(),
        },
        Action::DeclareCredential {
            type_id: 1,
            document_hash: B256::ZERO,
            expires_at: 9,
        },
        Action::CreateActivity {
            branch_id: 1,
            kind: ActivityKind::Training,
            hours_cap: "4".into(),
            required_credential_type: 0,
            details: r(),
        },
        Action::CloseActivity { activity_id: 1 },
        Action::JoinActivity { activity_id: 1 },
        Action::RecordHours {
            activity_id: 1,
            volunteer: a,
            hours: "2.5".into(),
        },
        Action::ConfirmHours {
            activity_id: 1,
            hours: "2.5".into(),
        },
        Action::Settle {
            activity_id: 1,
            volunteer: a,
        },
        Action::ProposeService {
            requester: a,
            hours: "1".into(),
            details: r(),
        },
        Action::ConfirmService { service_id: 1 },
        Action::CancelService { service_id: 1 },
        Action::Pay {
            to: a,
            hours: "1".into(),
            purpose: Purpose::Gift,
            reference: None,
        },
        Action::Redeem {
            hours: "1".into(),
            reference: Some(r()),
        },
        Action::DecideCase {
            case_id: 1,
            outcome: CaseStatus::Cleared,
            note: r(),
            risk_level: RiskLevel::None,
        },
        Action::AdoptHold { hold_id: 1 },
        Action::ProposeBranchKey {
            branch_id: 1,
            public_key: B256::repeat_byte(7),
        },
        Action::ConfirmBranchKey { branch_id: 1 },
        Action::CancelBranchKey { branch_id: 1 },
        Action::SetSecondApproval {
            branch_id: 1,
            hours: "20".into(),
        },
        Action::SetPartnerConsent {
            partner: a,
            granted: true,
        },
        Action::AddBranch {
            name: "east".into(),
            region: "East".into(),
            public_key: B256::repeat_byte(7),
        },
        Action::SetBranchActive {
            branch_id: 2,
            active: false,
        },
        Action::GrantRole {
            role: StaffRole::Operator,
            id: Some(1),
            account: a,
        },
        Action::RevokeRole {
            role: StaffRole::Partner,
            id: None,
            account: a,
        },
        Action::DefineCredentialType {
            kind: timebank_bindings::types::CredentialKind::TrainingCertificate,
            name: "first aid".into(),
        },
        Action::SetCredentialTypeActive {
            type_id: 1,
            active: false,
        },
        Action::SetMintQuota {
            branch_id: 1,
            hours: "10000".into(),
        },
        Action::ProposeMonitorRules {
            rules: some_rules(),
            delay_secs: 172_800,
            salt: B256::repeat_byte(9),
        },
        Action::ExecuteGoverned {
            target: Address::repeat_byte(6),
            data: set_rules().into(),
            salt: B256::repeat_byte(9),
        },
        Action::SetUniquenessKey {
            account: a,
            key: B256::repeat_byte(3),
        },
        Action::ReleaseUniquenessKey {
            account: a,
            reason: "the member left; may register again".into(),
        },
        Action::CancelGoverned {
            id: B256::repeat_byte(1),
        },
    ]
}

fn some_rules() -> Rules {
    serde_json::from_value(serde_json::json!({
        "rules": timebank_bindings::rules::BITS[..8].iter().map(|(_, name)| serde_json::json!({
            "rule": name, "enabled": true, "action": "flag"
        })).collect::<Vec<_>>(),
        "largeActivityReward": 40, "largeTrainingReward": 40, "largeServicePayment": 24,
        "largeGift": 10, "windowSecs": 86400, "velocityCount": 10, "volumeOut": 60,
        "volumeIn": 60, "structuringCount": 3, "structuringBand": 20,
        "roundTripWindowSecs": 3600, "newAccountDays": 7, "dustAmount": 50,
        "newAccountAmount": 12, "riskyLevel": 3, "dormantDays": 180, "dormantAmount": 20
    }))
    .unwrap()
}

fn set_rules() -> Vec<u8> {
    let (config, actions) = some_rules().to_chain().unwrap();
    TC::setMonitorRulesCall { config, actions }.abi_encode()
}

#[test]
fn the_governor_relays_monitoring_rules_and_nothing_else() {
    use timebank_bindings::{TimebankAccess as TA, TimebankTimelock as TT};
    let c = contracts();
    let schedule = |target: Address, data: Vec<u8>| {
        TT::scheduleCall {
            target,
            value: U256::ZERO,
            data: data.into(),
            predecessor: B256::ZERO,
            salt: B256::ZERO,
            delay: U256::from(1),
        }
        .abi_encode()
    };
    let ok = relayable(&c, c.timelock, &schedule(c.time_coin, set_rules())).unwrap();
    assert_eq!(ok.by, &[crate::api::Role::Admin]);
    // A supervisor grant, a monitor swap, rules sent to another contract: not through here.
    let grant = TA::grantRoleCall {
        role: timebank_bindings::roles::SUPERVISOR,
        account: Address::ZERO,
    }
    .abi_encode();
    assert!(relayable(&c, c.timelock, &schedule(c.access, grant)).is_err());
    let swap = TC::setMonitorCall {
        newMonitor: Address::ZERO,
    }
    .abi_encode();
    assert!(relayable(&c, c.timelock, &schedule(c.time_coin, swap)).is_err());
    assert!(relayable(&c, c.timelock, &schedule(c.access, set_rules())).is_err());
    let mut padded = set_rules();
    padded.push(0);
    assert!(relayable(&c, c.timelock, &schedule(c.time_coin, padded)).is_err());
    let delay = TT::updateDelayCall {
        newDelay: U256::ZERO,
    }
    .abi_encode();
    assert!(relayable(&c, c.timelock, &delay).is_err());
}

#[test]
fn staff_roles_name_their_branch_or_type_when_they_need_one() {
    assert!(StaffRole::Operator.role(None).is_err());
    assert!(StaffRole::Partner.role(Some(1)).is_err());
    assert_eq!(
        StaffRole::Gateway.role(Some(2)).unwrap(),
        timebank_bindings::roles::gateway(2)
    );
}

#[test]
fn every_action_is_a_call_the_gateway_relays() {
    let c = contracts();
    for action in every_action() {
        let call = action
            .call(&c)
            .unwrap_or_else(|e| panic!("{action:?}: {e}"));
        relayable(&c, call.to, &call.data).unwrap_or_else(|e| panic!("{action:?}: {e}"));
    }
}

#[test]
fn other_calls_and_padded_calls_are_not_relayed() {
    let c = contracts();
    let sync = TC::syncMemberCall {
        account: Address::ZERO,
    }
    .abi_encode();
    assert!(relayable(&c, c.time_coin, &sync).is_err());
    let approve = TC::approveCall {
        spender: Address::ZERO,
        value: U256::MAX,
    }
    .abi_encode();
    assert!(relayable(&c, c.time_coin, &approve).is_err());
    let mut padded = TC::payCall {
        to: Address::ZERO,
        amount: U256::from(1),
        purpose: 3,
        r#ref: B256::ZERO,
    }
    .abi_encode();
    assert!(relayable(&c, c.time_coin, &padded).is_ok());
    padded.extend([0u8; 64]);
    assert!(relayable(&c, c.time_coin, &padded).is_err());
    assert!(relayable(&c, c.forwarder, &sync).is_err());
}

#[test]
fn actions_read_as_the_api_writes_them() {
    let action: Action = serde_json::from_value(serde_json::json!({
        "action": "pay", "to": Address::ZERO, "hours": "0.5", "purpose": "gift"
    }))
    .unwrap();
    assert!(matches!(
        action,
        Action::Pay {
            purpose: Purpose::Gift,
            ..
        }
    ));
    let refused = Action::Pay {
        to: Address::ZERO,
        hours: "1".into(),
        purpose: Purpose::Recovery,
        reference: None,
    };
    assert!(refused.call(&contracts()).is_err());
    assert!(hours("0", "hours").is_err());
    assert!(hours("abc", "hours").is_err());
}

/// A member's own payment labelled a service payment is refused before it is signed, saying
/// how a service is paid (the coin refuses it too: TimeCoinUnrecordedServicePayment).
#[test]
fn a_payment_of_ones_own_is_never_a_service_payment() {
    let relabelled = Action::Pay {
        to: Address::ZERO,
        hours: "1".into(),
        purpose: Purpose::ServicePayment,
        reference: None,
    };
    let err = relabelled.call(&contracts()).unwrap_err().to_string();
    assert!(err.contains("confirm_service"), "{err}");
}

#[test]
fn a_proposal_reads_with_the_call_it_carries_and_its_wait() {
    let c = contracts();
    let call = Action::ProposeMonitorRules {
        rules: some_rules(),
        delay_secs: 172_800,
        salt: B256::repeat_byte(9),
    }
    .call(&c)
    .unwrap();
    let words = crate::describe::describe(&c, call.to, &call.data, &[])
        .unwrap()
        .to_string();
    assert!(words.starts_with("TimebankTimelock.schedule"), "{words}");
    assert!(
        words.contains("TimeCoin.setMonitorRules(config: {enabled: 255, largeActivityReward: 40"),
        "{words}"
    );
    assert!(words.contains("delay: 172800 s (2.0 days)"), "{words}");
}
