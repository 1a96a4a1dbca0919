//! Member data stays private: sealed by the gateway, published by operators' signatures, read
//! back only by those allowed (each read logged), verified without revealing anything, audited.

use crate::{Stack, assert_error};
use alloy::{
    primitives::{Address, Bytes},
    signers::{Signer, local::PrivateKeySigner},
    sol_types::SolCall,
};
use timebank_bindings::IdentityRegistry;
use timebank_bindings::forward::{self, ForwardRequest};
use timebank_client::api::SignedRequest;

async fn relay(stack: &Stack, who: Address, to: Address, data: Bytes) {
    let token = stack.sign_in(who).await;
    let nonce: serde_json::Value = stack
        .get("/v1/relay/nonce", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let d = &stack.chain.deployment;
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let request = ForwardRequest::call(
        who,
        to,
        data,
        forward::DEFAULT_GAS,
        nonce["nonce"].as_u64().unwrap(),
        deadline,
    );
    let request = SignedRequest::sign(
        stack.key(who),
        &forward::domain(d.chain_id, d.contracts.forwarder),
        &request,
    )
    .await
    .unwrap();
    let response = stack.post("/v1/relay", Some(&token), &request).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_is_sealed_published_read_by_the_allowed_and_logged_sqlite() {
    profile_lifecycle(Stack::start().await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_is_sealed_published_read_by_the_allowed_and_logged_postgres() {
    if let Some(stack) = Stack::start_on(true).await {
        profile_lifecycle(stack).await;
    }
}

async fn profile_lifecycle(stack: Stack) {
    let c = &stack.chain;
    let newcomer = PrivateKeySigner::random();
    let who = newcomer.address();
    let op1 = stack.sign_in(c.op1).await;

    // Sealing: bad profiles are refused with what is missing.
    let seal = |profile: serde_json::Value, action: &str| {
        let body = serde_json::json!({"account": who, "profile": profile, "action": action});
        let (stack, op1) = (&stack, op1.clone());
        async move { stack.post("/v1/members/package", Some(&op1), &body).await }
    };
    assert_error(
        seal(serde_json::json!({"fullName": "Ada"}), "submit").await,
        400,
        "dateOfBirth",
    )
    .await;
    assert_error(
        seal(serde_json::json!("Ada"), "submit").await,
        400,
        "object",
    )
    .await;
    let profile = serde_json::json!({
        "fullName": "Ada Lovelace", "dateOfBirth": "1815-12-10", "contact": "ada@example.org",
        "identityDocument": {"type": "passport", "number": "E18151210"},
        "notes": "speaks three languages"
    });
    assert_error(seal(profile.clone(), "delete").await, 400, "action").await;
    let sealed: serde_json::Value = seal(profile.clone(), "submit").await.json().await.unwrap();
    assert_eq!(
        sealed["recipients"],
        serde_json::json!(["branch:1", "branch:2"])
    );
    assert!(
        !sealed["encryptedData"]
            .as_str()
            .unwrap()
            .contains(&alloy::hex::encode("Ada"))
    );

    // Published by north's operator, approved by the second one: both sign their own requests.
    let registry = c.deployment.contracts.identity_registry;
    relay(
        &stack,
        c.op1,
        registry,
        sealed["data"].as_str().unwrap().parse().unwrap(),
    )
    .await;
    relay(
        &stack,
        c.op1b,
        registry,
        IdentityRegistry::approveMemberCall { account: who }
            .abi_encode()
            .into(),
    )
    .await;
    stack.caught_up().await;

    // The member reads their own profile; the other branch's operator and another member can't.
    let path = format!("/v1/members/{who}/profile");
    let stranger_token = {
        // The newcomer signs in with their own wallet.
        let nonce = stack.nonce().await;
        let message = stack.siwe_message(who, &nonce, c.deployment.chain_id, &stack.domain);
        let signature = newcomer.sign_message(message.as_bytes()).await.unwrap();
        let r: serde_json::Value = stack
            .post(
                "/v1/auth/login",
                None,
                &serde_json::json!({"message": message, "signature": alloy::hex::encode_prefixed(signature.as_bytes())}),
            )
            .await
            .json()
            .await
            .unwrap();
        r["token"].as_str().unwrap().to_owned()
    };
    let own: serde_json::Value = stack
        .get(&path, Some(&stranger_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["profile"], sealed["profile"]);
    assert_eq!(own["profile"]["notes"], "speaks three languages");
    let south = stack.sign_in(c.op2).await;
    assert_error(stack.get(&path, Some(&south)).await, 403, "home branch").await;
    let bob = stack.sign_in(c.bob).await;
    assert_error(stack.get(&path, Some(&bob)).await, 403, "home branch").await;
    // Staff must say why.
    let supervisor = stack.sign_in(c.supervisor).await;
    assert_error(stack.get(&path, Some(&supervisor)).await, 400, "reason").await;
    let read = stack
        .get(
            &format!("{path}?reason=case%20review%2042"),
            Some(&supervisor),
        )
        .await;
    assert_eq!(read.status(), 200);

    // Anyone signed in can check a presented profile, and learns only yes or no.
    let verify = |profile: serde_json::Value| {
        let body = serde_json::json!({"profile": profile});
        let (stack, south, path) = (&stack, south.clone(), format!("/v1/members/{who}/verify"));
        async move { stack.post(&path, Some(&south), &body).await }
    };
    let yes: serde_json::Value = verify(sealed["profile"].clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(yes["matches"], true);
    let mut altered = sealed["profile"].clone();
    altered["dateOfBirth"] = "1815-12-11".into();
    let no: serde_json::Value = verify(altered).await.json().await.unwrap();
    assert_eq!(no["matches"], false);
    let unsalted: serde_json::Value = verify(profile).await.json().await.unwrap();
    assert_eq!(
        unsalted["matches"], false,
        "the salt is part of the commitment"
    );

    // The auditor sees both reads, with who, why and through which gateway.
    let auditor = stack.sign_in(stack.auditor).await;
    let log: Vec<serde_json::Value> = stack
        .get(&format!("/v1/access-log?account={who}"), Some(&auditor))
        .await
        .json()
        .await
        .unwrap();
    // Each keying of the member's identity document is there too: the submitting operator's
    // check and the binding, the approving operator's recomputation.
    let (keyed, log): (Vec<_>, Vec<_>) = log
        .into_iter()
        .partition(|e| e["reason"].as_str().unwrap().starts_with("uniqueness "));
    let purposes: Vec<&str> = keyed
        .iter()
        .map(|e| e["reason"].as_str().unwrap().split(':').next().unwrap())
        .collect();
    assert_eq!(
        purposes,
        ["uniqueness approve", "uniqueness bind", "uniqueness check"],
        "{keyed:?}"
    );
    assert_eq!(log.len(), 2, "{log:?}");
    let address = |v: &serde_json::Value| v.as_str().unwrap().parse::<Address>().unwrap();
    assert_eq!(address(&log[0]["reader"]), c.supervisor);
    assert_eq!(log[0]["reason"], "case review 42");
    assert_eq!(address(&log[1]["reader"]), who);
    assert!(log[1]["readerRoles"].as_str().unwrap().starts_with("self"));
    assert_eq!(log[0]["gatewayBranch"], 1);
    assert_error(
        stack.get("/v1/access-log", Some(&supervisor)).await,
        403,
        "auditor",
    )
    .await;

    // The audit: the newcomer's package is whole; the scenario's placeholder packages are not;
    // every record agrees with the chain.
    let report: serde_json::Value = stack
        .get("/v1/audit?branch=1", Some(&auditor))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        report["records_ok"]
            .as_u64()
            .or(report["recordsOk"].as_u64()),
        report["members"].as_u64(),
        "{report}"
    );
    let problems = report["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .all(|p| !p.as_str().unwrap().contains(&who.to_string())),
        "{report}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.as_str().unwrap().contains("not a v1 package")),
        "{report}"
    );

    // The audit opened the newcomer's package: a read like any other, in the log.
    let log: Vec<serde_json::Value> = stack
        .get(&format!("/v1/access-log?account={who}"), Some(&auditor))
        .await
        .json()
        .await
        .unwrap();
    let log: Vec<_> = log
        .into_iter()
        .filter(|e| !e["reason"].as_str().unwrap().starts_with("uniqueness "))
        .collect();
    assert_eq!(log.len(), 3, "{log:?}");
    assert_eq!(log[0]["reason"], "audit of branch 1");
    assert_eq!(address(&log[0]["reader"]), stack.auditor);

    // North's gateway anchors its log on chain; the verify command proves it whole, and shows
    // an entry edited in the database afterwards.
    let relayer = stack.keys[12].address();
    timebank_testkit::send!(
        c.access()
            .grantRole(timebank_bindings::roles::gateway(1), relayer)
    );
    let anchored = timebank_gateway::anchor::anchor(&stack.north.state, relayer)
        .await
        .unwrap();
    // Three profile reads and three keyings of the member's document.
    assert_eq!(anchored, Some(6));
    let deployment = stack.dir().join("deployment.json");
    std::fs::write(&deployment, serde_json::to_string(&c.deployment).unwrap()).unwrap();
    let verify = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_timebank-gateway"))
            .args([
                "--rpc-url",
                &c.anvil.endpoint(),
                "--database-url",
                &stack.url,
            ])
            .arg("--deployment")
            .arg(&deployment)
            .args(["--branch-id", "1", "verify-access-log"])
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, said) = verify();
    assert!(
        ok && said.contains("6 entries, chained and whole"),
        "{said}"
    );
    sqlx::query("UPDATE access_log SET reason = 'routine check' WHERE seq = 2")
        .execute(stack.north.state.store.pool())
        .await
        .unwrap();
    let (ok, said) = verify();
    assert!(!ok && said.contains("entry 2 was changed"), "{said}");
}
