//! Prepared writes: the gateway encodes and checks the call, the person's wallet signs the
//! EIP-712 typed data it returns, the relay sends it. Notes stay off chain.

use crate::{Stack, assert_error};
use alloy::{
    dyn_abi::TypedData,
    primitives::{Address, U256, keccak256},
    signers::Signer,
};
use timebank_testkit::{HOUR, send};

/// Prepares `action` as `who`, signs the returned typed data with `who`'s key, relays it.
async fn sign_and_send(
    stack: &Stack,
    who: Address,
    action: serde_json::Value,
) -> serde_json::Value {
    let token = stack.sign_in(who).await;
    let response = stack.post("/v1/prepare", Some(&token), &action).await;
    assert_eq!(
        response.status(),
        200,
        "{action}: {}",
        response.text().await.unwrap()
    );
    let prepared: serde_json::Value = response.json().await.unwrap();
    // What a browser wallet does with `eth_signTypedData_v4`.
    let typed: TypedData = serde_json::from_value(prepared["typedData"].clone()).unwrap();
    let signature = stack
        .key(who)
        .sign_hash(&typed.eip712_signing_hash().unwrap())
        .await
        .unwrap();
    let mut request = serde_json::json!({
        "signature": alloy::hex::encode_prefixed(signature.as_bytes()),
    });
    for field in ["from", "to", "gas", "nonce", "deadline", "data"] {
        request[field] = prepared[field].clone();
    }
    let response = stack.post("/v1/relay", Some(&token), &request).await;
    assert_eq!(
        response.status(),
        200,
        "{action}: {}",
        response.text().await.unwrap()
    );
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_supervisor_decides_a_held_gift_with_a_note_kept_off_chain() {
    let stack = Stack::start().await;
    let c = &stack.chain;
    // A large gift between two south members is held and opens case 2.
    send!(
        c.coin()
            .transfer(c.bob, U256::from(10 * HOUR))
            .from(c.carol)
    );
    let before = c.coin().balanceOf(c.bob).call().await.unwrap();

    let note = "birthday gift, confirmed with both members by phone";
    let relayed = sign_and_send(
        &stack,
        c.supervisor,
        serde_json::json!({"action": "decide_case", "case_id": 4, "outcome": "cleared",
            "note": note, "risk_level": "none"}),
    )
    .await;
    assert_eq!(relayed["success"], true);
    assert_eq!(
        c.coin().balanceOf(c.bob).call().await.unwrap(),
        before + U256::from(10 * HOUR),
        "cleared: the held coins went to bob"
    );
    let case = c
        .desk()
        .supervisionCase(U256::from(4))
        .call()
        .await
        .unwrap();
    assert_eq!(case.status, 2, "cleared on chain");

    stack.caught_up().await;
    let supervisor = stack.sign_in(c.supervisor).await;
    let cases: Vec<serde_json::Value> = stack
        .get("/v1/cases?status=cleared", Some(&supervisor))
        .await
        .json()
        .await
        .unwrap();
    let decided = cases
        .iter()
        .find(|k| k["caseId"] == 4)
        .expect("case 4 is listed");
    assert_eq!(decided["note"], note);
    assert_eq!(
        decided["noteHash"],
        keccak256(note).to_string(),
        "only the note's hash went on chain (in CaseDecided)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn members_and_operators_run_an_activity_through_prepared_writes() {
    let stack = Stack::start().await;
    let c = &stack.chain;
    let before = c.coin().balanceOf(c.carol).call().await.unwrap();
    // South's operator creates an activity; carol joins; hours recorded, confirmed, settled.
    sign_and_send(
        &stack,
        c.op2,
        serde_json::json!({"action": "create_activity", "branch_id": 2, "kind": "activity",
            "hours_cap": "8", "required_credential_type": 0, "details": "park clean-up"}),
    )
    .await;
    let activity = 5; // the scenario created four
    sign_and_send(
        &stack,
        c.carol,
        serde_json::json!({"action": "join_activity", "activity_id": activity}),
    )
    .await;
    sign_and_send(
        &stack,
        c.op2,
        serde_json::json!({"action": "record_hours", "activity_id": activity, "volunteer": c.carol, "hours": "2.5"}),
    )
    .await;
    sign_and_send(
        &stack,
        c.carol,
        serde_json::json!({"action": "confirm_hours", "activity_id": activity, "hours": "2.5"}),
    )
    .await;
    sign_and_send(
        &stack,
        c.op2,
        serde_json::json!({"action": "settle", "activity_id": activity, "volunteer": c.carol}),
    )
    .await;
    assert_eq!(
        c.coin().balanceOf(c.carol).call().await.unwrap(),
        before + U256::from(5 * HOUR / 2)
    );

    // Refused before anything is signed: bad input, and calls the contract would refuse.
    let carol = stack.sign_in(c.carol).await;
    let prepare = |body: serde_json::Value| {
        let (stack, carol) = (&stack, carol.clone());
        async move { stack.post("/v1/prepare", Some(&carol), &body).await }
    };
    assert_error(
        prepare(serde_json::json!({"action": "mint_money"})).await,
        400,
        "mint_money",
    )
    .await;
    assert_error(
        prepare(
            serde_json::json!({"action": "pay", "to": c.bob, "hours": "lots", "purpose": "gift"}),
        )
        .await,
        400,
        "hours",
    )
    .await;
    assert_error(
        prepare(serde_json::json!({"action": "pay", "to": c.bob, "hours": "0", "purpose": "gift"}))
            .await,
        400,
        "more than 0",
    )
    .await;
    assert_error(
        prepare(serde_json::json!({"action": "join_activity"})).await,
        400,
        "activity_id",
    )
    .await;
    assert_error(
        prepare(
            serde_json::json!({"action": "settle", "activity_id": activity, "volunteer": c.carol}),
        )
        .await,
        403,
        "`settle` is relayed for operator",
    )
    .await;
}
