//! Projections: decoded logs to the rows and statements of one database transaction.
//!
//! Append-only rows (the event log with each movement's payment, rule hits, profile versions,
//! settlements) are collected as typed rows for batched inserts; changes to current-state tables
//! (members, branches, credentials, activities, cases, ...) are statements applied in log
//! order; balances are kept in memory and upserted once per batch with their final values.
//! Each contract has one projection function matching its generated event enum exhaustively,
//! so a new event in a contract doesn't compile until it is projected (or said to be kept in
//! the event log only).
//!
//! # Layout
//! - [`rows`]: the append-only tables' rows
//! - one module per contract: `access`, `identity`, `credentials`, `coin`, `ledger`, `desk`,
//!   and `log_only` (the forwarder and the timelock)

mod access;
mod coin;
mod credentials;
mod desk;
mod identity;
mod ledger;
mod log_only;
pub mod rows;

use crate::{
    Error, Result,
    decode::{DecodedLog, Event},
};
use alloy::primitives::{Address, B256, LogData, U256};
pub use rows::{
    BalanceRow, BlockRow, Column, ColumnType, ColumnValue, EventAccountRow, EventRow,
    ProfileVersionRow, Row, RuleHitRow, SettlementRow,
};
use std::collections::{BTreeMap, HashMap};

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
    Null(ColumnType),
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

impl RawLog {
    /// A mined log as the node returned it, in the block of time `block_time`.
    pub fn from_rpc(log: &alloy::rpc::types::Log, block_time: u64) -> Result<Self> {
        let (Some(block_number), Some(block_hash), Some(tx_hash), Some(log_index)) = (
            log.block_number,
            log.block_hash,
            log.transaction_hash,
            log.log_index,
        ) else {
            return Err(Error::Rpc("the node returned a pending log".into()));
        };
        Ok(Self {
            at: LogRef {
                block_number,
                block_hash,
                block_time,
                tx_hash,
                log_index,
            },
            address: log.inner.address,
            data: log.inner.data.clone(),
        })
    }
}

/// Everything one database transaction writes.
#[derive(Debug, Default)]
pub struct Batch {
    /// event_log rows (a Transfer's with its payment).
    pub events: Vec<EventRow>,
    /// event_account rows.
    pub event_accounts: Vec<EventAccountRow>,
    /// rule_hit rows.
    pub rule_hits: Vec<RuleHitRow>,
    /// profile_version rows.
    pub profile_versions: Vec<ProfileVersionRow>,
    /// activity_settlement rows.
    pub settlements: Vec<SettlementRow>,
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

    /// Adds the batch that follows this one on the chain: one transaction writes both.
    pub fn append(&mut self, next: Batch) {
        let Batch {
            events,
            event_accounts,
            rule_hits,
            profile_versions,
            settlements,
            ops,
            balances,
            blocks,
        } = next;
        self.events.extend(events);
        self.event_accounts.extend(event_accounts);
        self.rule_hits.extend(rule_hits);
        self.profile_versions.extend(profile_versions);
        self.settlements.extend(settlements);
        self.ops.extend(ops);
        // The later balance and block hash are the ones that stand.
        self.balances.extend(balances);
        self.blocks.extend(blocks);
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

/// What a projection function gets: the log, the batch, whether append-only rows are written.
pub(crate) struct Ctx<'a> {
    pub raw: &'a RawLog,
    pub batch: &'a mut Batch,
    pub mode: Mode,
}

impl Ctx<'_> {
    /// Adds a statement whose last three arguments are the log's block, transaction and index.
    pub fn op(&mut self, sql: &'static str, mut args: Vec<Value>) {
        args.extend([
            self.raw.at.block_number.into(),
            self.raw.at.tx_hash.into(),
            self.raw.at.log_index.into(),
        ]);
        self.batch.ops.push(Stmt { sql, args });
    }

    /// Adds a statement with exactly `args`.
    pub fn plain(&mut self, sql: &'static str, args: Vec<Value>) {
        self.batch.ops.push(Stmt { sql, args });
    }

    /// Whether new append-only rows are written (not when replaying after a reorg).
    pub fn ingest(&self) -> bool {
        self.mode == Mode::Ingest
    }
}

/// A uint256 id that the contracts count up from 1, as a database integer.
pub(crate) fn id(v: U256, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| Error::Decode {
        what: what.to_string(),
        reason: format!("{v} does not fit 64 bits"),
    })
}

/// A contract's enum value, as the database stores it.
pub(crate) fn n(v: impl Into<u8>) -> Value {
    Value::from(v.into())
}

/// Tells the partners who consented to hear of `account`'s membership, and hold the partner
/// role now: one outbox message each (`kind`, with `data`: public fields only), in the index's
/// own transaction, so that no event is lost or written twice whatever stops when. Not on a
/// replay after a reorg: the messages of the blocks kept are already there.
pub(crate) fn tell_partners(
    cx: &mut Ctx<'_>,
    account: Address,
    kind: &'static str,
    data: serde_json::Value,
) {
    if !cx.ingest() {
        return;
    }
    let block_time = cx.raw.at.block_time;
    cx.op(
        "INSERT INTO webhook_outbox (partner, kind, data, block_time, member_id, block_number, \
         tx_hash, log_index) SELECT pc.partner, $2, $3, $4, pc.member_id, $6, $7, $8 \
         FROM partner_consent pc JOIN member m ON m.member_id = pc.member_id \
         JOIN role_member r ON r.account = pc.partner AND r.role = $5 \
         WHERE m.account = $1 AND pc.granted \
         ON CONFLICT (tx_hash, log_index, partner) DO NOTHING",
        vec![
            account.into(),
            kind.into(),
            data.to_string().into(),
            block_time.into(),
            timebank_bindings::roles::PARTNER.into(),
        ],
    );
}

/// Cancels `partner`'s messages written before this event that are not delivered yet: those
/// about the member `member_id` (a withdrawn consent), or all (`None`: the role revoked). An
/// append-only row, rolled back with its block; not written again on a replay.
pub(crate) fn cancel_partner_messages(cx: &mut Ctx<'_>, partner: Address, member_id: Option<u64>) {
    if !cx.ingest() {
        return;
    }
    cx.op(
        "INSERT INTO webhook_cancellation (partner, member_id, block_number, tx_hash, \
         log_index) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (tx_hash, log_index, partner) DO NOTHING",
        vec![
            partner.into(),
            member_id.map_or(Value::Null(ColumnType::Int8), Value::from),
        ],
    );
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

    /// Decodes and projects a range's logs as the node returned them, in chain order, into one
    /// batch; `times` has the block times the logs leave out (a node may omit `blockTimestamp`).
    pub fn project(
        &mut self,
        decoder: &crate::decode::Decoder,
        logs: &[alloy::rpc::types::Log],
        times: &HashMap<u64, u64>,
    ) -> Result<Batch> {
        let mut batch = Batch::default();
        for log in logs {
            let block_time = log
                .block_timestamp
                .or_else(|| times.get(&log.block_number?).copied())
                .unwrap_or_default();
            let raw = RawLog::from_rpc(log, block_time)?;
            if let Some(decoded) = decoder.decode(&raw.address, &raw.data)? {
                self.apply(&raw, &decoded, &mut batch, Mode::Ingest)?;
            }
        }
        Ok(batch)
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
            event_rows(raw, decoded, batch)?;
        }
        let Some(event) = &decoded.event else {
            return Ok(());
        };
        let mut cx = Ctx { raw, batch, mode };
        match event {
            Event::Access(e) => access::project(e, &mut cx),
            Event::Identity(e) => identity::project(e, &mut cx),
            Event::Credentials(e) => credentials::project(e, &mut cx),
            Event::Coin(e) => coin::project(&mut self.balances, e, &mut cx),
            Event::Ledger(e) => ledger::project(e, &mut cx),
            Event::Desk(e) => desk::project(e, &mut cx),
            Event::Forwarder(e) => {
                log_only::forwarder(e);
                Ok(())
            }
            Event::Timelock(e) => {
                log_only::timelock(e);
                Ok(())
            }
        }
    }
}

/// The event_log row of a log, and its event_account rows (payments index their own accounts).
fn event_rows(raw: &RawLog, d: &DecodedLog, batch: &mut Batch) -> Result<()> {
    let mut row = EventRow::new(&raw.at, d.contract, raw.address, d.name);
    row.topics = raw.data.topics().iter().flat_map(|t| t.0).collect();
    row.data = raw.data.data.to_vec();
    batch.events.push(row);
    if matches!(
        d.event,
        Some(Event::Coin(
            timebank_bindings::TimeCoin::TimeCoinEvents::Transfer(_)
                | timebank_bindings::TimeCoin::TimeCoinEvents::CoinsMoved(_)
        ))
    ) {
        return Ok(());
    }
    for account in d.accounts(&raw.data)? {
        batch.event_accounts.push(EventAccountRow {
            account,
            block_number: raw.at.block_number,
            block_hash: raw.at.block_hash,
            log_index: raw.at.log_index,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_appended_batch_follows_and_its_later_state_stands() {
        let at = |block_number: u64, log_index: u64| LogRef {
            block_number,
            block_hash: B256::repeat_byte(block_number as u8),
            block_time: 1_000 + block_number,
            tx_hash: B256::ZERO,
            log_index,
        };
        let account = Address::repeat_byte(7);
        let batch = |block: u64, balance: u64| {
            let mut b = Batch::default();
            for log in 0..2 {
                b.events.push(EventRow::new(
                    &at(block, log),
                    "TimeCoin",
                    account,
                    "Transfer",
                ));
            }
            b.ops.push(Stmt {
                sql: "UPDATE member SET risk = $1",
                args: vec![block.into()],
            });
            b.balances
                .insert(account, (U256::from(balance), at(block, 1)));
            b.blocks
                .insert(block, (at(block, 0).block_hash, 1_000 + block));
            b
        };
        let mut first = batch(5, 10);
        first.append(batch(6, 4));
        let places: Vec<_> = first
            .events
            .iter()
            .map(|e| (e.block_number, e.log_index))
            .collect();
        assert_eq!(places, [(5, 0), (5, 1), (6, 0), (6, 1)]);
        assert_eq!(first.ops.len(), 2);
        assert!(matches!(first.ops[1].args[0], Value::Int(6)));
        assert_eq!(first.balances[&account].0, U256::from(4));
        assert_eq!(first.balances[&account].1.block_number, 6);
        assert_eq!(first.blocks.keys().copied().collect::<Vec<_>>(), [5, 6]);
    }

    #[test]
    fn micro_is_millionths_of_an_hour() {
        assert_eq!(micro(U256::from(10u128.pow(18))), 1_000_000);
        assert_eq!(micro(U256::from(15u128 * 10u128.pow(17))), 1_500_000);
        assert_eq!(micro(U256::MAX), i64::MAX);
    }
}
