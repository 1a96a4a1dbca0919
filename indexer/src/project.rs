//! Projections: decoded logs to the rows and statements of one database transaction.
//!
//! Append-only rows (the event log, payments, rule hits, profile versions, settlements) are
//! collected for batched multi-row inserts; changes to current-state tables (members, branches,
//! credentials, activities, cases, ...) are statements applied in log order; balances are kept
//! in memory and upserted once per batch with their final values.

use crate::{Error, Result, decode::DecodedLog};
use alloy::{
    primitives::{Address, B256, LogData, U256},
    sol_types::SolEvent,
};
use std::collections::{BTreeMap, HashMap};
use timebank_bindings::{
    CredentialRegistry as CR, IdentityRegistry as IR, ServiceLedger as SL, SupervisionDesk as SD,
    TimeCoin as TC, TimebankAccess as TA,
};

/// An SQL value, bound the same way on SQLite and PostgreSQL.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// BIGINT / SMALLINT.
    Int(i64),
    /// BYTEA / BLOB.
    Bytes(Vec<u8>),
    /// TEXT.
    Text(String),
    /// BOOLEAN.
    Bool(bool),
    /// NULL of a column of this type (PostgreSQL types every parameter).
    Null(SqlType),
}

/// A column type, for typed NULLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlType {
    /// BIGINT / SMALLINT.
    Int,
    /// BYTEA / BLOB.
    Bytes,
    /// TEXT.
    Text,
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        // Block numbers, ids and timestamps: far below i64::MAX on any real chain.
        Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<u8> for Value {
    fn from(v: u8) -> Self {
        Value::Int(v.into())
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(v.into())
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<Address> for Value {
    fn from(v: Address) -> Self {
        Value::Bytes(v.to_vec())
    }
}
impl From<B256> for Value {
    fn from(v: B256) -> Self {
        Value::Bytes(v.to_vec())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_string())
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}

/// A statement with its arguments (`$1`, `$2`, ... in order).
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    /// The SQL text, valid on both databases.
    pub sql: &'static str,
    /// Its arguments.
    pub args: Vec<Value>,
}

/// Where a log sits on the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogRef {
    /// Block number.
    pub block_number: u64,
    /// Block hash.
    pub block_hash: B256,
    /// Block timestamp (seconds).
    pub block_time: u64,
    /// Transaction hash.
    pub tx_hash: B256,
    /// Index of the log in its block.
    pub log_index: u64,
}

/// A raw log of one of our contracts.
#[derive(Debug, Clone)]
pub struct RawLog {
    /// Its position.
    pub at: LogRef,
    /// The emitting contract.
    pub address: Address,
    /// Topics and data.
    pub data: LogData,
}

/// A coin movement (ERC-20 `Transfer`, with the purpose `CoinsMoved` adds).
#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    /// The Transfer log.
    pub at: LogRef,
    /// Sender (zero for a mint).
    pub sender: Address,
    /// Recipient (zero for a burn).
    pub recipient: Address,
    /// Amount in TIME base units.
    pub amount: U256,
    /// Purpose (`Types.sol` order); a Transfer alone is a Gift (3).
    pub purpose: u8,
    /// Reference.
    pub reference: B256,
    /// Sender's balance after.
    pub sender_balance: U256,
    /// Recipient's balance after.
    pub recipient_balance: U256,
}

/// `Purpose.Gift`.
pub const PURPOSE_GIFT: u8 = 3;

/// Everything one database transaction writes.
#[derive(Debug, Default)]
pub struct Batch {
    /// event_log rows.
    pub events: Vec<Vec<Value>>,
    /// event_account rows.
    pub event_accounts: Vec<Vec<Value>>,
    /// payment rows, as structs until written.
    pub payments: Vec<Payment>,
    /// rule_hit rows.
    pub rule_hits: Vec<Vec<Value>>,
    /// profile_version rows.
    pub profile_versions: Vec<Vec<Value>>,
    /// activity_settlement rows.
    pub settlements: Vec<Vec<Value>>,
    /// Current-state changes, in log order.
    pub ops: Vec<Stmt>,
    /// Final balances of the accounts this batch touched, with the log of the last change.
    pub balances: HashMap<Address, (U256, LogRef)>,
    /// Blocks seen: number to (hash, time).
    pub blocks: BTreeMap<u64, (B256, u64)>,
}

impl Batch {
    /// Number of logs in the batch.
    pub fn log_count(&self) -> usize {
        self.events.len()
    }
}

/// What a pass over logs writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// New logs: everything.
    Ingest,
    /// Logs already in event_log, replayed after a reorg: current state only.
    Replay,
}

/// Turns decoded logs into a [`Batch`]; keeps the balances between batches.
#[derive(Debug, Default)]
pub struct Projector {
    balances: HashMap<Address, U256>,
}

/// Millionths of an hour, for sums in SQL (exact values are kept as decimal text).
pub fn micro(amount: U256) -> i64 {
    let micro = amount / U256::from(1_000_000_000_000u64);
    i64::try_from(micro).unwrap_or(i64::MAX)
}

fn decode<E: SolEvent>(raw: &RawLog) -> Result<E> {
    E::decode_log_data(&raw.data).map_err(|err| Error::Decode {
        what: format!("{} at block {}", E::SIGNATURE, raw.at.block_number),
        reason: err.to_string(),
    })
}

fn at(raw: &RawLog) -> [Value; 3] {
    [
        raw.at.block_number.into(),
        raw.at.tx_hash.into(),
        raw.at.log_index.into(),
    ]
}

macro_rules! stmt {
    ($sql:expr, $raw:expr; $($arg:expr),* $(,)?) => {{
        let mut args: Vec<Value> = vec![$(Value::from($arg)),*];
        args.extend(at($raw));
        Stmt { sql: $sql, args }
    }};
}

impl Projector {
    /// A projector that continues from these balances.
    pub fn new(balances: HashMap<Address, U256>) -> Self {
        Self { balances }
    }

    /// The current balance of `account`.
    pub fn balance(&self, account: &Address) -> U256 {
        self.balances.get(account).copied().unwrap_or_default()
    }

    /// Projects one log into `batch`.
    pub fn apply(
        &mut self,
        raw: &RawLog,
        decoded: &DecodedLog,
        batch: &mut Batch,
        mode: Mode,
    ) -> Result<()> {
        batch
            .blocks
            .insert(raw.at.block_number, (raw.at.block_hash, raw.at.block_time));
        if mode == Mode::Ingest {
            self.event_rows(raw, decoded, batch);
        }
        match (decoded.contract, decoded.event.as_str()) {
            ("TimeCoin", "Transfer") => self.transfer(raw, decode::<TC::Transfer>(raw)?, batch),
            ("TimeCoin", "CoinsMoved") => {
                let e = decode::<TC::CoinsMoved>(raw)?;
                // CoinsMoved follows its Transfer directly in the same transaction.
                match batch.payments.last_mut() {
                    Some(p)
                        if p.at.tx_hash == raw.at.tx_hash
                            && p.at.log_index + 1 == raw.at.log_index =>
                    {
                        p.purpose = e.purpose;
                        p.reference = e.r#ref;
                    }
                    _ if mode == Mode::Replay => {}
                    _ => {
                        return Err(Error::Inconsistent(format!(
                            "CoinsMoved at block {} log {} has no Transfer right before it",
                            raw.at.block_number, raw.at.log_index
                        )));
                    }
                }
            }
            _ => self.state(raw, decoded, batch, mode)?,
        }
        Ok(())
    }

    fn event_rows(&self, raw: &RawLog, d: &DecodedLog, batch: &mut Batch) {
        let topics: Vec<u8> = raw.data.topics().iter().flat_map(|t| t.0).collect();
        batch.events.push(vec![
            raw.at.block_number.into(),
            raw.at.block_hash.into(),
            raw.at.block_time.into(),
            raw.at.tx_hash.into(),
            raw.at.log_index.into(),
            d.contract.into(),
            raw.address.into(),
            d.event.as_str().into(),
            Value::Text(serde_json::Value::Object(d.fields.clone()).to_string()),
            topics.into(),
            raw.data.data.to_vec().into(),
        ]);
        // Payments index their own accounts.
        if d.contract == "TimeCoin" && (d.event == "Transfer" || d.event == "CoinsMoved") {
            return;
        }
        for account in &d.accounts {
            batch.event_accounts.push(vec![
                (*account).into(),
                raw.at.block_number.into(),
                raw.at.block_hash.into(),
                raw.at.log_index.into(),
            ]);
        }
    }

    fn transfer(&mut self, raw: &RawLog, e: TC::Transfer, batch: &mut Batch) {
        let mut after = |account: Address, credit: bool| -> U256 {
            if account.is_zero() {
                return U256::ZERO;
            }
            let balance = self.balances.entry(account).or_default();
            *balance = if credit {
                balance.saturating_add(e.value)
            } else {
                balance.saturating_sub(e.value)
            };
            batch.balances.insert(account, (*balance, raw.at));
            *balance
        };
        let sender_balance = after(e.from, false);
        let recipient_balance = after(e.to, true);
        batch.payments.push(Payment {
            at: raw.at,
            sender: e.from,
            recipient: e.to,
            amount: e.value,
            purpose: PURPOSE_GIFT,
            reference: B256::ZERO,
            sender_balance,
            recipient_balance,
        });
    }

    fn state(&mut self, raw: &RawLog, d: &DecodedLog, batch: &mut Batch, mode: Mode) -> Result<()> {
        let ingest = mode == Mode::Ingest;
        let ops = &mut batch.ops;
        match (d.contract, d.event.as_str()) {
            // ---- TimebankAccess ----
            ("TimebankAccess", "BranchAdded") => {
                let e = decode::<TA::BranchAdded>(raw)?;
                ops.push(stmt!(
                    "INSERT INTO branch (branch_id, name, region, public_key, active, block_number, tx_hash, log_index) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (branch_id) DO UPDATE SET \
                     name = excluded.name, region = excluded.region, public_key = excluded.public_key, \
                     active = excluded.active, block_number = excluded.block_number, \
                     tx_hash = excluded.tx_hash, log_index = excluded.log_index",
                    raw; e.branchId, e.name, e.region, e.publicKey.to_vec(), true));
            }
            ("TimebankAccess", "BranchUpdated") => {
                let e = decode::<TA::BranchUpdated>(raw)?;
                ops.push(stmt!(
                    "UPDATE branch SET name = $2, region = $3, block_number = $4, \
                     tx_hash = $5, log_index = $6 WHERE branch_id = $1",
                    raw; e.branchId, e.name, e.region));
            }
            ("TimebankAccess", "BranchKeyChanged") => {
                let e = decode::<TA::BranchKeyChanged>(raw)?;
                ops.push(stmt!(
                    "UPDATE branch SET public_key = $2, block_number = $3, tx_hash = $4, \
                     log_index = $5 WHERE branch_id = $1",
                    raw; e.branchId, e.newKey.to_vec()));
            }
            ("TimebankAccess", "BranchActiveChanged") => {
                let e = decode::<TA::BranchActiveChanged>(raw)?;
                ops.push(stmt!(
                    "UPDATE branch SET active = $2, block_number = $3, tx_hash = $4, log_index = $5 \
                     WHERE branch_id = $1",
                    raw; e.branchId, e.active));
            }
            ("TimebankAccess", "OperatorChanged") => {
                let e = decode::<TA::OperatorChanged>(raw)?;
                if e.isOperator {
                    ops.push(stmt!(
                        "INSERT INTO operator (account, branch_id, block_number, tx_hash, log_index) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account) DO UPDATE SET \
                         branch_id = excluded.branch_id, block_number = excluded.block_number, \
                         tx_hash = excluded.tx_hash, log_index = excluded.log_index",
                        raw; e.account, e.branchId));
                } else {
                    ops.push(Stmt {
                        sql: "DELETE FROM operator WHERE account = $1",
                        args: vec![e.account.into()],
                    });
                }
            }
            ("TimebankAccess", "RoleGranted") => {
                let e = decode::<TA::RoleGranted>(raw)?;
                ops.push(stmt!(
                    "INSERT INTO role_member (role, account, block_number, tx_hash, log_index) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (role, account) DO NOTHING",
                    raw; e.role, e.account));
            }
            ("TimebankAccess", "RoleRevoked") => {
                let e = decode::<TA::RoleRevoked>(raw)?;
                ops.push(Stmt {
                    sql: "DELETE FROM role_member WHERE role = $1 AND account = $2",
                    args: vec![e.role.into(), e.account.into()],
                });
            }
            // ---- IdentityRegistry ----
            ("IdentityRegistry", "MemberSubmitted") => {
                let e = decode::<IR::MemberSubmitted>(raw)?;
                ops.push(stmt!(
                    "INSERT INTO member (account, member_id, home_branch, status, risk, profile_version, \
                     commitment, pending_move_to, submitted_by, submitted_at, activated_at, block_number, \
                     tx_hash, log_index) VALUES ($1, $2, $3, 1, 0, 0, $4, 0, $5, $6, 0, $7, $8, $9) \
                     ON CONFLICT (account) DO NOTHING",
                    raw; e.account, e.memberId.to::<u64>(), e.branchId, B256::ZERO, e.operator,
                    raw.at.block_time));
            }
            ("IdentityRegistry", "ProfileUpdated") => {
                let e = decode::<IR::ProfileUpdated>(raw)?;
                if ingest {
                    let mut row: Vec<Value> = vec![
                        e.memberId.to::<u64>().into(),
                        e.version.into(),
                        e.account.into(),
                        e.branchId.into(),
                        e.commitment.into(),
                        e.encryptedData.to_vec().into(),
                        e.operator.into(),
                        raw.at.block_number.into(),
                        raw.at.block_hash.into(),
                    ];
                    row.extend([raw.at.tx_hash.into(), raw.at.log_index.into()]);
                    batch.profile_versions.push(row);
                }
                batch.ops.push(stmt!(
                    "UPDATE member SET profile_version = $2, commitment = $3, block_number = $4, \
                     tx_hash = $5, log_index = $6 WHERE account = $1",
                    raw; e.account, e.version, e.commitment));
            }
            ("IdentityRegistry", "MemberStatusChanged") => {
                let e = decode::<IR::MemberStatusChanged>(raw)?;
                // Activation time: approval from Pending (1) to Active (2).
                let activated = if e.previous == 1 && e.current == 2 {
                    raw.at.block_time
                } else {
                    0
                };
                ops.push(stmt!(
                    "UPDATE member SET status = $2, activated_at = CASE WHEN $3 > 0 THEN $3 ELSE activated_at END, \
                     block_number = $4, tx_hash = $5, log_index = $6 WHERE account = $1",
                    raw; e.account, e.current, activated));
            }
            ("IdentityRegistry", "MoveRequested") => {
                let e = decode::<IR::MoveRequested>(raw)?;
                ops.push(stmt!(
                    "UPDATE member SET pending_move_to = $2, block_number = $3, tx_hash = $4, \
                     log_index = $5 WHERE account = $1",
                    raw; e.account, e.toBranch));
            }
            ("IdentityRegistry", "MoveCancelled") => {
                let e = decode::<IR::MoveCancelled>(raw)?;
                ops.push(stmt!(
                    "UPDATE member SET pending_move_to = 0, block_number = $2, tx_hash = $3, \
                     log_index = $4 WHERE account = $1",
                    raw; e.account));
            }
            ("IdentityRegistry", "MemberMoved") => {
                let e = decode::<IR::MemberMoved>(raw)?;
                ops.push(stmt!(
                    "UPDATE member SET home_branch = $2, pending_move_to = 0, block_number = $3, \
                     tx_hash = $4, log_index = $5 WHERE account = $1",
                    raw; e.account, e.toBranch));
            }
            ("IdentityRegistry", "RiskLevelChanged") => {
                let e = decode::<IR::RiskLevelChanged>(raw)?;
                ops.push(stmt!(
                    "UPDATE member SET risk = $2, block_number = $3, tx_hash = $4, log_index = $5 \
                     WHERE account = $1",
                    raw; e.account, e.current));
            }
            ("IdentityRegistry", "RiskAlertRaised") => {
                let e = decode::<IR::RiskAlertRaised>(raw)?;
                ops.push(stmt!(
                    "INSERT INTO risk_alert (alert_id, account, partner, reason_hash, assessed, level, \
                     supervisor, block_number, tx_hash, log_index) \
                     VALUES ($1, $2, $3, $4, FALSE, 0, $5, $6, $7, $8) ON CONFLICT (alert_id) DO NOTHING",
                    raw; u256_u64(e.alertId, "alertId")?, e.account, e.partner, e.reasonHash,
                    Address::ZERO));
            }
            ("IdentityRegistry", "RiskAlertAssessed") => {
                let e = decode::<IR::RiskAlertAssessed>(raw)?;
                ops.push(stmt!(
                    "UPDATE risk_alert SET assessed = TRUE, level = $2, supervisor = $3, block_number = $4, \
                     tx_hash = $5, log_index = $6 WHERE alert_id = $1",
                    raw; u256_u64(e.alertId, "alertId")?, e.level, e.supervisor));
            }
            ("IdentityRegistry", "MemberRecovered") => {
                let e = decode::<IR::MemberRecovered>(raw)?;
                ops.push(stmt!(
                    "UPDATE member SET account = $2, block_number = $3, tx_hash = $4, log_index = $5 \
                     WHERE account = $1",
                    raw; e.previousAccount, e.newAccount));
                ops.push(Stmt {
                    sql: "UPDATE credential SET account = $2 WHERE account = $1",
                    args: vec![e.previousAccount.into(), e.newAccount.into()],
                });
            }
            // ---- CredentialRegistry ----
            ("CredentialRegistry", "CredentialTypeDefined") => {
                let e = decode::<CR::CredentialTypeDefined>(raw)?;
                ops.push(stmt!(
                    "INSERT INTO credential_type (type_id, kind, name, active, block_number, tx_hash, log_index) \
                     VALUES ($1, $2, $3, TRUE, $4, $5, $6) ON CONFLICT (type_id) DO NOTHING",
                    raw; e.typeId, e.kind, e.name));
            }
            ("CredentialRegistry", "CredentialTypeActiveChanged") => {
                let e = decode::<CR::CredentialTypeActiveChanged>(raw)?;
                ops.push(stmt!(
                    "UPDATE credential_type SET active = $2, block_number = $3, tx_hash = $4, \
                     log_index = $5 WHERE type_id = $1",
                    raw; e.typeId, e.active));
            }
            ("CredentialRegistry", "CredentialIssued") => {
                let e = decode::<CR::CredentialIssued>(raw)?;
                ops.push(stmt!(
                    "INSERT INTO credential (member_id, type_id, account, issuer, document_hash, issued_at, \
                     expires_at, revoked, block_number, tx_hash, log_index) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, $8, $9, $10) \
                     ON CONFLICT (member_id, type_id) DO UPDATE SET account = excluded.account, \
                     issuer = excluded.issuer, document_hash = excluded.document_hash, \
                     issued_at = excluded.issued_at, expires_at = excluded.expires_at, revoked = FALSE, \
                     block_number = excluded.block_number, tx_hash = excluded.tx_hash, \
                     log_index = excluded.log_index",
                    raw; e.memberId.to::<u64>(), e.typeId, e.account, e.issuer, e.documentHash,
                    e.issuedAt.to::<u64>(), e.expiresAt.to::<u64>()));
            }
            ("CredentialRegistry", "CredentialRenewed") => {
                let e = decode::<CR::CredentialRenewed>(raw)?;
                ops.push(stmt!(
                    "UPDATE credential SET issuer = $3, document_hash = $4, expires_at = $5, \
                     block_number = $6, tx_hash = $7, log_index = $8 WHERE member_id = $1 AND type_id = $2",
                    raw; e.memberId.to::<u64>(), e.typeId, e.issuer, e.documentHash,
                    e.expiresAt.to::<u64>()));
            }
            ("CredentialRegistry", "CredentialRevoked") => {
                let e = decode::<CR::CredentialRevoked>(raw)?;
                ops.push(stmt!(
                    "UPDATE credential SET revoked = TRUE, block_number = $3, tx_hash = $4, \
                     log_index = $5 WHERE member_id = $1 AND type_id = $2",
                    raw; e.memberId.to::<u64>(), e.typeId));
            }
            // ---- TimeCoin (Transfer and CoinsMoved are handled by `apply`) ----
            ("TimeCoin", "RuleHit") => {
                let e = decode::<TC::RuleHit>(raw)?;
                if ingest {
                    let mut row: Vec<Value> = vec![
                        raw.at.block_number.into(),
                        raw.at.block_hash.into(),
                        raw.at.tx_hash.into(),
                        raw.at.log_index.into(),
                        e.from.into(),
                        e.to.into(),
                        e.amount.to_string().into(),
                        e.purpose.into(),
                        e.r#ref.into(),
                    ];
                    row.extend([
                        u64::from(e.rules).into(),
                        e.action.into(),
                        u256_u64(e.holdId, "holdId")?.into(),
                    ]);
                    batch.rule_hits.push(row);
                }
            }
            ("TimeCoin", "MovementHeld") => {
                let e = decode::<TC::MovementHeld>(raw)?;
                ops.push(stmt!(
                    "INSERT INTO coin_hold (hold_id, sender, recipient, amount, purpose, ref, status, \
                     block_number, tx_hash, log_index) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9) \
                     ON CONFLICT (hold_id) DO NOTHING",
                    raw; u256_u64(e.holdId, "holdId")?, e.from, e.to, e.amount.to_string(), e.purpose,
                    e.r#ref));
            }
            ("TimeCoin", "HoldSettled") => {
                let e = decode::<TC::HoldSettled>(raw)?;
                ops.push(stmt!(
                    "UPDATE coin_hold SET status = $2, block_number = $3, tx_hash = $4, log_index = $5 \
                     WHERE hold_id = $1",
                    raw; u256_u64(e.holdId, "holdId")?, if e.released { 2u8 } else { 3u8 }));
            }
            // ---- ServiceLedger ----
            ("ServiceLedger", "ActivityCreated") => {
                let e = decode::<SL::ActivityCreated>(raw)?;
                ops.push(stmt!(
                    "INSERT INTO activity (activity_id, branch_id, kind, organizer, hours_cap, \
                     required_credential_type, details_hash, status, block_number, tx_hash, log_index) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10) ON CONFLICT (activity_id) DO NOTHING",
                    raw; u256_u64(e.activityId, "activityId")?, e.branchId, e.kind, e.organizer,
                    e.hoursCap.to_string(), e.requiredCredentialType, e.detailsHash));
            }
            ("ServiceLedger", "ActivityClosed") => {
                let e = decode::<SL::ActivityClosed>(raw)?;
                ops.push(stmt!(
                    "UPDATE activity SET status = 2, block_number = $2, tx_hash = $3, log_index = $4 \
                     WHERE activity_id = $1",
                    raw; u256_u64(e.activityId, "activityId")?));
            }
            ("ServiceLedger", "ActivityJoined") => {
                let e = decode::<SL::ActivityJoined>(raw)?;
                ops.push(stmt!(
                    "INSERT INTO participation (activity_id, volunteer, status, amount, block_number, \
                     tx_hash, log_index) VALUES ($1, $2, 1, '0', $3, $4, $5) \
                     ON CONFLICT (activity_id, volunteer) DO NOTHING",
                    raw; u256_u64(e.activityId, "activityId")?, e.volunteer));
            }
            ("ServiceLedger", "HoursRecorded") => {
                let e = decode::<SL::HoursRecorded>(raw)?;
                ops.push(stmt!(
                    "UPDATE participation SET status = 2, amount = $3, block_number = $4, tx_hash = $5, \
                     log_index = $6 WHERE activity_id = $1 AND volunteer = $2",
                    raw; u256_u64(e.activityId, "activityId")?, e.volunteer, e.amount.to_string()));
            }
            ("ServiceLedger", "HoursConfirmed") => {
                let e = decode::<SL::HoursConfirmed>(raw)?;
                ops.push(stmt!(
                    "UPDATE participation SET status = 3, block_number = $3, tx_hash = $4, log_index = $5 \
                     WHERE activity_id = $1 AND volunteer = $2",
                    raw; u256_u64(e.activityId, "activityId")?, e.volunteer));
            }
            ("ServiceLedger", "ActivitySettled") => {
                let e = decode::<SL::ActivitySettled>(raw)?;
                let id = u256_u64(e.activityId, "activityId")?;
                if ingest {
                    let amount = U256::from(e.amount);
                    batch.settlements.push(vec![
                        id.into(),
                        e.volunteer.into(),
                        e.branchId.into(),
                        amount.to_string().into(),
                        Value::Int(micro(amount)),
                        e.operator.into(),
                        raw.at.block_number.into(),
                        raw.at.block_hash.into(),
                        raw.at.tx_hash.into(),
                        raw.at.log_index.into(),
                    ]);
                }
                batch.ops.push(stmt!(
                    "UPDATE participation SET status = 4, block_number = $3, tx_hash = $4, log_index = $5 \
                     WHERE activity_id = $1 AND volunteer = $2",
                    raw; id, e.volunteer));
            }
            ("ServiceLedger", "MintQuotaSet") => {
                let e = decode::<SL::MintQuotaSet>(raw)?;
                ops.push(stmt!(
                    "INSERT INTO mint_quota (branch_id, quota_limit, block_number, tx_hash, log_index) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (branch_id) DO UPDATE SET \
                     quota_limit = excluded.quota_limit, block_number = excluded.block_number, \
                     tx_hash = excluded.tx_hash, log_index = excluded.log_index",
                    raw; e.branchId, e.limit.to_string()));
            }
            ("ServiceLedger", "ServiceProposed") => {
                let e = decode::<SL::ServiceProposed>(raw)?;
                ops.push(stmt!(
                    "INSERT INTO service (service_id, provider, requester, amount, details_hash, status, \
                     block_number, tx_hash, log_index) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8) \
                     ON CONFLICT (service_id) DO NOTHING",
                    raw; u256_u64(e.serviceId, "serviceId")?, e.provider, e.requester,
                    e.amount.to_string(), e.detailsHash));
            }
            ("ServiceLedger", "ServiceCompleted") => {
                let e = decode::<SL::ServiceCompleted>(raw)?;
                ops.push(stmt!(
                    "UPDATE service SET status = 2, block_number = $2, tx_hash = $3, log_index = $4 \
                     WHERE service_id = $1",
                    raw; u256_u64(e.serviceId, "serviceId")?));
            }
            ("ServiceLedger", "ServiceCancelled") => {
                let e = decode::<SL::ServiceCancelled>(raw)?;
                ops.push(stmt!(
                    "UPDATE service SET status = 3, block_number = $2, tx_hash = $3, log_index = $4 \
                     WHERE service_id = $1",
                    raw; u256_u64(e.serviceId, "serviceId")?));
            }
            // ---- SupervisionDesk ----
            ("SupervisionDesk", "CaseOpened") => {
                let e = decode::<SD::CaseOpened>(raw)?;
                ops.push(stmt!(
                    "INSERT INTO supervision_case (case_id, account, counterparty, rules, action, amount, \
                     purpose, ref, hold_id, opened_by, reason_hash, status, opened_block, block_number, \
                     tx_hash, log_index) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, \
                     $13, $14, $15) ON CONFLICT (case_id) DO NOTHING",
                    raw; u256_u64(e.caseId, "caseId")?, e.account, e.counterparty, u64::from(e.rules),
                    e.action, e.amount.to_string(), e.purpose, e.r#ref, u256_u64(e.holdId, "holdId")?,
                    e.openedBy, e.reasonHash, raw.at.block_number));
            }
            ("SupervisionDesk", "CaseDecided") => {
                let e = decode::<SD::CaseDecided>(raw)?;
                ops.push(stmt!(
                    "UPDATE supervision_case SET status = $2, risk_level = $3, note_hash = $4, \
                     decided_by = $5, block_number = $6, tx_hash = $7, log_index = $8 WHERE case_id = $1",
                    raw; u256_u64(e.caseId, "caseId")?, e.outcome, e.riskLevel, e.noteHash, e.supervisor));
            }
            // Everything else is in the event log only.
            _ => {}
        }
        Ok(())
    }
}

fn u256_u64(v: U256, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| Error::Decode {
        what: what.to_string(),
        reason: format!("{v} does not fit 64 bits"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn micro_is_millionths_of_an_hour() {
        assert_eq!(micro(U256::from(10u128.pow(18))), 1_000_000);
        assert_eq!(micro(U256::from(15u128 * 10u128.pow(17))), 1_500_000);
        assert_eq!(micro(U256::MAX), i64::MAX);
    }
}
