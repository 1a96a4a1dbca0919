//! The tables the gateway writes (never the indexer; never rolled back by a reorg), shared by
//! every replica of a branch's gateway through the branch database: sessions and sign-in
//! nonces, the texts behind on-chain hashes, the relayer's gas per signer, and the access log
//! of private profile reads as a hash chain.

use super::row::Columns;
use crate::{
    Result,
    store::{Store, to_i64},
};
use alloy::{
    primitives::{Address, B256, keccak256},
    sol_types::SolValue,
};

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

/// An access-log entry's place in the branch's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// Its position: 1 for the first entry.
    pub seq: u64,
    /// keccak256 of the previous entry's hash and this entry's encoding.
    pub hash: B256,
}

/// The head of a branch's access log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessLogHead {
    /// Entries in the chain.
    pub entries: u64,
    /// The last entry's hash (zero before the first).
    pub head: B256,
    /// Entries covered by the last anchor this branch's gateways sent.
    pub anchored: u64,
}

/// A signed-in session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRow {
    /// The wallet that signed in.
    pub address: Address,
    /// When it ends (unix seconds).
    pub expires_at: u64,
}

/// What a sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Expired sessions.
    pub sessions: u64,
    /// Expired sign-in nonces.
    pub nonces: u64,
    /// Texts whose write never landed.
    pub notes: u64,
}

/// The hash of access-log entry `seq` chained to the previous entry's `prev`: keccak256 of
/// `prev` and the ABI encoding of `(seq, at, reader, readerRoles, account, memberId,
/// profileVersion, reason, gatewayBranch)`, so that anyone can recompute it.
pub fn access_entry_hash(prev: B256, seq: u64, r: &AccessRecord) -> B256 {
    let encoded = (
        seq,
        r.at,
        r.reader,
        r.reader_roles.clone(),
        r.account,
        r.member_id,
        r.profile_version,
        r.reason.clone(),
        r.gateway_branch,
    )
        .abi_encode_params();
    keccak256([prev.as_slice(), keccak256(encoded).as_slice()].concat())
}

/// What checking a branch's access log found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogVerification {
    /// Entries in the chain.
    pub entries: u64,
    /// Entries covered by the chain's anchor.
    pub anchored: u64,
    /// What is wrong, if anything (the first problem found).
    pub problem: Option<String>,
}

impl Store {
    /// Keeps the text behind `hash` as a note (idempotent: the hash is the key).
    pub async fn keep_note(&self, hash: B256, text: &str, author: Address, at: u64) -> Result<()> {
        sqlx::query(
            "INSERT INTO note (hash, text, author, at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (hash) DO NOTHING",
        )
        .bind(hash.to_vec())
        .bind(text.to_owned())
        .bind(author.to_vec())
        .bind(to_i64(at))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Keeps `texts` prepared by `author` until `expires_at`, waiting for a write carrying
    /// their hashes to land ([`Store::land_notes`]).
    pub async fn keep_pending_notes(
        &self,
        texts: &[String],
        author: Address,
        expires_at: u64,
    ) -> Result<()> {
        for text in texts {
            sqlx::query(
                "INSERT INTO pending_note (hash, text, author, expires_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at",
            )
            .bind(keccak256(text.as_bytes()).to_vec())
            .bind(text.clone())
            .bind(author.to_vec())
            .bind(to_i64(expires_at))
            .execute(self.pool())
            .await?;
        }
        Ok(())
    }

    /// A write carrying `hashes` landed: their pending texts become notes. Returns how many.
    pub async fn land_notes(&self, hashes: &[B256], at: u64) -> Result<u64> {
        // Most writes carry no text: one read finds out.
        let mut pending = Vec::new();
        for hash in hashes {
            let found = sqlx::query("SELECT 1 AS one FROM pending_note WHERE hash = $1")
                .bind(hash.to_vec())
                .fetch_optional(self.pool())
                .await?;
            if found.is_some() {
                pending.push(*hash);
            }
        }
        if pending.is_empty() {
            return Ok(0);
        }
        let hashes = &pending;
        let mut landed = 0;
        let mut tx = self.pool().begin().await?;
        for hash in hashes {
            landed += sqlx::query(
                "INSERT INTO note (hash, text, author, at) \
                 SELECT hash, text, author, $1 FROM pending_note WHERE hash = $2 \
                 ON CONFLICT (hash) DO NOTHING",
            )
            .bind(to_i64(at))
            .bind(hash.to_vec())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query("DELETE FROM pending_note WHERE hash = $1")
                .bind(hash.to_vec())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(landed)
    }

    /// Opens a session for `address` under the keccak256 of its token.
    pub async fn open_session(
        &self,
        token_hash: B256,
        address: Address,
        now: u64,
        expires_at: u64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO gateway_session (token_hash, address, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash.to_vec())
        .bind(address.to_vec())
        .bind(to_i64(now))
        .bind(to_i64(expires_at))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The live session under `token_hash`, if any.
    pub async fn session(&self, token_hash: B256, now: u64) -> Result<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT address, expires_at FROM gateway_session \
             WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash.to_vec())
        .bind(to_i64(now))
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(SessionRow {
                address: r.address("address")?,
                expires_at: r.u64("expires_at")?,
            })
        })
        .transpose()
    }

    /// Ends the session under `token_hash`.
    pub async fn close_session(&self, token_hash: B256) -> Result<()> {
        sqlx::query("DELETE FROM gateway_session WHERE token_hash = $1")
            .bind(token_hash.to_vec())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Issues sign-in `nonce` to `client` until `expires_at`, unless the client already holds
    /// `max_per_client` unexpired ones. Returns whether it was issued.
    pub async fn issue_sign_in_nonce(
        &self,
        nonce: &str,
        client: &str,
        now: u64,
        expires_at: u64,
        max_per_client: u64,
    ) -> Result<bool> {
        let issued = sqlx::query(
            "INSERT INTO sign_in_nonce (nonce, client, expires_at) SELECT $1, $2, $3 \
             WHERE (SELECT COUNT(*) FROM sign_in_nonce WHERE client = $4 AND expires_at > $5) < $6",
        )
        .bind(nonce.to_owned())
        .bind(client.to_owned())
        .bind(to_i64(expires_at))
        .bind(client.to_owned())
        .bind(to_i64(now))
        .bind(to_i64(max_per_client))
        .execute(self.pool())
        .await?;
        Ok(issued.rows_affected() == 1)
    }

    /// Uses up `nonce`: true once for each nonce issued and not expired.
    pub async fn take_sign_in_nonce(&self, nonce: &str, now: u64) -> Result<bool> {
        let taken = sqlx::query("DELETE FROM sign_in_nonce WHERE nonce = $1 AND expires_at > $2")
            .bind(nonce.to_owned())
            .bind(to_i64(now))
            .execute(self.pool())
            .await?;
        Ok(taken.rows_affected() == 1)
    }

    /// Removes what expired before `now`: sessions, sign-in nonces, texts whose write never
    /// landed, and relayed gas older than a week.
    pub async fn sweep_expired(&self, now: u64) -> Result<Swept> {
        let now = to_i64(now);
        let run = async |sql: &str| -> Result<u64> {
            Ok(sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                .bind(now)
                .execute(self.pool())
                .await?
                .rows_affected())
        };
        let swept = Swept {
            sessions: run("DELETE FROM gateway_session WHERE expires_at <= $1").await?,
            nonces: run("DELETE FROM sign_in_nonce WHERE expires_at <= $1").await?,
            notes: run("DELETE FROM pending_note WHERE expires_at <= $1").await?,
        };
        run("DELETE FROM relay_gas WHERE day < $1 / 86400 - 7").await?;
        Ok(swept)
    }

    /// Adds gas the relayer spent: `(signer, day, gas)` (days since the epoch, UTC), in one
    /// transaction.
    pub async fn add_relay_gas(&self, spent: &[(Address, u64, u64)]) -> Result<()> {
        let mut tx = self.pool().begin().await?;
        for (signer, day, gas) in spent {
            sqlx::query(
                "INSERT INTO relay_gas (signer, day, gas, relayed) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (signer, day) DO UPDATE SET gas = relay_gas.gas + excluded.gas, \
                 relayed = relay_gas.relayed + 1",
            )
            .bind(signer.to_vec())
            .bind(to_i64(*day))
            .bind(to_i64(*gas))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Gas the relayer spent for `signer` on `day`.
    pub async fn relay_gas(&self, signer: Address, day: u64) -> Result<u64> {
        let row = sqlx::query("SELECT gas FROM relay_gas WHERE signer = $1 AND day = $2")
            .bind(signer.to_vec())
            .bind(to_i64(day))
            .fetch_optional(self.pool())
            .await?;
        row.map_or(Ok(0), |r| r.u64("gas"))
    }

    /// Records a read of a private profile as the next entry of the branch's access-log chain.
    pub async fn record_access(&self, r: &AccessRecord) -> Result<Link> {
        let mut tx = self.pool().begin().await?;
        // The update takes the head's row lock: entries are chained one at a time, across
        // every replica writing to this database.
        let head = sqlx::query(
            "UPDATE access_log_head SET entries = entries + 1 WHERE id = 1 RETURNING entries, head",
        )
        .fetch_one(&mut *tx)
        .await?;
        let seq = head.u64("entries")?;
        let prev = head.opt_hash("head")?.unwrap_or_default();
        let hash = access_entry_hash(prev, seq, r);
        sqlx::query("UPDATE access_log_head SET head = $1 WHERE id = 1")
            .bind(hash.to_vec())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO access_log (at, reader, reader_roles, account, member_id, \
             profile_version, reason, gateway_branch, seq, entry_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(to_i64(r.at))
        .bind(r.reader.to_vec())
        .bind(r.reader_roles.clone())
        .bind(r.account.to_vec())
        .bind(to_i64(r.member_id))
        .bind(to_i64(r.profile_version))
        .bind(r.reason.clone())
        .bind(to_i64(r.gateway_branch))
        .bind(to_i64(seq))
        .bind(hash.to_vec())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Link { seq, hash })
    }

    /// The head of the branch's access-log chain.
    pub async fn access_log_head(&self) -> Result<AccessLogHead> {
        let r = sqlx::query("SELECT entries, head, anchored FROM access_log_head WHERE id = 1")
            .fetch_one(self.pool())
            .await?;
        Ok(AccessLogHead {
            entries: r.u64("entries")?,
            head: r.opt_hash("head")?.unwrap_or_default(),
            anchored: r.u64("anchored")?,
        })
    }

    /// The hash of access-log entry `seq`, if there is one.
    pub async fn access_entry(&self, seq: u64) -> Result<Option<B256>> {
        let row = sqlx::query("SELECT entry_hash FROM access_log WHERE seq = $1")
            .bind(to_i64(seq))
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| r.hash("entry_hash")).transpose()
    }

    /// Notes that an anchor covering `entries` entries was sent.
    pub async fn set_anchored(&self, entries: u64) -> Result<()> {
        sqlx::query("UPDATE access_log_head SET anchored = $1 WHERE id = 1 AND anchored < $2")
            .bind(to_i64(entries))
            .bind(to_i64(entries))
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
        rows.iter().map(read_access).collect()
    }

    /// Checks the branch's access log: every entry from the first, in order, without gaps,
    /// each hash chaining the previous one to the entry as stored; the head as recorded; and,
    /// with the chain's on-chain `anchor` (entries, head), that the first `entries` entries
    /// hash to exactly that head — so no anchored entry was changed, removed or inserted.
    pub async fn verify_access_log(&self, anchor: Option<(u64, B256)>) -> Result<LogVerification> {
        const PAGE: i64 = 1_000;
        let head = self.access_log_head().await?;
        let mut prev = B256::ZERO;
        let mut seen = 0u64;
        let mut anchored_hash = None;
        let mut problem = None;
        'pages: loop {
            let rows = sqlx::query(
                "SELECT seq, entry_hash, at, reader, reader_roles, account, member_id, \
                 profile_version, reason, gateway_branch FROM access_log \
                 WHERE seq > $1 ORDER BY seq LIMIT $2",
            )
            .bind(to_i64(seen))
            .bind(PAGE)
            .fetch_all(self.pool())
            .await?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                let seq = r.u64("seq")?;
                if seq != seen + 1 {
                    problem = Some(format!("entry {} is missing", seen + 1));
                    break 'pages;
                }
                let expected = access_entry_hash(prev, seq, &read_access(r)?);
                if r.hash("entry_hash")? != expected {
                    problem = Some(format!(
                        "entry {seq} was changed (its hash does not chain from entry {})",
                        seq - 1
                    ));
                    break 'pages;
                }
                prev = expected;
                seen = seq;
                if anchor.is_some_and(|(n, _)| n == seq) {
                    anchored_hash = Some(expected);
                }
            }
        }
        let unchained = sqlx::query("SELECT COUNT(*) AS n FROM access_log WHERE seq IS NULL")
            .fetch_one(self.pool())
            .await?
            .u64("n")?;
        if problem.is_none() && (head.entries != seen || head.head != prev) {
            problem = Some(format!(
                "the log holds {seen} chained entries but its head says {}",
                head.entries
            ));
        }
        if problem.is_none()
            && let Some((entries, anchored_head)) = anchor
        {
            if entries > seen {
                problem = Some(format!(
                    "the anchor covers {entries} entries but the log holds {seen}: entries were \
                     removed"
                ));
            } else if entries > 0 && anchored_hash != Some(anchored_head) {
                problem = Some(format!(
                    "the first {entries} entries do not hash to the anchored head {anchored_head}"
                ));
            }
        }
        if unchained > 0 {
            tracing::info!(unchained, "access-log entries from before the chain");
        }
        Ok(LogVerification {
            entries: seen,
            anchored: anchor.map_or(0, |(n, _)| n),
            problem,
        })
    }
}

fn read_access(r: &sqlx::any::AnyRow) -> Result<AccessRecord> {
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
}
