//! The tables the gateway writes (never the indexer; never rolled back by a reorg), shared by
//! every replica of a branch's gateway through the branch database: sessions and sign-in
//! nonces, the texts behind on-chain hashes, the relayer's gas per signer, and the access log
//! of private profile reads as a hash chain.

use super::row::Columns;
use crate::{
    Result,
    store::{Store, rows_per_statement, to_i64, value_tuples},
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

    /// Adds what the relayer spent since the last call, one row per signer and day:
    /// `(signer, day, gas, relayed writes)` (days since the epoch, UTC). Returns each row's
    /// totals as stored after the addition (every replica's spending): `(signer, day, gas)`.
    pub async fn add_relay_gas(
        &self,
        spent: &[(Address, u64, u64, u64)],
    ) -> Result<Vec<(Address, u64, u64)>> {
        let mut totals = Vec::with_capacity(spent.len());
        let mut tx = self.pool().begin().await?;
        for chunk in spent.chunks(rows_per_statement(self.dialect(), 4)) {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO relay_gas (signer, day, gas, relayed) VALUES {} \
                 ON CONFLICT (signer, day) DO UPDATE SET gas = relay_gas.gas + excluded.gas, \
                 relayed = relay_gas.relayed + excluded.relayed RETURNING signer, day, gas",
                value_tuples(self.dialect(), chunk.len(), 4)
            )));
            for (signer, day, gas, relayed) in chunk {
                query = query
                    .bind(signer.to_vec())
                    .bind(to_i64(*day))
                    .bind(to_i64(*gas))
                    .bind(to_i64(*relayed));
            }
            for row in query.fetch_all(&mut *tx).await? {
                totals.push((row.address("signer")?, row.u64("day")?, row.u64("gas")?));
            }
        }
        tx.commit().await?;
        Ok(totals)
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

/// A partner's webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRow {
    /// The partner.
    pub partner: Address,
    /// Where it receives.
    pub url: String,
    /// The signing secret (`whsec_…`), as the gateway stores it (sealed).
    pub secret: String,
    /// The previous secret (as stored), still signing until `previous_until`.
    pub previous_secret: Option<String>,
    /// Unix seconds.
    pub previous_until: u64,
}

/// A webhook message, with how its delivery went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    /// The partner it is for.
    pub partner: Address,
    /// The event's transaction.
    pub tx_hash: B256,
    /// The event's log index.
    pub log_index: u64,
    /// What happened (`member.risk_changed`, …).
    pub kind: String,
    /// The event's public fields (JSON).
    pub data: String,
    /// The event's block.
    pub block_number: u64,
    /// Its time (unix seconds).
    pub block_time: u64,
    /// Attempts so far.
    pub attempts: u64,
    /// When it was delivered, if it was.
    pub delivered_at: Option<u64>,
    /// Given up on (until redelivered on request).
    pub dead: bool,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// Not to be sent (again): the partner lost its role, or the member withdrew consent,
    /// after it was written.
    pub cancelled: bool,
}

/// Which messages to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Not delivered yet, still tried.
    Pending,
    /// Delivered.
    Delivered,
    /// Given up on.
    Dead,
    /// Cancelled before it was delivered.
    Cancelled,
}

/// Every message with how its delivery went, as a table `m` to filter: `$1` is the partner
/// role. A message is cancelled when its partner holds no partner role now, or a cancellation
/// (the role revoked, the member's consent withdrawn) came after it on chain. A message from
/// before `member_id` was kept (migration 0009) is cancelled by any withdrawal to its partner.
const MESSAGES: &str = "(SELECT o.partner, o.tx_hash, o.log_index, o.kind, o.data, \
    o.block_number, o.block_time, COALESCE(d.attempts, 0) AS attempts, d.delivered_at, \
    CASE WHEN d.dead THEN 1 ELSE 0 END AS dead, d.last_error, \
    COALESCE(d.next_attempt_at, 0) AS next_attempt_at, \
    COALESCE(d.claimed_until, 0) AS claimed_until, \
    CASE WHEN NOT EXISTS (SELECT 1 FROM role_member r WHERE r.account = o.partner \
        AND r.role = $1) \
    OR EXISTS (SELECT 1 FROM webhook_cancellation c WHERE c.partner = o.partner \
        AND (c.member_id IS NULL OR o.member_id IS NULL OR c.member_id = o.member_id) \
        AND (c.block_number, c.log_index) > (o.block_number, o.log_index)) \
    THEN 1 ELSE 0 END AS cancelled \
    FROM webhook_outbox o LEFT JOIN webhook_delivery d \
    ON d.tx_hash = o.tx_hash AND d.log_index = o.log_index AND d.partner = o.partner) m";

/// A message of [`MESSAGES`] due for an attempt at `$2` (= `$3`).
const DUE: &str = "m.delivered_at IS NULL AND m.dead = 0 AND m.cancelled = 0 \
    AND m.next_attempt_at <= $2 AND m.claimed_until <= $3";

/// The partner role, as [`MESSAGES`]' `$1`.
fn partner_role() -> Vec<u8> {
    timebank_bindings::roles::PARTNER.to_vec()
}

fn read_message(r: &sqlx::any::AnyRow) -> Result<MessageRow> {
    let dead: Option<i64> = sqlx::Row::try_get(r, "dead")?;
    Ok(MessageRow {
        partner: r.address("partner")?,
        tx_hash: r.hash("tx_hash")?,
        log_index: r.u64("log_index")?,
        kind: r.text("kind")?,
        data: r.text("data")?,
        block_number: r.u64("block_number")?,
        block_time: r.u64("block_time")?,
        attempts: r.u64("attempts")?,
        delivered_at: r.opt_u64("delivered_at")?,
        dead: dead.unwrap_or(0) != 0,
        last_error: r.opt_text("last_error")?,
        cancelled: r.flag("cancelled")?,
    })
}

fn read_endpoint(r: &sqlx::any::AnyRow) -> Result<EndpointRow> {
    Ok(EndpointRow {
        partner: r.address("partner")?,
        url: r.text("url")?,
        secret: r.text("secret")?,
        previous_secret: r.opt_text("previous_secret")?,
        previous_until: r.u64("previous_until")?,
    })
}

impl Store {
    /// Sets where `partner` receives webhooks. A partner without a secret gets `new_secret`;
    /// `rotate` replaces the secret with `new_secret` and keeps the old one signing until
    /// `previous_until`. Returns the endpoint as it now is.
    pub async fn set_endpoint(
        &self,
        partner: Address,
        url: Option<&str>,
        new_secret: &str,
        rotate: bool,
        now: u64,
        previous_until: u64,
    ) -> Result<Option<EndpointRow>> {
        let current = self.endpoint(partner).await?;
        match (current, url) {
            (None, None) => return Ok(None),
            (None, Some(url)) => {
                sqlx::query(
                    "INSERT INTO partner_endpoint (partner, url, secret, previous_secret, \
                     previous_until, updated_at) VALUES ($1, $2, $3, NULL, 0, $4)",
                )
                .bind(partner.to_vec())
                .bind(url.to_owned())
                .bind(new_secret.to_owned())
                .bind(to_i64(now))
                .execute(self.pool())
                .await?;
            }
            (Some(current), url) => {
                let (secret, previous, until) = if rotate {
                    (new_secret.to_owned(), Some(current.secret), previous_until)
                } else {
                    (
                        current.secret,
                        current.previous_secret,
                        current.previous_until,
                    )
                };
                sqlx::query(
                    "UPDATE partner_endpoint SET url = $2, secret = $3, previous_secret = $4, \
                     previous_until = $5, updated_at = $6 WHERE partner = $1",
                )
                .bind(partner.to_vec())
                .bind(url.map_or(current.url, str::to_owned))
                .bind(secret)
                .bind(previous)
                .bind(to_i64(until))
                .bind(to_i64(now))
                .execute(self.pool())
                .await?;
            }
        }
        self.endpoint(partner).await
    }

    /// Where `partner` receives webhooks, if it said.
    pub async fn endpoint(&self, partner: Address) -> Result<Option<EndpointRow>> {
        let row = sqlx::query(
            "SELECT partner, url, secret, previous_secret, previous_until FROM partner_endpoint \
             WHERE partner = $1",
        )
        .bind(partner.to_vec())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(read_endpoint).transpose()
    }

    /// Every partner's endpoint.
    pub async fn endpoints(&self) -> Result<Vec<EndpointRow>> {
        let rows = sqlx::query(
            "SELECT partner, url, secret, previous_secret, previous_until FROM partner_endpoint",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(read_endpoint).collect()
    }

    /// Replaces `partner`'s stored secrets as they are (sealed again under another key), if
    /// they are still `was`: a rotation meanwhile wins.
    pub async fn replace_secrets(
        &self,
        was: &EndpointRow,
        secret: &str,
        previous_secret: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE partner_endpoint SET secret = $2, previous_secret = $3 \
             WHERE partner = $1 AND secret = $4",
        )
        .bind(was.partner.to_vec())
        .bind(secret.to_owned())
        .bind(previous_secret.map(str::to_owned))
        .bind(was.secret.clone())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The partners with a message due at `now` (see [`Store::due_messages`]).
    pub async fn partners_due(&self, now: u64) -> Result<Vec<Address>> {
        let sql = format!(
            "SELECT DISTINCT m.partner FROM {MESSAGES} \
             JOIN partner_endpoint e ON e.partner = m.partner WHERE {DUE}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(partner_role())
            .bind(to_i64(now))
            .bind(to_i64(now))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(|r| r.address("partner")).collect()
    }

    /// `partner`'s messages due for an attempt at `now`, in chain order: not delivered, not
    /// given up on, not cancelled, their next attempt due and nobody attempting them, when the
    /// partner has an endpoint.
    pub async fn due_messages(
        &self,
        partner: Address,
        now: u64,
        limit: i64,
    ) -> Result<Vec<MessageRow>> {
        let sql = format!(
            "SELECT m.* FROM {MESSAGES} JOIN partner_endpoint e ON e.partner = m.partner \
             WHERE {DUE} AND m.partner = $4 ORDER BY m.block_number, m.log_index LIMIT $5"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(partner_role())
            .bind(to_i64(now))
            .bind(to_i64(now))
            .bind(partner.to_vec())
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(read_message).collect()
    }

    /// Whether `m` is cancelled now (read again just before an attempt: a role or a consent
    /// may have gone since the message was found due).
    pub async fn message_cancelled(&self, m: &MessageRow) -> Result<bool> {
        let sql = format!(
            "SELECT m.cancelled FROM {MESSAGES} WHERE m.partner = $2 AND m.tx_hash = $3 \
             AND m.log_index = $4"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(partner_role())
            .bind(m.partner.to_vec())
            .bind(m.tx_hash.to_vec())
            .bind(to_i64(m.log_index))
            .fetch_optional(self.pool())
            .await?;
        // Gone (rolled back with a reorg): nothing to send.
        row.map_or(Ok(true), |r| r.flag("cancelled"))
    }

    /// Claims a message for an attempt until `until`: false when another replica holds it or
    /// it was delivered meanwhile.
    pub async fn claim_message(&self, m: &MessageRow, now: u64, until: u64) -> Result<bool> {
        let claimed = sqlx::query(
            "INSERT INTO webhook_delivery (partner, tx_hash, log_index, attempts, \
             next_attempt_at, claimed_until, delivered_at, dead, last_error) \
             VALUES ($1, $2, $3, 0, 0, $4, NULL, FALSE, NULL) \
             ON CONFLICT (tx_hash, log_index, partner) DO UPDATE SET claimed_until = $5 \
             WHERE webhook_delivery.claimed_until <= $6 AND webhook_delivery.delivered_at IS NULL",
        )
        .bind(m.partner.to_vec())
        .bind(m.tx_hash.to_vec())
        .bind(to_i64(m.log_index))
        .bind(to_i64(until))
        .bind(to_i64(until))
        .bind(to_i64(now))
        .execute(self.pool())
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    /// Records an attempt: delivered at `delivered`, or failed with `error` and tried again at
    /// `next_attempt_at` (or given up on, `dead`).
    pub async fn record_attempt(
        &self,
        m: &MessageRow,
        delivered: Option<u64>,
        error: Option<&str>,
        next_attempt_at: u64,
        dead: bool,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_delivery SET attempts = attempts + 1, delivered_at = $4, \
             last_error = $5, next_attempt_at = $6, dead = $7, claimed_until = 0 \
             WHERE partner = $1 AND tx_hash = $2 AND log_index = $3",
        )
        .bind(m.partner.to_vec())
        .bind(m.tx_hash.to_vec())
        .bind(to_i64(m.log_index))
        .bind(delivered.map(to_i64))
        .bind(error.map(str::to_owned))
        .bind(to_i64(next_attempt_at))
        .bind(dead)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Messages, newest first: of one partner (or all), in one state.
    pub async fn messages(
        &self,
        partner: Option<Address>,
        state: Delivery,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<MessageRow>> {
        let filter = match state {
            Delivery::Pending => "m.delivered_at IS NULL AND m.dead = 0 AND m.cancelled = 0",
            Delivery::Delivered => "m.delivered_at IS NOT NULL",
            Delivery::Dead => "m.delivered_at IS NULL AND m.dead = 1 AND m.cancelled = 0",
            Delivery::Cancelled => "m.delivered_at IS NULL AND m.cancelled = 1",
        };
        let sql = format!(
            "SELECT m.* FROM {MESSAGES} WHERE ($2 = 0 OR m.partner = $3) AND {filter} \
             ORDER BY m.block_number DESC, m.log_index DESC LIMIT $4 OFFSET $5"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(partner_role())
            .bind(i64::from(partner.is_some()))
            .bind(partner.unwrap_or_default().to_vec())
            .bind(limit)
            .bind(offset)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(read_message).collect()
    }

    /// Queues a message again (delivered or given up on): it is sent once more, under the same
    /// id, unless it is cancelled.
    pub async fn redeliver(
        &self,
        partner: Address,
        tx_hash: B256,
        log_index: u64,
    ) -> Result<Redelivery> {
        let sql = format!(
            "SELECT m.cancelled FROM {MESSAGES} WHERE m.partner = $2 AND m.tx_hash = $3 \
             AND m.log_index = $4"
        );
        let found = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(partner_role())
            .bind(partner.to_vec())
            .bind(tx_hash.to_vec())
            .bind(to_i64(log_index))
            .fetch_optional(self.pool())
            .await?;
        match found {
            None => return Ok(Redelivery::NoSuchMessage),
            Some(row) if row.flag("cancelled")? => return Ok(Redelivery::Cancelled),
            Some(_) => {}
        }
        sqlx::query(
            "UPDATE webhook_delivery SET delivered_at = NULL, dead = FALSE, \
             next_attempt_at = 0, claimed_until = 0 \
             WHERE partner = $1 AND tx_hash = $2 AND log_index = $3",
        )
        .bind(partner.to_vec())
        .bind(tx_hash.to_vec())
        .bind(to_i64(log_index))
        .execute(self.pool())
        .await?;
        Ok(Redelivery::Queued)
    }
}

/// What [`Store::redeliver`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redelivery {
    /// Queued to be sent again.
    Queued,
    /// No such message.
    NoSuchMessage,
    /// Cancelled (the partner lost its role, or the member withdrew consent): never sent again.
    Cancelled,
}
