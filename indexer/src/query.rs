//! The reads the gateway uses, on either database.

use crate::{
    Result,
    store::{Store, to_address, to_b256, to_i64, to_u64},
};
use alloy::primitives::{Address, B256};
use serde::Serialize;
use sqlx::Row;

/// A member as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberRow {
    /// Wallet.
    pub account: Address,
    /// Stable id.
    pub member_id: u64,
    /// Home branch.
    pub home_branch: u64,
    /// `MemberStatus` value.
    pub status: u8,
    /// `RiskLevel` value.
    pub risk: u8,
    /// Profile version.
    pub profile_version: u64,
    /// Current profile commitment.
    pub commitment: B256,
    /// Branch asked to accept the member, or 0.
    pub pending_move_to: u64,
    /// Block of the last change.
    pub block_number: u64,
}

/// A coin movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentRow {
    /// Block.
    pub block_number: u64,
    /// Transaction.
    pub tx_hash: B256,
    /// The Transfer log's index.
    pub log_index: u64,
    /// Sender (zero for a mint).
    pub sender: Address,
    /// Recipient (zero for a burn).
    pub recipient: Address,
    /// Exact amount, TIME base units, decimal.
    pub amount: String,
    /// `Purpose` value.
    pub purpose: u8,
    /// Reference.
    pub reference: B256,
}

/// An open supervision case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseRow {
    /// Case id.
    pub case_id: u64,
    /// The member it is about.
    pub account: Address,
    /// Fired rules (MonitorRules bits).
    pub rules: u64,
    /// `MonitorAction` value.
    pub action: u8,
    /// Amount, decimal.
    pub amount: String,
    /// Hold id, or 0.
    pub hold_id: u64,
    /// Block it opened in.
    pub opened_block: u64,
}

/// One entry of an account's history: an event that names it, in chain order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    /// Block.
    pub block_number: u64,
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

impl Store {
    /// The member at `account`, if any.
    pub async fn member(&self, account: Address) -> Result<Option<MemberRow>> {
        let row = sqlx::query(
            "SELECT account, member_id, home_branch, status, risk, profile_version, commitment, \
             pending_move_to, block_number FROM member WHERE account = $1",
        )
        .bind(account.to_vec())
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(MemberRow {
                account: to_address(&r.try_get::<Vec<u8>, _>(0)?)?,
                member_id: to_u64(r.try_get(1)?),
                home_branch: to_u64(r.try_get(2)?),
                status: small(r.try_get(3)?),
                risk: small(r.try_get(4)?),
                profile_version: to_u64(r.try_get(5)?),
                commitment: to_b256(&r.try_get::<Vec<u8>, _>(6)?)?,
                pending_move_to: to_u64(r.try_get(7)?),
                block_number: to_u64(r.try_get(8)?),
            })
        })
        .transpose()
    }

    /// Everything that names `account`, oldest first: payments and other events.
    pub async fn history(&self, account: Address, limit: i64) -> Result<Vec<HistoryEntry>> {
        let a = account.to_vec();
        let rows = sqlx::query(
            "SELECT e.block_number, e.log_index, e.tx_hash, e.contract, e.event, e.fields \
             FROM event_log e WHERE (e.block_hash, e.log_index) IN ( \
               SELECT block_hash, log_index FROM event_account WHERE account = $1 \
               UNION SELECT block_hash, log_index FROM payment WHERE sender = $2 OR recipient = $3) \
             ORDER BY e.block_number, e.log_index LIMIT $4",
        )
        .bind(a.clone())
        .bind(a.clone())
        .bind(a)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let fields: String = r.try_get(5)?;
                Ok(HistoryEntry {
                    block_number: to_u64(r.try_get(0)?),
                    log_index: to_u64(r.try_get(1)?),
                    tx_hash: to_b256(&r.try_get::<Vec<u8>, _>(2)?)?,
                    contract: r.try_get(3)?,
                    event: r.try_get(4)?,
                    fields: serde_json::from_str(&fields).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    }

    /// Payments sent or received by `account`, optionally of one purpose, oldest first.
    pub async fn payments(
        &self,
        account: Option<Address>,
        purpose: Option<u8>,
        limit: i64,
    ) -> Result<Vec<PaymentRow>> {
        let a = account.map(|a| a.to_vec()).unwrap_or_default();
        let rows = sqlx::query(
            "SELECT block_number, tx_hash, log_index, sender, recipient, amount, purpose, ref \
             FROM payment WHERE ($1 = 0 OR sender = $2 OR recipient = $3) AND ($4 < 0 OR purpose = $5) \
             ORDER BY block_number, log_index LIMIT $6",
        )
        .bind(i64::from(account.is_some()))
        .bind(a.clone())
        .bind(a)
        .bind(purpose.map_or(-1, i64::from))
        .bind(purpose.map_or(-1, i64::from))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PaymentRow {
                    block_number: to_u64(r.try_get(0)?),
                    tx_hash: to_b256(&r.try_get::<Vec<u8>, _>(1)?)?,
                    log_index: to_u64(r.try_get(2)?),
                    sender: to_address(&r.try_get::<Vec<u8>, _>(3)?)?,
                    recipient: to_address(&r.try_get::<Vec<u8>, _>(4)?)?,
                    amount: r.try_get(5)?,
                    purpose: small(r.try_get(6)?),
                    reference: to_b256(&r.try_get::<Vec<u8>, _>(7)?)?,
                })
            })
            .collect()
    }

    /// Open cases about members of `branch_id`, oldest first.
    pub async fn open_cases(&self, branch_id: u64) -> Result<Vec<CaseRow>> {
        let rows = sqlx::query(
            "SELECT c.case_id, c.account, c.rules, c.action, c.amount, c.hold_id, c.opened_block \
             FROM supervision_case c JOIN member m ON m.account = c.account \
             WHERE c.status = 1 AND m.home_branch = $1 ORDER BY c.case_id",
        )
        .bind(to_i64(branch_id))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CaseRow {
                    case_id: to_u64(r.try_get(0)?),
                    account: to_address(&r.try_get::<Vec<u8>, _>(1)?)?,
                    rules: to_u64(r.try_get(2)?),
                    action: small(r.try_get(3)?),
                    amount: r.try_get(4)?,
                    hold_id: to_u64(r.try_get(5)?),
                    opened_block: to_u64(r.try_get(6)?),
                })
            })
            .collect()
    }

    /// `account`'s balance at the end of block `block` (exact decimal), from the payments.
    pub async fn balance_at(&self, account: Address, block: u64) -> Result<String> {
        let a = account.to_vec();
        let row = sqlx::query(
            "SELECT balance FROM ( \
               SELECT block_number, log_index, sender_balance AS balance FROM payment \
                 WHERE sender = $1 AND block_number <= $2 \
               UNION ALL \
               SELECT block_number, log_index, recipient_balance AS balance FROM payment \
                 WHERE recipient = $3 AND block_number <= $4) AS moves \
             ORDER BY block_number DESC, log_index DESC LIMIT 1",
        )
        .bind(a.clone())
        .bind(to_i64(block))
        .bind(a)
        .bind(to_i64(block))
        .fetch_optional(self.pool())
        .await?;
        Ok(match row {
            Some(r) => r.try_get(0)?,
            None => "0".into(),
        })
    }

    /// `account`'s current balance (exact decimal).
    pub async fn balance(&self, account: Address) -> Result<String> {
        let row = sqlx::query("SELECT amount FROM balance WHERE account = $1")
            .bind(account.to_vec())
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => r.try_get(0)?,
            None => "0".into(),
        })
    }

    /// Rows in `table` (for tests and status pages).
    pub async fn count(&self, table: &str) -> Result<u64> {
        let known = crate::store::STATE_TABLES
            .iter()
            .chain(crate::store::APPEND_TABLES)
            .chain(crate::store::VIEWS);
        if !known.into_iter().any(|t| *t == table) {
            return Err(crate::Error::Config(format!("unknown table {table}")));
        }
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(self.pool())
            .await?;
        Ok(to_u64(row.try_get(0)?))
    }
}

fn small(v: i64) -> u8 {
    u8::try_from(v).unwrap_or(u8::MAX)
}
