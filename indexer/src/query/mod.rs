//! The read model: every query the gateway (and the tests) make of a branch's index, on
//! either database. Rows are typed structs read by column name ([`row::Columns`]), with the
//! contracts' enums from the bindings and every record's block time.
//!
//! # Layout
//! - this module: the head, branches, history and the live stream's events, table counts
//! - [`members`]: members, their standing, credentials and profile packages
//! - [`coins`]: payments and balances
//! - [`cases`]: supervision cases
//! - [`work`]: what waits for a branch's people (pending members, moves, activities, services,
//!   alerts, quotas, credential types, expiring credentials)
//! - [`gateway`]: the gateway's own tables (sessions, notes, relayed gas, the access log)

pub mod cases;
pub mod coins;
pub mod gateway;
pub mod members;
pub mod risk;
mod row;
pub mod work;

pub use cases::{CaseDetail, CaseOrder, CaseQuery, HoldRow, SEVERITY_SCORE};
pub use coins::PaymentRow;
pub use members::{CredentialRow, MemberRow, Standing};

use crate::{
    Result,
    store::{Store, to_i64},
};
use alloy::primitives::B256;
use row::Columns;
use serde::Serialize;

/// One entry of an account's history: an event that names it, in chain order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    /// Block.
    pub block_number: u64,
    /// The block's time (unix seconds).
    pub block_time: u64,
    /// Log index.
    pub log_index: u64,
    /// Transaction.
    pub tx_hash: B256,
    /// Contract name.
    pub contract: String,
    /// Event name.
    pub event: String,
    /// Decoded fields (JSON).
    pub fields: serde_json::Value,
}

impl HistoryEntry {
    pub(crate) const COLUMNS: &str = "e.block_number, e.block_time, e.log_index, e.tx_hash, e.contract, \
                           e.event, e.topics, e.data";

    pub(crate) fn read(r: &sqlx::any::AnyRow) -> Result<Self> {
        let contract = r.text("contract")?;
        let log = crate::store::to_log_data(
            &sqlx::Row::try_get::<Vec<u8>, _>(r, "topics")?,
            sqlx::Row::try_get(r, "data")?,
        )?;
        let fields = crate::decode::fields(&contract, &log)?;
        Ok(Self {
            block_number: r.u64("block_number")?,
            block_time: r.u64("block_time")?,
            log_index: r.u64("log_index")?,
            tx_hash: r.hash("tx_hash")?,
            contract,
            event: r.text("event")?,
            fields: fields.into(),
        })
    }
}

/// A branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BranchRow {
    /// Id (1-based).
    pub branch_id: u64,
    /// Name.
    pub name: String,
    /// Region.
    pub region: String,
    /// The branch's public key for member data packages (X25519, 32 bytes).
    pub public_key: B256,
    /// Whether it may act.
    pub active: bool,
}

/// The last indexed block: what the index knows of the chain, and its clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Its number.
    pub number: u64,
    /// Its hash (a reorg changes it at the same number).
    pub hash: B256,
    /// Its timestamp: "now" as the index knows the chain.
    pub time: u64,
    /// How many times anyone's standing (what [`Store::standing`] reads) has changed in this
    /// database: a standing read after this head stays true while the count stays.
    pub standing_version: u64,
}

impl Store {
    /// The last indexed block, if any.
    pub async fn head(&self) -> Result<Option<Head>> {
        let row = sqlx::query(
            "SELECT c.block_number, c.block_hash, b.block_time, s.version AS standing_version \
             FROM indexer_checkpoint c JOIN indexed_block b ON b.block_number = c.block_number \
             JOIN standing_version s ON s.id = 1 WHERE c.id = 1",
        )
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(Head {
                number: r.u64("block_number")?,
                hash: r.hash("block_hash")?,
                time: r.u64("block_time")?,
                standing_version: r.u64("standing_version")?,
            })
        })
        .transpose()
    }

    /// Every branch, by id.
    pub async fn branches(&self) -> Result<Vec<BranchRow>> {
        let rows = sqlx::query(
            "SELECT branch_id, name, region, public_key, \
             CASE WHEN active THEN 1 ELSE 0 END AS active FROM branch ORDER BY branch_id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(BranchRow {
                    branch_id: r.u64("branch_id")?,
                    name: r.text("name")?,
                    region: r.text("region")?,
                    public_key: r.hash("public_key")?,
                    active: r.flag("active")?,
                })
            })
            .collect()
    }

    /// Decoded events named in `names` after position `after` (block, log index), in chain
    /// order: what a live stream sends next.
    pub async fn events_after(
        &self,
        after: (u64, u64),
        names: &[&str],
        limit: i64,
    ) -> Result<Vec<HistoryEntry>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(events_after_sql(names.len())))
            .bind(to_i64(after.0))
            .bind(to_i64(after.1))
            .bind(limit);
        for name in names {
            query = query.bind(*name);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(HistoryEntry::read).collect()
    }

    /// Everything that names `account`, oldest first: payments and other events.
    pub async fn history(
        &self,
        account: alloy::primitives::Address,
        limit: i64,
    ) -> Result<Vec<HistoryEntry>> {
        let a = account.to_vec();
        let sql = format!(
            "SELECT {} FROM event_log e WHERE (e.block_number, e.log_index) IN ( \
               SELECT block_number, log_index FROM event_account WHERE account = $1 \
               UNION SELECT block_number, log_index FROM payment WHERE sender = $2 OR recipient = $3) \
             ORDER BY e.block_number, e.log_index LIMIT $4",
            HistoryEntry::COLUMNS
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(a.clone())
            .bind(a.clone())
            .bind(a)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(HistoryEntry::read).collect()
    }

    /// Rows in `table` (for tests and status pages).
    pub async fn count(&self, table: &str) -> Result<u64> {
        let known = crate::store::STATE_TABLES
            .iter()
            .chain(crate::store::APPEND_TABLES)
            .chain(crate::store::GATEWAY_TABLES)
            .chain(crate::store::RISK_TABLES)
            .chain(crate::store::VIEWS);
        if !known.into_iter().any(|t| *t == table) {
            return Err(crate::Error::Config(format!("unknown table {table}")));
        }
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM {table}"
        )))
        .fetch_one(self.pool())
        .await?;
        row.u64("n")
    }
}

/// [`Store::events_after`]'s statement for `names` event names. "After a place" is a row-value
/// comparison, which both databases walk on the (block, log) index from that place; the same
/// condition spelt `a > x OR (a = x AND b > y)` made SQLite scan the whole log on every call
/// (`store::tests::reads_after_a_place_walk_the_index`).
pub(crate) fn events_after_sql(names: usize) -> String {
    let list = (0..names)
        .map(|i| format!("${}", i + 4))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {} FROM event_log e \
         WHERE (e.block_number, e.log_index) > ($1, $2) \
         AND e.event IN ({list}) ORDER BY e.block_number, e.log_index LIMIT $3",
        HistoryEntry::COLUMNS
    )
}
