//! A digest of each table the chain decides, to compare branches' databases with each other
//! (SQLite or PostgreSQL alike): equal digests, equal rows.

use super::{APPEND_TABLES, STATE_TABLES, Store, Typed};
use crate::Result;
use alloy::primitives::{B256, keccak256};
use futures::TryStreamExt;
use sqlx::{AssertSqlSafe, Column, ColumnIndex, Decode, Row, Type};
use std::collections::BTreeMap;

/// One table's rows, as a count and an order-free digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableDigest {
    /// How many rows.
    pub rows: u64,
    /// keccak256 of the rows' own digests, sorted: the same rows give the same digest whatever
    /// order the database keeps them in.
    pub digest: B256,
}

/// The tables a digest covers: every projection of the chain. `indexed_block` is left out: it
/// holds the blocks with events and each batch's last block, and where a batch ended depends on
/// when the indexer read, not on the chain.
pub fn digest_tables() -> impl Iterator<Item = &'static str> {
    STATE_TABLES
        .iter()
        .chain(APPEND_TABLES)
        .copied()
        .filter(|t| *t != "indexed_block")
}

impl Store {
    /// Each projected table's digest ([`digest_tables`]). Values are compared as what they mean,
    /// not as each database stores them: a boolean as 0 or 1, every integer as a 64-bit one,
    /// columns by name.
    pub async fn digests(&self) -> Result<BTreeMap<&'static str, TableDigest>> {
        let mut out = BTreeMap::new();
        for table in digest_tables() {
            let sql = AssertSqlSafe(format!("SELECT * FROM {table}"));
            // Through each database's own driver: sqlx's `Any` has no SQLite booleans.
            let mut hashes = Vec::new();
            match self.typed() {
                Typed::Sqlite(pool) => {
                    let mut rows = sqlx::query(sql).fetch(pool);
                    while let Some(row) = rows.try_next().await? {
                        hashes.push(row_digest(&row)?);
                    }
                }
                Typed::Postgres(pool) => {
                    let mut rows = sqlx::query(sql).fetch(pool);
                    while let Some(row) = rows.try_next().await? {
                        hashes.push(row_digest(&row)?);
                    }
                }
            }
            hashes.sort_unstable();
            out.insert(
                table,
                TableDigest {
                    rows: hashes.len() as u64,
                    digest: keccak256(hashes.concat()),
                },
            );
        }
        Ok(out)
    }
}

/// A row's digest: its columns sorted by name, each as `name 0x00 tag value`.
fn row_digest<R>(row: &R) -> Result<B256>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i32: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i16: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
{
    let mut columns: Vec<(&str, usize)> = row
        .columns()
        .iter()
        .map(|c| (c.name(), c.ordinal()))
        .collect();
    columns.sort_unstable();
    let mut bytes = Vec::with_capacity(256);
    for (name, i) in columns {
        bytes.extend_from_slice(name.as_bytes());
        bytes.push(0);
        let integer = row
            .try_get::<Option<i64>, _>(i)
            .or_else(|_| row.try_get::<Option<i32>, _>(i).map(|v| v.map(i64::from)))
            .or_else(|_| row.try_get::<Option<i16>, _>(i).map(|v| v.map(i64::from)))
            .or_else(|_| row.try_get::<Option<bool>, _>(i).map(|v| v.map(i64::from)));
        if let Ok(v) = integer {
            match v {
                None => bytes.push(b'N'),
                Some(v) => {
                    bytes.push(b'I');
                    bytes.extend_from_slice(&v.to_be_bytes());
                }
            }
        } else if let Ok(v) = row.try_get::<String, _>(i) {
            bytes.push(b'T');
            bytes.extend_from_slice(&(v.len() as u64).to_be_bytes());
            bytes.extend_from_slice(v.as_bytes());
        } else {
            let v: Vec<u8> = row.try_get(i)?;
            bytes.push(b'B');
            bytes.extend_from_slice(&(v.len() as u64).to_be_bytes());
            bytes.extend_from_slice(&v);
        }
    }
    Ok(keccak256(bytes))
}
