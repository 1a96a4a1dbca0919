//! One person, one membership, and no branch that can test ID numbers offline: the same person
//! with a second wallet at another branch is refused, in words, naming the membership they
//! already have; a mistyped resident number is refused before anything is sealed or sent; the
//! number never reaches the chain; the key is the platform's (bound by the gateway from the
//! sealed profile, checked again at approval), each keying rate-limited and logged at every
//! branch that takes part; a copy of one branch's host keys nothing.

use crate::{
    Stack,
    stack::{assert_error, deal_uniqueness},
};
use alloy::{
    primitives::{Address, B256},
    providers::Provider,
    signers::{SignerSync, local::PrivateKeySigner},
};
use timebank_client::{ClientError, api::ProfileAction};
use timebank_uniqueness::{
    Epoch, PublicFile, Share, ShareFile,
    document::{input, normalize},
};

const ROSA: &str = "11010519580314002X";
const LI: &str = "310115199007010038";

fn person(name: &str, number: &str) -> serde_json::Value {
    serde_json::json!({
        "fullName": name, "dateOfBirth": "1958-03-14", "contact": format!("{name}@example.org"),
        "identityDocument": {"type": "cn_resident_id", "number": number},
    })
}

fn api_error(err: &ClientError) -> (u16, String, String) {
    let ClientError::Api { status, body } = err else {
        panic!("{err}");
    };
    (*status, body.code.clone(), body.message.clone())
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
    // The gateway bound the key once the submission landed: the operator never supplied it.
    let key = registry.uniquenessKeyOf(first).call().await.unwrap();
    assert_ne!(key, B256::ZERO);
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
    let (status, code, message) = api_error(&refused);
    assert_eq!(
        (status, code.as_str()),
        (409, "duplicate_member"),
        "{refused}"
    );
    assert!(
        message.contains(&format!("member {rosa_id} of branch 1")),
        "{message}"
    );
    assert!(
        !message.contains("19580314"),
        "the number is not repeated: {message}"
    );
    // An operator who skips the gateway can submit, but can't give the person a key: only the
    // branch's gateway binds one, and the registry refuses the one another membership holds.
    let skipper = Address::repeat_byte(0xa5);
    timebank_testkit::send!(
        registry
            .submitMember(skipper, 2, B256::repeat_byte(1), vec![1].into())
            .from(c.op2)
    );
    let Err(direct) = registry
        .bindUniquenessKey(skipper, key)
        .from(c.op2)
        .call()
        .await
    else {
        panic!("an operator bound a uniqueness key");
    };
    let revert = timebank_bindings::describe_revert(&direct.as_revert_data().unwrap_or_default());
    assert!(
        revert.contains("AccessControlUnauthorizedAccount"),
        "{revert}"
    );

    // Another person is welcome at either branch.
    south_op
        .publish_profile(
            stack.key(c.op2),
            other,
            person("Li", LI),
            ProfileAction::Submit,
        )
        .await
        .unwrap();
    let li_key = registry.uniquenessKeyOf(other).call().await.unwrap();
    assert!(li_key != key && li_key != B256::ZERO);

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
            for number in [ROSA, LI] {
                assert!(
                    !input.windows(number.len()).any(|w| w == number.as_bytes()),
                    "a number in a transaction of block {n}"
                );
            }
        }
    }
    assert_ne!(key, alloy::primitives::keccak256(ROSA));

    // A rotation: a new epoch dealt to the branches. North and south's evaluator hold its share
    // and the previous one: Rosa is still refused; the audit lists who needs the new key; the
    // admin gives it.
    let dir = stack.dir().to_owned();
    deal_uniqueness(&dir, 2);
    let rotate = |s: &mut timebank_gateway::Settings| {
        let b = s.branch_id;
        s.uniqueness_share_file = Some(dir.join(format!("uniqueness-share-2-{b}.json")));
        s.uniqueness_public_file = Some(dir.join("uniqueness-public-2.json"));
        s.previous_uniqueness_share_file = Some(dir.join(format!("uniqueness-share-1-{b}.json")));
        s.previous_uniqueness_public_file = Some(dir.join("uniqueness-public-1.json"));
    };
    let rotated_peer = stack.peer(2, rotate).await;
    let peers = vec![format!("2={}/", rotated_peer.base)];
    let rotating = stack
        .north_replica(|s| {
            rotate(s);
            s.peer_gateways = peers.clone();
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

    // A rotation done wrong (a fresh epoch without the previous one) lets Rosa in again; the
    // audit finds the two memberships of one person.
    deal_uniqueness(&dir, 3);
    let careless_settings = |s: &mut timebank_gateway::Settings| {
        let b = s.branch_id;
        s.uniqueness_share_file = Some(dir.join(format!("uniqueness-share-3-{b}.json")));
        s.uniqueness_public_file = Some(dir.join("uniqueness-public-3.json"));
    };
    let careless_peer = stack.peer(2, careless_settings).await;
    let peers = vec![format!("2={}/", careless_peer.base)];
    let careless = stack
        .north_replica(|s| {
            careless_settings(s);
            s.peer_gateways = peers.clone();
        })
        .await;
    let careless_op = stack.session_at(&careless, c.op1).await;
    careless_op
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

/// The attacker copies north's whole host: its key files (branch key, relayer key, its share
/// of the uniqueness key, the public file) and its database. Nothing there reproduces Rosa's
/// key on chain, though the attacker knows her number: not a share taken as the key, not any
/// 32-byte secret as the old scheme's HMAC key. Two branches' shares together do (the control).
#[tokio::test(flavor = "multi_thread")]
async fn a_copy_of_one_branch_cannot_key_a_known_number() {
    let stack = Stack::start().await;
    let c = &stack.chain;
    let rosa = Address::repeat_byte(0xb1);
    stack
        .session_at(&stack.north, c.op1)
        .await
        .publish_profile(
            stack.key(c.op1),
            rosa,
            person("Rosa", ROSA),
            ProfileAction::Submit,
        )
        .await
        .unwrap();
    let on_chain = c.identity().uniquenessKeyOf(rosa).call().await.unwrap();
    assert_ne!(on_chain, B256::ZERO);
    let doc = input(
        "cn_resident_id",
        &normalize("cn_resident_id", ROSA).unwrap(),
    );

    // Everything north's host holds, as text: its files and a dump of its database.
    let dir = stack.dir();
    let mut stolen = String::new();
    for name in [
        "north.key",
        "uniqueness-share-1-1.json",
        "uniqueness-public-1.json",
    ] {
        stolen.push_str(&std::fs::read_to_string(dir.join(name)).unwrap());
        stolen.push('\n');
    }
    stolen.push_str(&alloy::hex::encode(stack.keys[12].to_bytes()));
    stolen.push('\n');
    let database = stack
        .url
        .strip_prefix("sqlite://")
        .expect("north on SQLite");
    let mut dump = std::fs::read(database).unwrap();
    if let Ok(wal) = std::fs::read(format!("{database}-wal")) {
        dump.extend(wal);
    }
    stolen.push_str(&alloy::hex::encode(&dump));
    // Every 32-byte value written as hex, and every 32-byte window of the database file.
    let started = std::time::Instant::now();
    let mut candidates: Vec<[u8; 32]> = Vec::new();
    let bytes = stolen.as_bytes();
    let mut i = 0;
    while i + 64 <= bytes.len() {
        if let Ok(b) = alloy::hex::decode(&bytes[i..i + 64]) {
            candidates.push(b.try_into().unwrap());
        }
        i += 1;
    }
    candidates.extend(
        dump.chunks_exact(32)
            .map(|w| <[u8; 32]>::try_from(w).unwrap()),
    );
    candidates.sort_unstable();
    candidates.dedup();
    assert!(
        candidates.len() > 1_000,
        "the copy was read: {}",
        candidates.len()
    );
    let share: ShareFile = serde_json::from_str(
        &std::fs::read_to_string(dir.join("uniqueness-share-1-1.json")).unwrap(),
    )
    .unwrap();
    let share_bytes: [u8; 32] = alloy::hex::decode(&share.share)
        .unwrap()
        .try_into()
        .unwrap();
    assert!(
        candidates.contains(&share_bytes),
        "the share is among what was stolen"
    );
    for candidate in &candidates {
        // The candidate as the whole VOPRF key...
        if let Ok(server) = voprf::VoprfServer::<voprf::Ristretto255>::new_with_key(candidate)
            && server
                .evaluate(&doc)
                .is_ok_and(|out| out[..32] == on_chain[..])
        {
            panic!("a value on north's host keys Rosa's number");
        }
        // ...and as the HMAC key of the scheme before.
        use hmac::Mac;
        let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(candidate).unwrap();
        for part in [
            b"timebank/uniqueness/v1".as_slice(),
            b"cn_resident_id",
            ROSA.as_bytes(),
        ] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        assert_ne!(mac.finalize().into_bytes()[..], on_chain[..]);
    }

    eprintln!(
        "{} values tried in {:?}",
        candidates.len(),
        started.elapsed()
    );

    // The control: north's share with south's (two of three) gives exactly Rosa's key.
    let public: PublicFile = serde_json::from_str(
        &std::fs::read_to_string(dir.join("uniqueness-public-1.json")).unwrap(),
    )
    .unwrap();
    let epoch = Epoch::new(&public).unwrap();
    let shares: Vec<Share> = [1, 2]
        .iter()
        .map(|b| {
            let file: ShareFile = serde_json::from_str(
                &std::fs::read_to_string(dir.join(format!("uniqueness-share-1-{b}.json"))).unwrap(),
            )
            .unwrap();
            Share::new(&file, &epoch).unwrap()
        })
        .collect();
    let blinded = [timebank_uniqueness::Blinded::new(doc).unwrap()];
    let element = [blinded[0].element()];
    let evaluations: Vec<_> = shares
        .iter()
        .map(|s| (s.branch, s.evaluate(&element).unwrap()))
        .collect();
    let combined = timebank_uniqueness::threshold::combine(&epoch, &blinded, &evaluations).unwrap();
    assert_eq!(combined.keys[0], on_chain.0);
}

/// Operators as an oracle: every keying is rate-limited per operator and written to the access
/// log at north and at the branch that evaluated; the package answer carries no key.
#[tokio::test(flavor = "multi_thread")]
async fn uniqueness_checks_are_limited_and_logged_at_every_branch() {
    let stack = Stack::start_with(|s| s.uniqueness_checks_per_operator_per_hour = 3).await;
    let c = &stack.chain;
    let token = stack.sign_in(c.op1).await;
    let mut answers = Vec::new();
    for (i, number) in [ROSA, LI, "11010519491231002X", "110105194912310038"]
        .iter()
        .enumerate()
    {
        let request = serde_json::json!({
            "account": Address::repeat_byte(0xc0 + i as u8), "action": "submit",
            "profile": person("Guess", number),
        });
        answers.push(
            stack
                .post("/v1/members/package", Some(&token), &request)
                .await,
        );
    }
    let last = answers.pop().unwrap();
    for answer in answers {
        let text = answer.text().await.unwrap();
        let sealed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(sealed.get("uniquenessKey").is_none(), "{text}");
        let data = sealed["data"].as_str().unwrap();
        let call = alloy::hex::decode(data).unwrap();
        let decoded =
            <timebank_bindings::IdentityRegistry::submitMemberCall as alloy::sol_types::SolCall>::abi_decode(&call)
                .unwrap();
        assert_eq!(decoded.commitment.len(), 32);
    }
    assert_error(last, 429, "checked too many identity documents").await;

    // North's access log has each check, by whom; south's has each evaluation it made for
    // north, with the operator it was for.
    let auditor = stack.sign_in(stack.auditor).await;
    let log: Vec<serde_json::Value> = stack
        .get("/v1/access-log", Some(&auditor))
        .await
        .json()
        .await
        .unwrap();
    let checks: Vec<_> = log
        .iter()
        .filter(|e| {
            e["reason"]
                .as_str()
                .unwrap()
                .starts_with("uniqueness check")
        })
        .collect();
    assert_eq!(checks.len(), 3, "{log:?}");
    assert!(
        checks
            .iter()
            .all(|e| e["reader"].as_str().unwrap().parse::<Address>().unwrap() == c.op1)
    );
    let south_log = stack
        .south_peer
        .state
        .store
        .access_log(None, 100)
        .await
        .unwrap();
    let evaluations: Vec<_> = south_log
        .iter()
        .filter(|e| {
            e.reason
                .starts_with("uniqueness evaluation for branch 1 (check)")
        })
        .collect();
    assert_eq!(evaluations.len(), 3, "{south_log:?}");
    assert!(
        evaluations
            .iter()
            .all(|e| e.account == c.op1 && e.reader == stack.keys[12].address())
    );
}

/// The evaluation endpoint is for branches' gateways only: unsigned, a person's session, a key
/// without the branch's gateway role, a stale or misaddressed request, and a branch asking too
/// often are each refused.
#[tokio::test(flavor = "multi_thread")]
async fn only_branch_gateways_get_evaluations() {
    let stack = Stack::start().await;
    let peer = &stack.south_peer;
    let url = format!("{}/v1/uniqueness/evaluate", peer.base);
    let blinded = timebank_uniqueness::Blinded::new(b"a document".to_vec()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let body = |from: u32, to: u32, issued_at: u64| {
        serde_json::to_vec(&serde_json::json!({
            "epoch": 1, "from": from, "to": to, "operator": stack.chain.op1, "purpose": "check",
            "issuedAt": issued_at, "elements": [B256::from(blinded.element())],
        }))
        .unwrap()
    };
    let send = |signer: &PrivateKeySigner, body: Vec<u8>| {
        let signature = signer.sign_message_sync(&body).unwrap();
        stack
            .http
            .post(&url)
            .header("authorization", format!("TimebankGateway {signature}"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let relayer = &stack.keys[12];
    let ok = send(relayer, body(1, 2, now)).await.unwrap();
    assert_eq!(ok.status(), 200, "{}", ok.text().await.unwrap());

    let unsigned = stack
        .http
        .post(&url)
        .body(body(1, 2, now))
        .send()
        .await
        .unwrap();
    assert_error(unsigned, 401, "sign the request").await;
    let token = stack.sign_in(stack.chain.op1).await;
    let session = stack
        .http
        .post(&url)
        .bearer_auth(token)
        .body(body(1, 2, now))
        .send()
        .await
        .unwrap();
    assert_error(session, 403, "not people's sessions").await;
    let stranger = PrivateKeySigner::random();
    assert_error(
        send(&stranger, body(1, 2, now)).await.unwrap(),
        403,
        "does not hold branch 1's gateway role",
    )
    .await;
    assert_error(
        send(relayer, body(1, 2, now - 600)).await.unwrap(),
        400,
        "at most 120 s",
    )
    .await;
    assert_error(
        send(relayer, body(1, 3, now)).await.unwrap(),
        400,
        "this is branch 2's",
    )
    .await;
    // A signature over another body.
    let signature = relayer.sign_message_sync(&body(1, 2, now)).unwrap();
    let forged = stack
        .http
        .post(&url)
        .header("authorization", format!("TimebankGateway {signature}"))
        .body(body(3, 2, now))
        .send()
        .await
        .unwrap();
    assert_error(forged, 403, "gateway role").await;

    // A branch that asks too often waits.
    let limited = stack
        .peer(2, |s| s.uniqueness_evaluations_per_branch_per_minute = 2)
        .await;
    let limited_url = format!("{}/v1/uniqueness/evaluate", limited.base);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let b = body(1, 2, now);
        let signature = relayer.sign_message_sync(&b).unwrap();
        let answer = stack
            .http
            .post(&limited_url)
            .header("authorization", format!("TimebankGateway {signature}"))
            .body(b)
            .send()
            .await
            .unwrap();
        statuses.push(answer.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 429]);
}

/// The key is bound to the document: an approval whose member holds another document's key (set
/// around the gateway) is refused by the approving operator's gateway, which recomputes the key
/// from the profile; an approval of a member with no key yet binds it first.
#[tokio::test(flavor = "multi_thread")]
async fn an_approval_is_refused_when_the_key_is_not_the_documents() {
    let stack = Stack::start().await;
    let c = &stack.chain;
    let (rosa, li) = (Address::repeat_byte(0xd1), Address::repeat_byte(0xd2));
    let op1 = stack.session_at(&stack.north, c.op1).await;
    for (who, name, number) in [(rosa, "Rosa", ROSA), (li, "Li", LI)] {
        op1.publish_profile(
            stack.key(c.op1),
            who,
            person(name, number),
            ProfileAction::Submit,
        )
        .await
        .unwrap();
    }
    let registry = c.identity();
    let rosa_key = registry.uniquenessKeyOf(rosa).call().await.unwrap();
    // The admin (or anything around the gateway) gives Li a key that is not his document's.
    let wrong = B256::repeat_byte(0x77);
    timebank_testkit::send!(registry.setUniquenessKey(li, wrong));
    stack.caught_up().await;
    let op1b = stack.session_at(&stack.north, c.op1b).await;
    let refused = op1b
        .act(
            stack.key(c.op1b),
            &timebank_client::Action::ApproveMember { account: li },
        )
        .await
        .unwrap_err();
    let (status, code, _) = api_error(&refused);
    assert_eq!(
        (status, code.as_str()),
        (409, "uniqueness_key_mismatch"),
        "{refused}"
    );
    // Rosa's key is her document's: approved.
    let approved = op1b
        .act(
            stack.key(c.op1b),
            &timebank_client::Action::ApproveMember { account: rosa },
        )
        .await
        .unwrap();
    assert!(approved.success, "{approved:?}");
    assert_eq!(
        registry.uniquenessKeyOf(rosa).call().await.unwrap(),
        rosa_key
    );
}
