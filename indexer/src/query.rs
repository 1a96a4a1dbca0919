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
    pub public_key: alloy::primitives::Bytes,
    /// Whether it may act.
    pub active: bool,
}

/// A credential as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialRow {
    /// Credential type id.
    pub type_id: u64,
    /// Type name.
    pub type_name: String,
    /// `CredentialKind` value.
    pub kind: u8,
    /// Who issued it.
    pub issuer: Address,
    /// Unix seconds.
    pub issued_at: u64,
    /// Unix seconds.
    pub expires_at: u64,
    /// Revoked by its issuer.
    pub revoked: bool,
}

/// What the chain says an account may do: its roles, the branch it operates for, its membership.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    /// Role ids held (AccessControl), including operator and issuer roles.
    pub roles: Vec<B256>,
    /// The branch it is an operator of.
    pub operator_branch: Option<u64>,
    /// Credential types it may issue.
    pub issuer_types: Vec<u64>,
    /// Its membership, if any.
    pub member: Option<MemberRow>,
}

/// A supervision case, open or decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseDetail {
    /// Case id.
    pub case_id: u64,
    /// The member it is about.
    pub account: Address,
    /// The member's home branch (0 if not a member).
    pub home_branch: u64,
    /// The other side of the movement.
    pub counterparty: Address,
    /// Fired rules (MonitorRules bits).
    pub rules: u64,
    /// `MonitorAction` value.
    pub action: u8,
    /// Amount, decimal.
    pub amount: String,
    /// `Purpose` value.
    pub purpose: u8,
    /// Hold id, or 0.
    pub hold_id: u64,
    /// 1 open, 2 cleared, 3 confirmed.
    pub status: u8,
    /// Hash of the supervisor's note (the text stays off chain).
    pub note_hash: Option<B256>,
    /// Who decided it.
    pub decided_by: Option<Address>,
    /// Risk level set with the decision.
    pub risk_level: Option<u8>,
    /// Block it opened in.
    pub opened_block: u64,
    /// Block of its last change.
    pub block_number: u64,
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
}

impl Store {
    /// The last indexed block, if any.
    pub async fn head(&self) -> Result<Option<Head>> {
        let row = sqlx::query(
            "SELECT c.block_number, c.block_hash, b.block_time FROM indexer_checkpoint c \
             JOIN indexed_block b ON b.block_number = c.block_number WHERE c.id = 1",
        )
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(Head {
                number: to_u64(r.try_get(0)?),
                hash: to_b256(&r.try_get::<Vec<u8>, _>(1)?)?,
                time: to_u64(r.try_get(2)?),
            })
        })
        .transpose()
    }

    /// Every branch, by id.
    pub async fn branches(&self) -> Result<Vec<BranchRow>> {
        let rows = sqlx::query(
            "SELECT branch_id, name, region, public_key, CASE WHEN active THEN 1 ELSE 0 END \
             FROM branch ORDER BY branch_id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(BranchRow {
                    branch_id: to_u64(r.try_get(0)?),
                    name: r.try_get(1)?,
                    region: r.try_get(2)?,
                    public_key: r.try_get::<Vec<u8>, _>(3)?.into(),
                    active: r.try_get::<i64, _>(4)? != 0,
                })
            })
            .collect()
    }

    /// What `account` may do, as of the last indexed block.
    pub async fn standing(&self, account: Address) -> Result<Standing> {
        let a = account.to_vec();
        let roles = sqlx::query("SELECT role FROM role_member WHERE account = $1")
            .bind(a.clone())
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| to_b256(&r.try_get::<Vec<u8>, _>(0)?))
            .collect::<Result<Vec<_>>>()?;
        let operator_branch = sqlx::query("SELECT branch_id FROM operator WHERE account = $1")
            .bind(a)
            .fetch_optional(self.pool())
            .await?
            .map(|r| r.try_get::<i64, _>(0).map(to_u64))
            .transpose()?;
        let mut issuer_types = Vec::new();
        if !roles.is_empty() {
            for r in sqlx::query("SELECT type_id FROM credential_type")
                .fetch_all(self.pool())
                .await?
            {
                let type_id = to_u64(r.try_get(0)?);
                let role = timebank_bindings::roles::issuer(u32::try_from(type_id).unwrap_or(0));
                if roles.contains(&role) {
                    issuer_types.push(type_id);
                }
            }
        }
        Ok(Standing {
            roles,
            operator_branch,
            issuer_types,
            member: self.member(account).await?,
        })
    }

    /// `account`'s credentials with their types.
    pub async fn credentials(&self, account: Address) -> Result<Vec<CredentialRow>> {
        let rows = sqlx::query(
            "SELECT c.type_id, t.name, t.kind, c.issuer, c.issued_at, c.expires_at, \
             CASE WHEN c.revoked THEN 1 ELSE 0 END \
             FROM credential c JOIN credential_type t ON t.type_id = c.type_id \
             JOIN member m ON m.member_id = c.member_id WHERE m.account = $1 ORDER BY c.type_id",
        )
        .bind(account.to_vec())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CredentialRow {
                    type_id: to_u64(r.try_get(0)?),
                    type_name: r.try_get(1)?,
                    kind: small(r.try_get(2)?),
                    issuer: to_address(&r.try_get::<Vec<u8>, _>(3)?)?,
                    issued_at: to_u64(r.try_get(4)?),
                    expires_at: to_u64(r.try_get(5)?),
                    // Booleans as integers: sqlx's `Any` can't decode SQLite's BOOLEAN.
                    revoked: r.try_get::<i64, _>(6)? != 0,
                })
            })
            .collect()
    }

    /// Cases, newest first, optionally only about members of `branch` and of one `status`.
    pub async fn cases(
        &self,
        branch: Option<u64>,
        status: Option<u8>,
        limit: i64,
    ) -> Result<Vec<CaseDetail>> {
        let rows = sqlx::query(
            "SELECT c.case_id, c.account, COALESCE(m.home_branch, 0), c.counterparty, c.rules, \
             c.action, c.amount, c.purpose, c.hold_id, c.status, c.note_hash, c.decided_by, \
             c.risk_level, c.opened_block, c.block_number \
             FROM supervision_case c LEFT JOIN member m ON m.account = c.account \
             WHERE ($1 < 0 OR m.home_branch = $2) AND ($3 < 0 OR c.status = $4) \
             ORDER BY c.case_id DESC LIMIT $5",
        )
        .bind(branch.map_or(-1, to_i64))
        .bind(branch.map_or(-1, to_i64))
        .bind(status.map_or(-1, i64::from))
        .bind(status.map_or(-1, i64::from))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let opt_bytes = |i: usize| r.try_get::<Option<Vec<u8>>, _>(i);
                Ok(CaseDetail {
                    case_id: to_u64(r.try_get(0)?),
                    account: to_address(&r.try_get::<Vec<u8>, _>(1)?)?,
                    home_branch: to_u64(r.try_get(2)?),
                    counterparty: to_address(&r.try_get::<Vec<u8>, _>(3)?)?,
                    rules: to_u64(r.try_get(4)?),
                    action: small(r.try_get(5)?),
                    amount: r.try_get(6)?,
                    purpose: small(r.try_get(7)?),
                    hold_id: to_u64(r.try_get(8)?),
                    status: small(r.try_get(9)?),
                    note_hash: opt_bytes(10)?.map(|b| to_b256(&b)).transpose()?,
                    decided_by: opt_bytes(11)?.map(|b| to_address(&b)).transpose()?,
                    risk_level: r.try_get::<Option<i64>, _>(12)?.map(small),
                    opened_block: to_u64(r.try_get(13)?),
                    block_number: to_u64(r.try_get(14)?),
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
        let list = (0..names.len())
            .map(|i| format!("${}", i + 5))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT block_number, log_index, tx_hash, contract, event, fields FROM event_log \
             WHERE (block_number > $1 OR (block_number = $2 AND log_index > $3)) \
             AND event IN ({list}) ORDER BY block_number, log_index LIMIT $4"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to_i64(after.0))
            .bind(to_i64(after.0))
            .bind(to_i64(after.1))
            .bind(limit);
        for name in names {
            query = query.bind(*name);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(history_entry).collect()
    }

    /// Member `member_id`'s newest profile version: (version, commitment, encrypted package).
    pub async fn profile_package(&self, member_id: u64) -> Result<Option<(u64, B256, Vec<u8>)>> {
        let row = sqlx::query(
            "SELECT version, commitment, encrypted_data FROM profile_version \
             WHERE member_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(to_i64(member_id))
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok((
                to_u64(r.try_get(0)?),
                to_b256(&r.try_get::<Vec<u8>, _>(1)?)?,
                r.try_get::<Vec<u8>, _>(2)?,
            ))
        })
        .transpose()
    }

    /// Members whose home branch is `branch_id`.
    pub async fn members_of(&self, branch_id: u64) -> Result<Vec<MemberRow>> {
        let accounts =
            sqlx::query("SELECT account FROM member WHERE home_branch = $1 ORDER BY member_id")
                .bind(to_i64(branch_id))
                .fetch_all(self.pool())
                .await?;
        let mut out = Vec::with_capacity(accounts.len());
        for r in accounts {
            if let Some(m) = self
                .member(to_address(&r.try_get::<Vec<u8>, _>(0)?)?)
                .await?
            {
                out.push(m);
            }
        }
        Ok(out)
    }

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
        rows.iter().map(history_entry).collect()
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

/// A history entry from (block_number, log_index, tx_hash, contract, event, fields).
fn history_entry(r: &sqlx::any::AnyRow) -> Result<HistoryEntry> {
    let fields: String = r.try_get(5)?;
    Ok(HistoryEntry {
        block_number: to_u64(r.try_get(0)?),
        log_index: to_u64(r.try_get(1)?),
        tx_hash: to_b256(&r.try_get::<Vec<u8>, _>(2)?)?,
        contract: r.try_get(3)?,
        event: r.try_get(4)?,
        fields: serde_json::from_str(&fields).map_err(|err| {
            crate::Error::Inconsistent(format!("stored event fields are not JSON: {err}"))
        })?,
    })
}

fn small(v: i64) -> u8 {
    u8::try_from(v).unwrap_or(u8::MAX)
}
