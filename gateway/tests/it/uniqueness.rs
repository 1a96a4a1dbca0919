//! One person, one membership: the same person with a second wallet at another branch is
//! refused, in words, naming the membership they already have; different people never are; a
//! mistyped resident number is refused before anything is sealed or sent; the number never
//! reaches the chain.

use crate::Stack;
use alloy::{
    primitives::{Address, B256},
    providers::Provider,
};
use timebank_client::{ClientError, api::ProfileAction};

fn person(name: &str, number: &str) -> serde_json::Value {
    serde_json::json!({
        "fullName": name, "dateOfBirth": "1958-03-14", "contact": format!("{name}@example.org"),
        "identityDocument": {"type": "cn_resident_id", "number": number},
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_person_is_one_membership_at_every_branch() {
    let mut stack = Stack::start().await;
    let south = stack.south_gateway(false).await.unwrap();
    let c = &stack.chain;
    let north_op = stack.session_at(&stack.north, c.op1).await;
    let south_op = stack.session_at(&south, c.op2).await;
    let (first, second, other) = (
        Address::repeat_byte(0xa1),
        Address::repeat_byte(0xa2),
        Address::repeat_byte(0xa3),
    );
    const ROSA: &str = "11010519580314002X";

    north_op
        .publish_profile(
            stack.key(c.op1),
            first,
            person("Rosa", ROSA),
            ProfileAction::Submit,
        )
        .await
        .unwrap();
    let registry = c.identity();
    let rosa_id: u64 = registry.memberIdOf(first).call().await.unwrap().to();
    stack.caught_up_at(&south).await;

    // The same number, written as people write it (full-width digits, spaces, a small x), at
    // the other branch with another wallet: refused before signing, naming the membership.
    let written = "１１０１０５ 19580314 002x";
    let refused = south_op
        .publish_profile(
            stack.key(c.op2),
            second,
            person("Rosa C.", written),
            ProfileAction::Submit,
        )
        .await
        .unwrap_err();
    let ClientError::Api { status, body } = &refused else {
        panic!("{refused}");
    };
    assert_eq!(
        (*status, body.code.as_str()),
        (409, "duplicate_member"),
        "{refused}"
    );
    assert!(
        body.message
            .contains(&format!("member {rosa_id} of branch 1")),
        "{}",
        body.message
    );
    assert!(
        !body.message.contains("19580314"),
        "the number is not repeated: {}",
        body.message
    );
    // And the registry refuses it even from an operator who skips the gateway.
    let key = registry.uniquenessKeyOf(first).call().await.unwrap();
    assert_ne!(key, B256::ZERO);
    let direct = registry
        .submitMember(second, 2, B256::repeat_byte(1), key, vec![1].into())
        .from(c.op2)
        .call()
        .await
        .unwrap_err();
    let revert = direct.as_revert_data().unwrap_or_default();
    assert!(
        timebank_bindings::describe_revert(&revert).contains(&format!(
            "IdentityRegistryDuplicateMember {{ memberId: {rosa_id}, branchId: 1 }}"
        )),
        "{}",
        timebank_bindings::describe_revert(&revert)
    );

    // Another person is welcome at either branch.
    south_op
        .publish_profile(
            stack.key(c.op2),
            other,
            person("Li", "310115199007010038"),
            ProfileAction::Submit,
        )
        .await
        .unwrap();
    assert_ne!(registry.uniquenessKeyOf(other).call().await.unwrap(), key);

    // A mistyped digit is refused before anything is sealed or sent.
    let head = c.provider.get_block_number().await.unwrap();
    let mistyped = south_op
        .publish_profile(
            stack.key(c.op2),
            Address::repeat_byte(0xa4),
            person("Wen", "110105195803140021"),
            ProfileAction::Submit,
        )
        .await
        .unwrap_err();
    assert!(
        mistyped.to_string().contains("check character"),
        "{mistyped}"
    );
    assert_eq!(c.provider.get_block_number().await.unwrap(), head);

    // What went on chain carries no number: in no transaction, not as a plain hash of it.
    for n in 1..=head {
        let block = c
            .provider
            .get_block_by_number(n.into())
            .full()
            .await
            .unwrap()
            .unwrap();
        for tx in block.transactions.txns() {
            let input = alloy::consensus::Transaction::input(tx);
            for number in [ROSA, "310115199007010038"] {
                assert!(
                    !input.windows(number.len()).any(|w| w == number.as_bytes()),
                    "a number in a transaction of block {n}"
                );
            }
        }
    }
    assert_ne!(key, alloy::primitives::keccak256(ROSA));

    // A rotation of the gateways' secret: a gateway with the new secret and the previous one
    // still refuses Rosa; the audit lists who needs the new key; the admin gives it.
    let dir = stack.dir().to_owned();
    timebank_gateway_test_key(&dir, "rotated.key", 0x6b);
    let rotating = stack
        .north_replica(|s| {
            s.uniqueness_key_file = Some(dir.join("rotated.key"));
            s.previous_uniqueness_key_file = Some(dir.join("uniqueness.key"));
        })
        .await;
    let operator = stack.session_at(&rotating, c.op1).await;
    let again = operator
        .publish_profile(
            stack.key(c.op1),
            second,
            person("Rosa", ROSA),
            ProfileAction::Submit,
        )
        .await
        .unwrap_err();
    assert!(again.to_string().contains("duplicate_member"), "{again}");
    let auditor = stack.session_at(&rotating, stack.auditor).await;
    let audit: serde_json::Value = auditor.get("/v1/audit/uniqueness").await.unwrap();
    let stale: Vec<&serde_json::Value> = audit["stale"].as_array().unwrap().iter().collect();
    assert!(audit["shared"].as_array().unwrap().is_empty(), "{audit}");
    let mut rekeyed = 0;
    let admin = stack.session_at(&rotating, c.deployment.admin).await;
    for member in &stale {
        let account: Address = member["account"].as_str().unwrap().parse().unwrap();
        if account == first || account == other {
            let relayed = admin
                .act(
                    stack.key(c.deployment.admin),
                    &timebank_client::Action::SetUniquenessKey {
                        account,
                        key: member["key"].as_str().unwrap().parse().unwrap(),
                    },
                )
                .await
                .unwrap();
            assert!(relayed.success);
            rekeyed += 1;
        }
    }
    assert_eq!(rekeyed, 2, "Rosa and Li are listed to rekey: {audit}");
    stack.caught_up().await;
    let audit: serde_json::Value = auditor.get("/v1/audit/uniqueness").await.unwrap();
    assert!(
        !audit["stale"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["account"].as_str().unwrap().parse::<Address>().unwrap() == first),
        "{audit}"
    );

    // A rotation done wrong (a gateway with a fresh secret and without the previous one) lets
    // Rosa in again; the audit finds the two memberships of one person.
    timebank_gateway_test_key(&dir, "careless.key", 0x7c);
    let careless = stack
        .north_replica(|s| s.uniqueness_key_file = Some(dir.join("careless.key")))
        .await;
    stack
        .session_at(&careless, c.op1)
        .await
        .publish_profile(
            stack.key(c.op1),
            second,
            person("Rosa", ROSA),
            ProfileAction::Submit,
        )
        .await
        .unwrap();
    stack.caught_up().await;
    let audit: serde_json::Value = stack
        .session_at(&careless, stack.auditor)
        .await
        .get("/v1/audit/uniqueness")
        .await
        .unwrap();
    let shared = audit["shared"].as_array().unwrap();
    assert_eq!(shared.len(), 1, "{audit}");
    let ids: Vec<u64> = shared[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["memberId"].as_u64().unwrap())
        .collect();
    assert!(ids.contains(&rosa_id) && ids.len() == 2, "{audit}");
}

/// Writes a uniqueness key file the gateway accepts.
fn timebank_gateway_test_key(dir: &std::path::Path, name: &str, byte: u8) {
    crate::stack::write_secret(&dir.join(name), &alloy::hex::encode([byte; 32]));
}
