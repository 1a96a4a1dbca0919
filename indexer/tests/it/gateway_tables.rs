//! The gateway's tables on both databases: sessions, sign-in nonces, notes that wait for their
//! write to land, the relayer's gas per signer, and the access log as a hash chain that shows
//! any change, removal or insertion.

use alloy::primitives::{Address, B256, keccak256};
use timebank_indexer::{
    Store,
    query::gateway::{AccessRecord, access_entry_hash},
};
use timebank_testkit::fresh_database;

async fn store(postgres: bool, dir: &std::path::Path) -> Option<Store> {
    let url = fresh_database(postgres, dir).await?;
    Some(Store::connect(&url).await.unwrap())
}

fn read(n: u64) -> AccessRecord {
    AccessRecord {
        at: 1_700_000_000 + n,
        reader: Address::repeat_byte(1),
        reader_roles: "operator".into(),
        account: Address::repeat_byte(2),
        member_id: 7,
        profile_version: 1,
        reason: format!("read {n}"),
        gateway_branch: 1,
    }
}

async fn sessions_nonces_and_notes(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let Some(store) = store(postgres, dir.path()).await else {
        return;
    };
    let (alice, now) = (Address::repeat_byte(0xa1), 1_000);

    // A session outlives nothing: found until it expires or is closed.
    let token = keccak256("tb_token");
    store
        .open_session(token, alice, now, now + 60)
        .await
        .unwrap();
    let found = store.session(token, now + 59).await.unwrap().unwrap();
    assert_eq!((found.address, found.expires_at), (alice, now + 60));
    assert!(store.session(token, now + 60).await.unwrap().is_none());
    assert!(
        store
            .session(keccak256("tb_other"), now)
            .await
            .unwrap()
            .is_none()
    );
    store.close_session(token).await.unwrap();
    assert!(store.session(token, now).await.unwrap().is_none());

    // A client holds a few nonces at most; each works once, until it expires.
    for i in 0..3 {
        let issued = store
            .issue_sign_in_nonce(&format!("n{i}"), "10.0.0.1", now, now + 120, 3)
            .await
            .unwrap();
        assert!(issued, "nonce {i}");
    }
    assert!(
        !store
            .issue_sign_in_nonce("n3", "10.0.0.1", now, now + 120, 3)
            .await
            .unwrap(),
        "a fourth outstanding nonce for one client"
    );
    assert!(
        store
            .issue_sign_in_nonce("m0", "10.0.0.2", now, now + 120, 3)
            .await
            .unwrap(),
        "another client is not held back"
    );
    assert!(store.take_sign_in_nonce("n0", now).await.unwrap());
    assert!(!store.take_sign_in_nonce("n0", now).await.unwrap(), "used");
    assert!(
        !store.take_sign_in_nonce("n1", now + 120).await.unwrap(),
        "expired"
    );
    assert!(
        store
            .issue_sign_in_nonce("n4", "10.0.0.1", now + 121, now + 241, 3)
            .await
            .unwrap(),
        "expired nonces no longer count"
    );

    // Texts become notes only when a write carrying their hash lands.
    let texts = vec!["cleared: a family gift".to_owned(), "unrelated".to_owned()];
    store
        .keep_pending_notes(&texts, alice, now + 600)
        .await
        .unwrap();
    let landed = store
        .land_notes(
            &[keccak256(texts[0].as_bytes()), B256::repeat_byte(9)],
            now + 5,
        )
        .await
        .unwrap();
    assert_eq!(landed, 1);
    let swept = store.sweep_expired(now + 600).await.unwrap();
    assert_eq!(swept.notes, 1, "the text whose write never landed");
    assert_eq!(swept.nonces, 4, "n1, n2, m0 and n4");
    assert_eq!(store.count("note").await.unwrap(), 1);

    // Relayed gas per signer and day; each write answers the totals it left (two replicas
    // adding to one signer's day see both).
    let bob = Address::repeat_byte(0xb0);
    let mut first = store
        .add_relay_gas(&[(alice, 20_000, 60_000, 3), (alice, 20_001, 1, 1)])
        .await
        .unwrap();
    first.sort();
    assert_eq!(first, [(alice, 20_000, 60_000), (alice, 20_001, 1)]);
    let mut second = store
        .add_relay_gas(&[(alice, 20_000, 50_000, 2), (bob, 20_000, 7, 1)])
        .await
        .unwrap();
    second.sort();
    assert_eq!(second, [(alice, 20_000, 110_000), (bob, 20_000, 7)]);
    assert_eq!(store.relay_gas(alice, 20_000).await.unwrap(), 110_000);
    // More signers than one statement takes (7,500 rows on SQLite, 750 on PostgreSQL).
    let many: Vec<_> = (0..8_000u64)
        .map(|i| (Address::left_padding_from(&i.to_be_bytes()), 20_002, i, 1))
        .collect();
    let totals = store.add_relay_gas(&many).await.unwrap();
    assert_eq!(totals.len(), many.len());
    assert_eq!(store.relay_gas(many[7_999].0, 20_002).await.unwrap(), 7_999);
    assert_eq!(store.relay_gas(Address::ZERO, 20_000).await.unwrap(), 0);
}

async fn the_access_log_is_a_chain(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let Some(store) = store(postgres, dir.path()).await else {
        return;
    };
    let mut prev = B256::ZERO;
    for n in 1..=5 {
        let link = store.record_access(&read(n)).await.unwrap();
        assert_eq!(link.seq, n);
        assert_eq!(link.hash, access_entry_hash(prev, n, &read(n)));
        prev = link.hash;
    }
    let head = store.access_log_head().await.unwrap();
    assert_eq!((head.entries, head.head), (5, prev));
    let anchor = (3, store.access_entry(3).await.unwrap().unwrap());
    let verified = store.verify_access_log(Some(anchor)).await.unwrap();
    assert_eq!(verified.problem, None, "an untouched log");
    assert_eq!((verified.entries, verified.anchored), (5, 3));

    // Someone with database access edits a reason: the chain breaks at that entry.
    let exec = async |sql: &str| {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(store.pool())
            .await
            .unwrap();
    };
    exec("UPDATE access_log SET reason = 'routine check' WHERE seq = 2").await;
    let verified = store.verify_access_log(Some(anchor)).await.unwrap();
    assert!(
        verified
            .problem
            .as_deref()
            .unwrap()
            .contains("entry 2 was changed"),
        "{verified:?}"
    );
    exec("UPDATE access_log SET reason = 'read 2' WHERE seq = 2").await;

    // ... removes the last entries and rewinds the head: the anchor still covers them.
    exec("DELETE FROM access_log WHERE seq >= 3").await;
    let hash2 = store.access_entry(2).await.unwrap().unwrap().to_vec();
    sqlx::query("UPDATE access_log_head SET entries = 2, head = $1 WHERE id = 1")
        .bind(hash2)
        .execute(store.pool())
        .await
        .unwrap();
    let verified = store.verify_access_log(Some(anchor)).await.unwrap();
    assert!(
        verified
            .problem
            .as_deref()
            .unwrap()
            .contains("entries were removed"),
        "{verified:?}"
    );
    // Without the anchor the rewritten log would look whole: the anchor is the evidence.
    assert_eq!(store.verify_access_log(None).await.unwrap().problem, None);
}

#[tokio::test]
async fn sessions_nonces_and_notes_sqlite() {
    sessions_nonces_and_notes(false).await;
}

#[tokio::test]
async fn sessions_nonces_and_notes_postgres() {
    sessions_nonces_and_notes(true).await;
}

#[tokio::test]
async fn the_access_log_is_a_chain_sqlite() {
    the_access_log_is_a_chain(false).await;
}

#[tokio::test]
async fn the_access_log_is_a_chain_postgres() {
    the_access_log_is_a_chain(true).await;
}
