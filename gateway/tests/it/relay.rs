//! Writes signed by members' own wallets, relayed by the gateway: checked, pre-flighted, sent.

use crate::{Stack, assert_error};
use alloy::{
    primitives::{Address, B256, Bytes, U256},
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use timebank_bindings::TimeCoin;
use timebank_bindings::forward::{self, ForwardRequest};
use timebank_client::api::SignedRequest;
use timebank_testkit::HOUR;

pub(crate) fn in_an_hour() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600
}

pub(crate) async fn signed(
    stack: &Stack,
    key: &PrivateKeySigner,
    to: Address,
    data: Bytes,
    nonce: u64,
    deadline: u64,
) -> SignedRequest {
    let d = &stack.chain.deployment;
    let request = ForwardRequest::call(
        key.address(),
        to,
        data,
        forward::DEFAULT_GAS,
        nonce,
        deadline,
    );
    SignedRequest::sign(
        key,
        &forward::domain(d.chain_id, d.contracts.forwarder),
        &request,
    )
    .await
    .unwrap()
}

pub(crate) fn pay(to: Address, hours: u128, purpose: u8) -> Bytes {
    TimeCoin::payCall {
        to,
        amount: U256::from(hours * HOUR / 10),
        purpose,
        r#ref: B256::repeat_byte(0x51),
    }
    .abi_encode()
    .into()
}

pub(crate) async fn next_nonce(stack: &Stack, token: &str) -> u64 {
    let body: serde_json::Value = stack
        .get("/v1/relay/nonce", Some(token))
        .await
        .json()
        .await
        .unwrap();
    body["nonce"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_members_signed_payment_is_relayed_once() {
    let stack = Stack::start().await;
    let c = &stack.chain;
    let coin = c.deployment.contracts.time_coin;
    let carol = stack.key(c.carol).clone();
    let token = stack.sign_in(c.carol).await;
    let before = c.coin().balanceOf(c.bob).call().await.unwrap();

    // 0.1 hour to bob, as a gift.
    let nonce = next_nonce(&stack, &token).await;
    let request = signed(&stack, &carol, coin, pay(c.bob, 1, 3), nonce, in_an_hour()).await;
    let response = stack.post("/v1/relay", Some(&token), &request).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let relayed: serde_json::Value = response.json().await.unwrap();
    assert_eq!(relayed["success"], true);
    // bob paid carol in the scenario: carol paying bob back is a round trip, flagged.
    assert_eq!(relayed["monitor"]["action"], "flag", "{relayed}");
    assert_eq!(
        relayed["monitor"]["rules"],
        serde_json::json!(["round_trip"])
    );
    assert_eq!(
        c.coin().balanceOf(c.bob).call().await.unwrap(),
        before + U256::from(HOUR / 10)
    );
    assert_eq!(next_nonce(&stack, &token).await, nonce + 1);

    // The same signed request again.
    assert_error(
        stack.post("/v1/relay", Some(&token), &request).await,
        409,
        "already used",
    )
    .await;
    // A nonce the forwarder is not at yet (its signature is carol's, over that nonce).
    let early = signed(
        &stack,
        &carol,
        coin,
        pay(c.bob, 1, 3),
        nonce + 5,
        in_an_hour(),
    )
    .await;
    assert_error(
        stack.post("/v1/relay", Some(&token), &early).await,
        400,
        &format!(
            "nonce {} is ahead of the forwarder's {}",
            nonce + 5,
            nonce + 1
        ),
    )
    .await;
    // Expired, and signed by someone else than `from`.
    let stale = signed(&stack, &carol, coin, pay(c.bob, 1, 3), nonce + 1, 1_000).await;
    assert_error(
        stack.post("/v1/relay", Some(&token), &stale).await,
        400,
        "expired",
    )
    .await;
    let mut forged = signed(
        &stack,
        &PrivateKeySigner::random(),
        coin,
        pay(c.bob, 1, 3),
        nonce + 1,
        in_an_hour(),
    )
    .await;
    forged.from = c.carol;
    assert_error(
        stack.post("/v1/relay", Some(&token), &forged).await,
        400,
        "signature",
    )
    .await;
    // bob's request, submitted by carol.
    let bobs = signed(
        &stack,
        stack.key(c.bob),
        coin,
        pay(c.carol, 1, 3),
        0,
        in_an_hour(),
    )
    .await;
    assert_error(
        stack.post("/v1/relay", Some(&token), &bobs).await,
        403,
        "signed in as",
    )
    .await;
    // Not a timebank contract; a call the coin would refuse (the recipient is no member).
    let elsewhere = signed(
        &stack,
        &carol,
        Address::repeat_byte(9),
        pay(c.bob, 1, 3),
        nonce + 1,
        in_an_hour(),
    )
    .await;
    assert_error(
        stack.post("/v1/relay", Some(&token), &elsewhere).await,
        400,
        "not a timebank contract",
    )
    .await;
    let stranger = Address::repeat_byte(0x42);
    let refused = signed(
        &stack,
        &carol,
        coin,
        pay(stranger, 1, 3),
        nonce + 1,
        in_an_hour(),
    )
    .await;
    assert_error(
        stack.post("/v1/relay", Some(&token), &refused).await,
        422,
        "TimeCoinNotActiveMember",
    )
    .await;
    // Malformed bodies.
    assert_error(
        stack
            .post(
                "/v1/relay",
                Some(&token),
                &serde_json::json!({"from": "0x12"}),
            )
            .await,
        400,
        "from",
    )
    .await;
    // None of it was sent.
    assert_eq!(next_nonce(&stack, &token).await, nonce + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_blocked_payment_is_refused_with_its_rule_before_sending() {
    let stack = Stack::start().await;
    let c = &stack.chain;
    // The governor makes the large-amount rule block instead of hold.
    let (config, actions) = c.default_rules().await;
    c.govern(&[(
        c.deployment.contracts.time_coin,
        TimeCoin::setMonitorRulesCall {
            config,
            actions: (actions & !0b11) | 0b11,
        }
        .abi_encode(),
    )])
    .await;
    let token = stack.sign_in(c.carol).await;
    let nonce = next_nonce(&stack, &token).await;
    // 12 hours as a gift: over the 10-hour gift threshold.
    let request = signed(
        &stack,
        stack.key(c.carol),
        c.deployment.contracts.time_coin,
        pay(c.bob, 120, 3),
        nonce,
        in_an_hour(),
    )
    .await;
    let response = stack.post("/v1/relay", Some(&token), &request).await;
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "refused_by_rule");
    assert_eq!(body["details"]["action"], "block");
    assert!(
        body["details"]["rules"]
            .as_array()
            .unwrap()
            .contains(&"large_amount".into()),
        "{body}"
    );
    assert_eq!(next_nonce(&stack, &token).await, nonce, "nothing was sent");
}

/// The node refusing the relayer's transaction (here: no coins for gas) is a 503 that costs
/// nothing, and the relayer's next transaction does not wait behind the refused one's nonce.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_send_leaves_no_nonce_gap() {
    use alloy::providers::{Provider, ext::AnvilApi};
    let stack = Stack::start().await;
    let c = &stack.chain;
    let relayer = stack.keys[12].address();
    let carol = stack.key(c.carol).clone();
    let token = stack.sign_in(c.carol).await;
    let coin = c.deployment.contracts.time_coin;

    let funds = c.provider.get_balance(relayer).await.unwrap();
    c.provider
        .anvil_set_balance(relayer, U256::ZERO)
        .await
        .unwrap();
    let nonce = next_nonce(&stack, &token).await;
    let request = signed(&stack, &carol, coin, pay(c.bob, 1, 3), nonce, in_an_hour()).await;
    assert_error(
        stack.post("/v1/relay", Some(&token), &request).await,
        503,
        "sending the transaction",
    )
    .await;
    assert_eq!(
        next_nonce(&stack, &token).await,
        nonce,
        "nothing was relayed"
    );

    // Coins again: the same request goes through (behind a nonce gap it would never be mined,
    // and the relay would give up waiting for its receipt).
    c.provider.anvil_set_balance(relayer, funds).await.unwrap();
    let response = stack.post("/v1/relay", Some(&token), &request).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    let relayed: serde_json::Value = response.json().await.unwrap();
    assert_eq!(relayed["success"], true, "{relayed}");
    assert_eq!(next_nonce(&stack, &token).await, nonce + 1);
}
