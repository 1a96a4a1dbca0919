//! The SQL side: one code path for SQLite and PostgreSQL through sqlx's `Any` driver, with the
//! same migrations' semantics on both (`migrations/sqlite`, `migrations/postgres`).

use crate::{
    Error, Result,
    config::redact,
    project::{Batch, Payment, Stmt, Value, micro},
};
use alloy::primitives::{Address, B256, U256};
use sqlx::{
    AssertSqlSafe, Row,
    any::{AnyArguments, AnyPoolOptions},
    query::Query,
};
use std::{collections::HashMap, str::FromStr, time::SystemTime};

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (embedded default).
    Sqlite,
    /// PostgreSQL (production).
    Postgres,
}

/// The indexer's database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: sqlx::AnyPool,
    dialect: Dialect,
}

/// Tables rebuilt by replaying the event log after a reorg.
pub const STATE_TABLES: &[&str] = &[
    "branch",
    "role_member",
    "operator",
    "member",
    "risk_alert",
    "credential_type",
    "credential",
    "balance",
    "activity",
    "participation",
    "mint_quota",
    "service",
    "coin_hold",
    "supervision_case",
];

/// Append-only tables, rolled back by block number after a reorg.
pub const APPEND_TABLES: &[&str] = &[
    "event_log",
    "event_account",
    "payment",
    "rule_hit",
    "profile_version",
    "activity_settlement",
    "indexed_block",
];

/// Parameters per PostgreSQL statement (its limit is 65,535; 3,000 measured a little faster
/// than 30,000 or 60,000 with `make bench-indexer`).
const MAX_PARAMS: usize = 3_000;
/// Parameters per SQLite statement (its limit is 32,766). SQLite statements use positional `?`
/// placeholders: with `$N`, sqlx resolves each by name and a 30,000-parameter statement took
/// 25 times longer.
const MAX_PARAMS_SQLITE: usize = 30_000;

impl Store {
    /// Connects to `url` (`sqlite://PATH` is created if missing) and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else {
            Dialect::Postgres
        };
        let url = match dialect {
            Dialect::Sqlite => {
                if let Some(path) = sqlite_path(url)
                    && let Some(dir) = std::path::Path::new(path).parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|err| {
                        Error::Config(format!("cannot create the directory of {path}: {err}"))
                    })?;
                }
                if url.contains('?') {
                    url.to_string()
                } else {
                    format!("{url}?mode=rwc")
                }
            }
            Dialect::Postgres => url.to_string(),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if dialect == Dialect::Sqlite { 4 } else { 8 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        // WAL lets the gateway read while the indexer writes; NORMAL sync is
                        // durable at each commit's checkpoint of the WAL, which is what the
                        // checkpoint row relies on.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = NORMAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 5000")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(|err| {
                Error::Config(format!("cannot open the database {}: {err}", redact(&url)))
            })?;
        let store = Self { pool, dialect };
        match dialect {
            Dialect::Sqlite => sqlx::migrate!("migrations/sqlite").run(&store.pool).await?,
            Dialect::Postgres => {
                sqlx::migrate!("migrations/postgres")
                    .run(&store.pool)
                    .await?
            }
        }
        Ok(store)
    }

    /// The pool, for the query module and tests.
    pub fn pool(&self) -> &sqlx::AnyPool {
        &self.pool
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The last fully written block, if any.
    pub async fn checkpoint(&self) -> Result<Option<(u64, B256)>> {
        let row =
            sqlx::query("SELECT block_number, block_hash FROM indexer_checkpoint WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| {
            Ok((
                to_u64(r.try_get(0)?),
                to_b256(&r.try_get::<Vec<u8>, _>(1)?)?,
            ))
        })
        .transpose()
    }

    /// Every current balance, to seed the projector.
    pub async fn balances(&self) -> Result<HashMap<Address, U256>> {
        let rows = sqlx::query("SELECT account, amount FROM balance")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let account = to_address(&r.try_get::<Vec<u8>, _>(0)?)?;
                let amount: String = r.try_get(1)?;
                let amount = U256::from_str(&amount).map_err(|err| {
                    Error::Inconsistent(format!("balance of {account} is not a number: {err}"))
                })?;
                Ok((account, amount))
            })
            .collect()
    }

    /// Stored block hashes at or below `at_most`, newest first, for finding a fork point.
    pub async fn blocks_below(&self, at_most: u64, limit: i64) -> Result<Vec<(u64, B256)>> {
        let rows = sqlx::query(
            "SELECT block_number, block_hash FROM indexed_block WHERE block_number <= $1 \
             ORDER BY block_number DESC LIMIT $2",
        )
        .bind(to_i64(at_most))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    to_u64(r.try_get(0)?),
                    to_b256(&r.try_get::<Vec<u8>, _>(1)?)?,
                ))
            })
            .collect()
    }

    /// Writes a batch and moves the checkpoint to `checkpoint`, atomically.
    pub async fn write_batch(&self, batch: &Batch, checkpoint: (u64, B256, u64)) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        insert_rows(
            &mut tx,
            self.dialect,
            "event_log",
            EVENT_LOG_COLUMNS,
            &batch.events,
            "DO NOTHING",
        )
        .await?;
        insert_rows(
            &mut tx,
            self.dialect,
            "event_account",
            &["account", "block_number", "block_hash", "log_index"],
            &batch.event_accounts,
            "DO NOTHING",
        )
        .await?;
        let payments: Vec<Vec<Value>> = batch.payments.iter().map(payment_row).collect();
        insert_rows(
            &mut tx,
            self.dialect,
            "payment",
            PAYMENT_COLUMNS,
            &payments,
            "DO NOTHING",
        )
        .await?;
        insert_rows(
            &mut tx,
            self.dialect,
            "rule_hit",
            RULE_HIT_COLUMNS,
            &batch.rule_hits,
            "DO NOTHING",
        )
        .await?;
        insert_rows(
            &mut tx,
            self.dialect,
            "profile_version",
            PROFILE_COLUMNS,
            &batch.profile_versions,
            "DO NOTHING",
        )
        .await?;
        insert_rows(
            &mut tx,
            self.dialect,
            "activity_settlement",
            SETTLEMENT_COLUMNS,
            &batch.settlements,
            "DO NOTHING",
        )
        .await?;
        apply_state(&mut tx, self.dialect, batch).await?;
        let mut seen = batch.blocks.clone();
        seen.insert(checkpoint.0, (checkpoint.1, checkpoint.2));
        let blocks: Vec<Vec<Value>> = seen
            .iter()
            .map(|(n, (hash, time))| vec![(*n).into(), (*hash).into(), (*time).into()])
            .collect();
        insert_rows(&mut tx, self.dialect,
            "indexed_block",
            &["block_number", "block_hash", "block_time"],
            &blocks,
            "(block_number) DO UPDATE SET block_hash = excluded.block_hash, block_time = excluded.block_time",
        )
        .await?;
        set_checkpoint(&mut tx, checkpoint.0, checkpoint.1).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Rolls the append-only tables back to the `fork` block (kept; `None`: before everything),
    /// empties the current-state tables and moves the checkpoint there; the caller then replays
    /// the event log into the state tables.
    pub async fn rollback(&self, fork: Option<(u64, B256)>) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for table in APPEND_TABLES {
            let keep_through = fork.map(|(n, _)| to_i64(n)).unwrap_or(-1);
            sqlx::query(AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE block_number > $1"
            )))
            .bind(keep_through)
            .execute(&mut *tx)
            .await?;
        }
        for table in STATE_TABLES {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(&mut *tx)
                .await?;
        }
        match fork {
            Some((number, hash)) => set_checkpoint(&mut tx, number, hash).await?,
            None => {
                sqlx::query("DELETE FROM indexer_checkpoint")
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// One page of stored logs after (block, log) — from the start with `None` — in chain
    /// order, for replay.
    pub async fn logs_after(
        &self,
        after: Option<(u64, u64)>,
        limit: i64,
    ) -> Result<Vec<crate::project::RawLog>> {
        let (block, log) = after.map_or((-1, -1), |(b, l)| (to_i64(b), to_i64(l)));
        let rows = sqlx::query(
            "SELECT block_number, block_hash, block_time, tx_hash, log_index, address, topics, data \
             FROM event_log WHERE block_number > $1 OR (block_number = $2 AND log_index > $3) \
             ORDER BY block_number, log_index LIMIT $4",
        )
        .bind(block)
        .bind(block)
        .bind(log)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let topics: Vec<u8> = r.try_get(6)?;
                let topics = topics.chunks(32).map(to_b256).collect::<Result<Vec<_>>>()?;
                let data: Vec<u8> = r.try_get(7)?;
                Ok(crate::project::RawLog {
                    at: crate::project::LogRef {
                        block_number: to_u64(r.try_get(0)?),
                        block_hash: to_b256(&r.try_get::<Vec<u8>, _>(1)?)?,
                        block_time: to_u64(r.try_get(2)?),
                        tx_hash: to_b256(&r.try_get::<Vec<u8>, _>(3)?)?,
                        log_index: to_u64(r.try_get(4)?),
                    },
                    address: to_address(&r.try_get::<Vec<u8>, _>(5)?)?,
                    data: alloy::primitives::LogData::new_unchecked(topics, data.into()),
                })
            })
            .collect()
    }

    /// Applies replayed state changes (no append-only rows) without moving the checkpoint.
    pub async fn write_state(&self, batch: &Batch) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        apply_state(&mut tx, self.dialect, batch).await?;
        tx.commit().await?;
        Ok(())
    }
}

const EVENT_LOG_COLUMNS: &[&str] = &[
    "block_number",
    "block_hash",
    "block_time",
    "tx_hash",
    "log_index",
    "contract",
    "address",
    "event",
    "fields",
    "topics",
    "data",
];
const PAYMENT_COLUMNS: &[&str] = &[
    "block_number",
    "block_hash",
    "block_time",
    "tx_hash",
    "log_index",
    "sender",
    "recipient",
    "amount",
    "amount_micro",
    "purpose",
    "ref",
    "sender_balance",
    "recipient_balance",
];
const RULE_HIT_COLUMNS: &[&str] = &[
    "block_number",
    "block_hash",
    "tx_hash",
    "log_index",
    "sender",
    "recipient",
    "amount",
    "purpose",
    "ref",
    "rules",
    "action",
    "hold_id",
];
const PROFILE_COLUMNS: &[&str] = &[
    "member_id",
    "version",
    "account",
    "branch_id",
    "commitment",
    "encrypted_data",
    "operator",
    "block_number",
    "block_hash",
    "tx_hash",
    "log_index",
];
const SETTLEMENT_COLUMNS: &[&str] = &[
    "activity_id",
    "volunteer",
    "branch_id",
    "amount",
    "amount_micro",
    "operator",
    "block_number",
    "block_hash",
    "tx_hash",
    "log_index",
];

fn payment_row(p: &Payment) -> Vec<Value> {
    vec![
        p.at.block_number.into(),
        p.at.block_hash.into(),
        p.at.block_time.into(),
        p.at.tx_hash.into(),
        p.at.log_index.into(),
        p.sender.into(),
        p.recipient.into(),
        p.amount.to_string().into(),
        Value::Int(micro(p.amount)),
        p.purpose.into(),
        p.reference.into(),
        p.sender_balance.to_string().into(),
        p.recipient_balance.to_string().into(),
    ]
}

async fn apply_state(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    dialect: Dialect,
    batch: &Batch,
) -> Result<()> {
    for Stmt { sql, args } in &batch.ops {
        bind_all(sqlx::query(*sql), args).execute(&mut **tx).await?;
    }
    let balances: Vec<Vec<Value>> = batch
        .balances
        .iter()
        .map(|(account, (amount, at))| {
            vec![
                (*account).into(),
                amount.to_string().into(),
                Value::Int(micro(*amount)),
                at.block_number.into(),
                at.log_index.into(),
            ]
        })
        .collect();
    insert_rows(
        tx,
        dialect,
        "balance",
        &[
            "account",
            "amount",
            "amount_micro",
            "block_number",
            "log_index",
        ],
        &balances,
        "(account) DO UPDATE SET amount = excluded.amount, amount_micro = excluded.amount_micro, \
         block_number = excluded.block_number, log_index = excluded.log_index",
    )
    .await
}

async fn set_checkpoint(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    number: u64,
    hash: B256,
) -> Result<()> {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    sqlx::query(
        "INSERT INTO indexer_checkpoint (id, block_number, block_hash, updated_at) VALUES (1, $1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET block_number = excluded.block_number, \
         block_hash = excluded.block_hash, updated_at = excluded.updated_at",
    )
    .bind(to_i64(number))
    .bind(hash.to_vec())
    .bind(to_i64(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Multi-row `INSERT ... ON CONFLICT <conflict>` in as few statements as the parameter limit
/// allows.
async fn insert_rows(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    dialect: Dialect,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Value>],
    conflict: &str,
) -> Result<()> {
    let max_params = match dialect {
        Dialect::Sqlite => MAX_PARAMS_SQLITE,
        Dialect::Postgres => MAX_PARAMS,
    };
    let per_statement = (max_params / columns.len()).max(1);
    for chunk in rows.chunks(per_statement) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 0;
        for (i, row) in chunk.iter().enumerate() {
            if row.len() != columns.len() {
                return Err(Error::Inconsistent(format!(
                    "a {table} row has {} values for {} columns",
                    row.len(),
                    columns.len()
                )));
            }
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for j in 0..row.len() {
                n += 1;
                if j > 0 {
                    sql.push_str(", ");
                }
                // SQLite: positional `?` (sqlx resolves `$N` by name, in time growing with the
                // statement's parameter count).
                match dialect {
                    Dialect::Sqlite => sql.push('?'),
                    Dialect::Postgres => {
                        sql.push('$');
                        sql.push_str(&n.to_string());
                    }
                }
            }
            sql.push(')');
        }
        sql.push_str(" ON CONFLICT ");
        sql.push_str(conflict);
        let args: Vec<&Value> = chunk.iter().flatten().collect();
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for v in args {
            query = bind(query, v);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

fn bind_all<'q>(
    mut query: Query<'q, sqlx::Any, AnyArguments>,
    args: &[Value],
) -> Query<'q, sqlx::Any, AnyArguments> {
    for v in args {
        query = bind(query, v);
    }
    query
}

fn bind<'q>(
    query: Query<'q, sqlx::Any, AnyArguments>,
    v: &Value,
) -> Query<'q, sqlx::Any, AnyArguments> {
    match v {
        Value::Int(i) => query.bind(*i),
        Value::Bytes(b) => query.bind(b.clone()),
        Value::Text(t) => query.bind(t.clone()),
        Value::Bool(b) => query.bind(*b),
    }
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

/// i64 from a block number or timestamp (saturating; never reached on a real chain).
pub fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// u64 from a stored non-negative integer.
pub fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}

/// A stored 32-byte hash.
pub fn to_b256(bytes: &[u8]) -> Result<B256> {
    B256::try_from(bytes).map_err(|_| {
        Error::Inconsistent(format!("a stored hash has {} bytes, not 32", bytes.len()))
    })
}

/// A stored 20-byte address.
pub fn to_address(bytes: &[u8]) -> Result<Address> {
    Address::try_from(bytes).map_err(|_| {
        Error::Inconsistent(format!(
            "a stored address has {} bytes, not 20",
            bytes.len()
        ))
    })
}
