//! A database written by an earlier version keeps every row through the migrations that follow
//! it, and reads as a fresh one would.

use alloy::{
    primitives::{Address, U256, keccak256},
    sol_types::SolEvent,
};
use timebank_bindings::TimeCoin;
use timebank_indexer::Store;
use timebank_testkit::fresh_database;

/// Version 5 stored each log's fields as JSON and keyed it by (block, index, block hash); 6 reads
/// the fields from the raw log and keys it by its place. A payment written by 5 is still in the
/// payer's history after 6, with the same fields.
async fn a_version_5_event_log_survives(postgres: bool) {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = fresh_database(postgres, dir.path()).await else {
        return;
    };
    sqlx::any::install_default_drivers();
    let open = if postgres {
        url.clone()
    } else {
        format!("{url}?mode=rwc")
    };
    let pool = sqlx::AnyPool::connect(&open).await.unwrap();
    let migrator = if postgres {
        sqlx::migrate!("migrations/postgres")
    } else {
        sqlx::migrate!("migrations/sqlite")
    };
    migrator.run_to(5, &pool).await.unwrap();

    let (from, to) = (Address::repeat_byte(0xa1), Address::repeat_byte(0xb2));
    let value = U256::from(3u128 * 10u128.pow(18));
    let log = TimeCoin::Transfer { from, to, value }.encode_log_data();
    let topics: Vec<u8> = log.topics().iter().flat_map(|t| t.0).collect();
    sqlx::query(
        "INSERT INTO event_log (block_number, block_hash, block_time, tx_hash, log_index, \
         contract, address, event, fields, topics, data, sender, recipient, amount, \
         amount_micro, purpose, ref, sender_balance, recipient_balance) VALUES \
         (7, $1, 1700000000, $2, 0, 'TimeCoin', $3, 'Transfer', '{\"stale\":true}', $4, $5, $6, \
         $7, $8, 3000000, 3, $9, '0', $10)",
    )
    .bind(keccak256("block 7").to_vec())
    .bind(keccak256("tx").to_vec())
    .bind(Address::repeat_byte(0xc0).to_vec())
    .bind(topics)
    .bind(log.data.to_vec())
    .bind(from.to_vec())
    .bind(to.to_vec())
    .bind(value.to_string())
    .bind(vec![0u8; 32])
    .bind(value.to_string())
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let store = Store::connect(&url).await.unwrap();
    assert_eq!(store.count("event_log").await.unwrap(), 1);
    let history = store.history(from, 10).await.unwrap();
    assert_eq!(history.len(), 1, "the payment is still the payer's history");
    let entry = &history[0];
    assert_eq!((entry.block_number, entry.block_time), (7, 1_700_000_000));
    assert_eq!(entry.event, "Transfer");
    assert_eq!(
        entry.fields,
        serde_json::json!({
            "from": from.to_checksum(None),
            "to": to.to_checksum(None),
            "value": value.to_string(),
        }),
        "the fields are read from the raw log, not the JSON that version 5 kept"
    );
    assert_eq!(store.history(to, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_version_5_event_log_survives_sqlite() {
    a_version_5_event_log_survives(false).await;
}

#[tokio::test]
async fn a_version_5_event_log_survives_postgres() {
    a_version_5_event_log_survives(true).await;
}
