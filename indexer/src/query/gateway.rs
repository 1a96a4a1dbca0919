//! The tables the gateway writes (never the indexer; never rolled back by a reorg): the texts
//! behind on-chain hashes, and the log of private profile reads.

use super::row::Columns;
use crate::{
    Result,
    store::{Store, to_i64},
};
use alloy::primitives::{Address, B256};

/// One read of a member's private profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRecord {
    /// When (unix seconds, this machine's clock).
    pub at: u64,
    /// Who read.
    pub reader: Address,
    /// Their roles then, comma-separated (`self` first when the member read their own).
    pub reader_roles: String,
    /// Whose profile.
    pub account: Address,
    /// Their member id.
    pub member_id: u64,
    /// Which version.
    pub profile_version: u64,
    /// The stated reason.
    pub reason: String,
    /// Through which branch's gateway.
    pub gateway_branch: u64,
}

impl Store {
    /// Keeps the text behind `hash` (idempotent: the hash is the key).
    pub async fn keep_note(&self, hash: B256, text: &str, author: Address) -> Result<()> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        sqlx::query(
            "INSERT INTO note (hash, text, author, at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (hash) DO NOTHING",
        )
        .bind(hash.to_vec())
        .bind(text.to_owned())
        .bind(author.to_vec())
        .bind(to_i64(now))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records a read of a private profile.
    pub async fn record_access(&self, r: &AccessRecord) -> Result<()> {
        sqlx::query(
            "INSERT INTO access_log (at, reader, reader_roles, account, member_id, \
             profile_version, reason, gateway_branch) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(to_i64(r.at))
        .bind(r.reader.to_vec())
        .bind(r.reader_roles.clone())
        .bind(r.account.to_vec())
        .bind(to_i64(r.member_id))
        .bind(to_i64(r.profile_version))
        .bind(r.reason.clone())
        .bind(to_i64(r.gateway_branch))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Reads of private profiles, newest first, optionally of one member's.
    pub async fn access_log(
        &self,
        account: Option<Address>,
        limit: i64,
    ) -> Result<Vec<AccessRecord>> {
        let rows = sqlx::query(
            "SELECT at, reader, reader_roles, account, member_id, profile_version, reason, \
             gateway_branch FROM access_log WHERE ($1 = 0 OR account = $2) \
             ORDER BY id DESC LIMIT $3",
        )
        .bind(i64::from(account.is_some()))
        .bind(account.map(|a| a.to_vec()).unwrap_or_default())
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AccessRecord {
                    at: r.u64("at")?,
                    reader: r.address("reader")?,
                    reader_roles: r.text("reader_roles")?,
                    account: r.address("account")?,
                    member_id: r.u64("member_id")?,
                    profile_version: r.u64("profile_version")?,
                    reason: r.text("reason")?,
                    gateway_branch: r.u64("gateway_branch")?,
                })
            })
            .collect()
    }
}
