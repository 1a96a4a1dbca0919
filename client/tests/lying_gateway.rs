//! A gateway that lies (compromised, or someone in the middle of plain HTTP) gets nothing
//! signed: not a sign-in for another gateway or chain, not a call other than the one the user
//! asked for, not a profile for another account. The stub below answers like a gateway, with
//! one lie at a time; everything the client signs must be what it built itself.

use alloy::{
    primitives::{Address, Bytes, U256},
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use axum::{Json, Router, extract::State, routing::post};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use timebank_bindings::{IdentityRegistry, TimeCoin, deploy::Addresses, types::Purpose};
use timebank_client::{Action, ClientError, Deployment, Gateway};

/// What the stub lies about.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Lie {
    Nothing,
    Domain,
    Uri,
    Chain,
    /// Prepares a transfer of everything to the stub's owner instead of the payment asked for.
    Call,
    /// Prepares the right call, for another signer.
    From,
    /// Asks for a deadline a year away (a signature that stays usable).
    Deadline,
    /// Seals a profile and returns a call publishing it for another account.
    ProfileAccount,
}

struct Stub {
    lie: Mutex<Lie>,
    base: String,
    deployment: Deployment,
}

fn deployment() -> Deployment {
    Deployment::new(
        31_337,
        0,
        Address::repeat_byte(0xad),
        Addresses {
            forwarder: Address::repeat_byte(1),
            timelock: Address::repeat_byte(2),
            access: Address::repeat_byte(3),
            identity_registry: Address::repeat_byte(4),
            credential_registry: Address::repeat_byte(5),
            time_coin: Address::repeat_byte(6),
            service_ledger: Address::repeat_byte(7),
            supervision_desk: Address::repeat_byte(8),
        },
    )
}

const THIEF: Address = Address::repeat_byte(0x66);

async fn nonce(State(stub): State<Arc<Stub>>) -> Json<Value> {
    let lie = *stub.lie.lock().unwrap();
    let domain = stub.base.trim_start_matches("http://").to_owned();
    Json(json!({
        "nonce": "00112233445566778899aabbccddeeff",
        "domain": if lie == Lie::Domain { "gateway.elsewhere.example".into() } else { domain },
        "uri": if lie == Lie::Uri { "http://gateway.elsewhere.example".into() } else { stub.base.clone() },
        "chainId": if lie == Lie::Chain { 1 } else { stub.deployment.chain_id },
        "expiresAt": "2030-01-01T00:00:00Z",
    }))
}

async fn login(Json(request): Json<Value>) -> Json<Value> {
    let message = request["message"].as_str().unwrap();
    let address = message.lines().nth(1).unwrap();
    Json(json!({"token": "tb_stub", "address": address, "expiresAt": "2030-01-01T00:00:00Z"}))
}

async fn prepare(State(stub): State<Arc<Stub>>, Json(action): Json<Action>) -> Json<Value> {
    let lie = *stub.lie.lock().unwrap();
    let me = Address::repeat_byte(0xaa); // the stub does not know; the test overrides `from`
    let call = action.call(&stub.deployment.contracts).unwrap();
    let (to, data) = if lie == Lie::Call {
        (
            stub.deployment.contracts.time_coin,
            Bytes::from(
                TimeCoin::transferCall {
                    to: THIEF,
                    value: U256::MAX,
                }
                .abi_encode(),
            ),
        )
    } else {
        (call.to, call.data)
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    Json(json!({
        "from": if lie == Lie::From { me } else { *FROM.lock().unwrap() },
        "to": to, "gas": 500_000, "nonce": 0,
        "deadline": if lie == Lie::Deadline { now + 365 * 86_400 } else { now + 600 },
        "data": data, "monitor": null, "typedData": {},
    }))
}

async fn package(State(stub): State<Arc<Stub>>, Json(request): Json<Value>) -> Json<Value> {
    let mut profile = request["profile"].clone();
    profile["salt"] = json!(format!("0x{}", "11".repeat(32)));
    let canonical = timebank_client::profile::canonical(&profile).unwrap();
    let commitment = timebank_client::profile::commitment(&canonical);
    let account: Address = request["account"].as_str().unwrap().parse().unwrap();
    let account = if *stub.lie.lock().unwrap() == Lie::ProfileAccount {
        THIEF
    } else {
        account
    };
    let data = IdentityRegistry::submitMemberCall {
        account,
        branchId: 1,
        commitment,
        encryptedData: Bytes::from_static(b"sealed"),
    }
    .abi_encode();
    Json(json!({
        "profile": profile, "commitment": commitment, "encryptedData": "0x7365616c6564",
        "recipients": ["branch:1"], "to": stub.deployment.contracts.identity_registry,
        "data": Bytes::from(data),
    }))
}

/// Who the stub prepares requests for when it does not lie about it.
static FROM: Mutex<Address> = Mutex::new(Address::ZERO);

async fn stub() -> (Arc<Stub>, Gateway) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let stub = Arc::new(Stub {
        lie: Mutex::new(Lie::Nothing),
        base: base.clone(),
        deployment: deployment(),
    });
    let app = Router::new()
        .route("/v1/auth/nonce", post(nonce))
        .route("/v1/auth/login", post(login))
        .route("/v1/prepare", post(prepare))
        .route("/v1/members/package", post(package))
        .with_state(Arc::clone(&stub));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (stub, Gateway::new(&base, deployment()).unwrap())
}

fn refused(result: Result<impl std::fmt::Debug, ClientError>, needle: &str) {
    match result {
        Err(ClientError::Refused(why)) => {
            assert!(why.contains(needle), "{needle:?} not in {why:?}")
        }
        other => panic!("expected a refusal mentioning {needle:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn a_lying_gateway_gets_nothing_signed() {
    let (stub, gateway) = stub().await;
    let wallet = PrivateKeySigner::random();
    *FROM.lock().unwrap() = wallet.address();
    let lie = |l: Lie| *stub.lie.lock().unwrap() = l;

    // Sign-in for another gateway's domain or URI, or another chain: refused before signing.
    lie(Lie::Domain);
    refused(gateway.sign_in(&wallet).await, "asks to be signed in to as");
    lie(Lie::Uri);
    refused(gateway.sign_in(&wallet).await, "asks to be signed in to at");
    lie(Lie::Chain);
    refused(gateway.sign_in(&wallet).await, "on chain 1");
    lie(Lie::Nothing);
    let session = gateway.sign_in(&wallet).await.unwrap();

    // The user asks to pay 2 hours; the gateway prepares something else.
    let pay = Action::Pay {
        to: Address::repeat_byte(0xb0),
        hours: "2".into(),
        purpose: Purpose::Gift,
        reference: None,
    };
    let honest = session.prepare(&pay).await.unwrap();
    assert!(honest.description.to_string().contains("2 h"));
    lie(Lie::Call);
    refused(session.prepare(&pay).await, "another call");
    lie(Lie::From);
    refused(session.prepare(&pay).await, "the request is from");
    lie(Lie::Deadline);
    refused(session.prepare(&pay).await, "more than a day away");

    // A profile sealed for the member, published for someone else.
    lie(Lie::ProfileAccount);
    let fields = json!({"fullName": "Rosa", "dateOfBirth": "1970-02-03", "contact": "rosa@example.org",
            "identityDocument": {"type": "passport", "number": "E1"}});
    refused(
        session
            .seal_profile(
                Address::repeat_byte(0xb1),
                fields.clone(),
                timebank_client::api::ProfileAction::Submit,
            )
            .await,
        "does not publish the profile",
    );
}
