//! Coin movements and balances.

use super::row::Columns;
use crate::{
    Result,
    store::{Store, to_i64},
};
use alloy::primitives::{Address, B256};
use serde::Serialize;
use timebank_bindings::types::Purpose;

/// A coin movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentRow {
    /// Block.
    pub block_number: u64,
    /// Its time (unix seconds).
    pub block_time: u64,
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
    /// Why the coins moved.
    pub purpose: Purpose,
    /// Reference.
    pub reference: B256,
}

impl Store {
    /// Payments sent or received by `account`, optionally of one purpose, oldest first.
    pub async fn payments(
        &self,
        account: Option<Address>,
        purpose: Option<Purpose>,
        limit: i64,
    ) -> Result<Vec<PaymentRow>> {
        let a = account.map(|a| a.to_vec()).unwrap_or_default();
        let purpose = purpose.map_or(-1, |p| i64::from(p as u8));
        let rows = sqlx::query(
            "SELECT block_number, block_time, tx_hash, log_index, sender, recipient, amount, \
             purpose, ref FROM payment \
             WHERE ($1 = 0 OR sender = $2 OR recipient = $3) AND ($4 < 0 OR purpose = $5) \
             ORDER BY block_number, log_index LIMIT $6",
        )
        .bind(i64::from(account.is_some()))
        .bind(a.clone())
        .bind(a)
        .bind(purpose)
        .bind(purpose)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PaymentRow {
                    block_number: r.u64("block_number")?,
                    block_time: r.u64("block_time")?,
                    tx_hash: r.hash("tx_hash")?,
                    log_index: r.u64("log_index")?,
                    sender: r.address("sender")?,
                    recipient: r.address("recipient")?,
                    amount: r.text("amount")?,
                    purpose: r.kind("purpose")?,
                    reference: r.hash("ref")?,
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
            Some(r) => r.text("balance")?,
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
            Some(r) => r.text("amount")?,
            None => "0".into(),
        })
    }
}
