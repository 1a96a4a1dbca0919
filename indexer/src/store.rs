//! The SQL side: one code path for SQLite and PostgreSQL through sqlx's `Any` driver, with the
//! same migrations' semantics on both (`migrations/sqlite`, `migrations/postgres`).

use crate::{
    Error, Result,
    config::redact,
    project::{BalanceRow, Batch, BlockRow, ColumnType, Row as TableRow, Stmt, Value, micro},
};
use alloy::primitives::{Address, B256, U256};
use sqlx::{AssertSqlSafe, Row, any::AnyPoolOptions};
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
    /// The batch writes go through the concrete driver: `COPY` for PostgreSQL, and no `Any`
    /// conversion of every value.
    writer: Writer,
}

#[derive(Debug, Clone)]
enum Writer {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
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
    "branch_key_proposal",
];

/// Views over the tables (`payment`: the coin movements in event_log).
pub const VIEWS: &[&str] = &["payment"];

/// Append-only tables, rolled back by block number after a reorg.
pub const APPEND_TABLES: &[&str] = &[
    "event_log",
    "event_account",
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
        let cannot_open =
            |err| Error::Config(format!("cannot open the database {}: {err}", redact(&url)));
        let writer = match dialect {
            Dialect::Sqlite => {
                use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
                let options = SqliteConnectOptions::from_str(&url)
                    .map_err(cannot_open)?
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(std::time::Duration::from_secs(5))
                    // The batch writer's own page cache (64 MiB; SQLite's default is 2 MiB) and
                    // WAL checkpoints every 64 MiB rather than every 4 MiB: a backfill rewrites
                    // the same index pages, and each checkpoint copies them again.
                    .pragma("cache_size", "-65536")
                    .pragma("wal_autocheckpoint", "16384");
                Writer::Sqlite(
                    sqlx::sqlite::SqlitePoolOptions::new()
                        .max_connections(1)
                        .connect_with(options)
                        .await
                        .map_err(cannot_open)?,
                )
            }
            Dialect::Postgres => Writer::Postgres(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(2)
                    .connect(&url)
                    .await
                    .map_err(cannot_open)?,
            ),
        };
        let store = Self {
            pool,
            dialect,
            writer,
        };
        match dialect {
            // SQLite has no migration lock: when two processes (an indexer and its gateway)
            // open a new database together, the one that loses the race fails on a table the
            // other just made, and finds the migration applied when it tries again.
            Dialect::Sqlite => {
                let migrator = sqlx::migrate!("migrations/sqlite");
                let mut attempt = 0;
                while let Err(err) = migrator.run(&store.pool).await {
                    attempt += 1;
                    if attempt == 10 {
                        return Err(err.into());
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
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

    /// Writes a batch and moves the checkpoint from `after` (where the batch starts: the
    /// previous checkpoint, `None` for the first) to `checkpoint`, atomically. Fails with
    /// [`Error::Moved`] when the stored checkpoint is not `after`: the batch was written before
    /// (a commit whose answer was lost) or another writer shares the database.
    pub async fn write_batch(
        &self,
        batch: &Batch,
        after: Option<(u64, B256)>,
        checkpoint: (u64, B256, u64),
    ) -> Result<()> {
        match &self.writer {
            Writer::Postgres(pg) => {
                let mut tx = pg.begin().await?;
                fence::<sqlx::Postgres>(&mut tx, after).await?;
                copy_rows(&mut tx, &batch.events).await?;
                write_rest::<sqlx::Postgres>(&mut tx, self.dialect, batch, checkpoint).await?;
                tx.commit().await?;
            }
            Writer::Sqlite(sqlite) => {
                // IMMEDIATE: hold SQLite's write lock from the fence to the commit.
                let mut tx = sqlite.begin_with("BEGIN IMMEDIATE").await?;
                fence::<sqlx::Sqlite>(&mut tx, after).await?;
                insert_rows::<sqlx::Sqlite, _>(&mut tx, self.dialect, &batch.events, None).await?;
                write_rest::<sqlx::Sqlite>(&mut tx, self.dialect, batch, checkpoint).await?;
                tx.commit().await?;
            }
        }
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
            Some((number, hash)) => set_checkpoint::<sqlx::Any>(&mut tx, number, hash).await?,
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
        apply_state::<sqlx::Any>(&mut tx, self.dialect, batch).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A database the write path runs on: sqlx's `Any` (SQLite, and PostgreSQL's reads) or the
/// concrete PostgreSQL driver (PostgreSQL's writes, for `COPY`).
trait Backend: sqlx::Database {
    /// Runs `sql` with `args` bound in order; returns the rows affected.
    fn run<'c>(
        conn: &'c mut Self::Connection,
        sql: String,
        args: &'c [&'c Value],
    ) -> impl std::future::Future<Output = sqlx::Result<u64>> + Send + 'c;

    /// The stored checkpoint, locked until the commit where the database can (`FOR UPDATE`).
    fn locked_checkpoint(
        conn: &mut Self::Connection,
    ) -> impl std::future::Future<Output = sqlx::Result<Option<(i64, Vec<u8>)>>> + Send;
}

macro_rules! backend {
    ($db:ty, $lock:literal) => {
        impl Backend for $db {
            async fn run<'c>(
                conn: &'c mut Self::Connection,
                sql: String,
                args: &'c [&'c Value],
            ) -> sqlx::Result<u64> {
                let mut query = sqlx::query::<$db>(AssertSqlSafe(sql));
                for v in args {
                    query = match v {
                        Value::Int(i) => query.bind(*i),
                        Value::Bytes(b) => query.bind(b.as_slice()),
                        Value::Text(t) => query.bind(t.as_str()),
                        Value::Bool(b) => query.bind(*b),
                        Value::Null(ColumnType::Int8 | ColumnType::Int2) => query.bind(None::<i64>),
                        Value::Null(ColumnType::Bytes) => query.bind(None::<Vec<u8>>),
                        Value::Null(ColumnType::Text) => query.bind(None::<String>),
                        Value::Null(ColumnType::Bool) => query.bind(None::<bool>),
                    };
                }
                Ok(query.execute(&mut *conn).await?.rows_affected())
            }

            async fn locked_checkpoint(
                conn: &mut Self::Connection,
            ) -> sqlx::Result<Option<(i64, Vec<u8>)>> {
                sqlx::query_as(concat!(
                    "SELECT block_number, block_hash FROM indexer_checkpoint WHERE id = 1",
                    $lock
                ))
                .fetch_optional(&mut *conn)
                .await
            }
        }
    };
}
// SQLite's batch transaction takes the write lock at its start (`BEGIN IMMEDIATE`); through
// `Any` run only the rollback and replay, which follow no fence.
backend!(sqlx::Any, "");
backend!(sqlx::Sqlite, "");
backend!(sqlx::Postgres, " FOR UPDATE");

/// Refuses to write unless the stored checkpoint is `after`; on PostgreSQL it also locks the
/// checkpoint row until the commit, so that two writers cannot both pass.
async fn fence<DB: Backend>(conn: &mut DB::Connection, after: Option<(u64, B256)>) -> Result<()> {
    let stored = DB::locked_checkpoint(conn)
        .await?
        .map(|(n, h)| Ok::<_, Error>((to_u64(n), to_b256(&h)?)))
        .transpose()?;
    if stored != after {
        return Err(Error::Moved(format!(
            "the batch follows block {}, but the database's checkpoint is at {}",
            after.map_or("none".into(), |(n, _)| n.to_string()),
            stored.map_or("none".into(), |(n, _)| n.to_string()),
        )));
    }
    Ok(())
}

/// Everything of a batch but its event_log rows, and the checkpoint.
async fn write_rest<DB: Backend>(
    conn: &mut DB::Connection,
    dialect: Dialect,
    batch: &Batch,
    checkpoint: (u64, B256, u64),
) -> Result<()> {
    insert_rows::<DB, _>(conn, dialect, &batch.event_accounts, None).await?;
    insert_rows::<DB, _>(conn, dialect, &batch.rule_hits, None).await?;
    insert_rows::<DB, _>(conn, dialect, &batch.profile_versions, None).await?;
    insert_rows::<DB, _>(conn, dialect, &batch.settlements, None).await?;
    apply_state::<DB>(conn, dialect, batch).await?;
    let mut seen = batch.blocks.clone();
    seen.insert(checkpoint.0, (checkpoint.1, checkpoint.2));
    let blocks: Vec<BlockRow> = seen
        .iter()
        .map(|(n, (hash, time))| BlockRow {
            block_number: *n,
            block_hash: *hash,
            block_time: *time,
        })
        .collect();
    insert_rows::<DB, _>(
        conn,
        dialect,
        &blocks,
        Some(
            "(block_number) DO UPDATE SET block_hash = excluded.block_hash, \
             block_time = excluded.block_time",
        ),
    )
    .await?;
    set_checkpoint::<DB>(conn, checkpoint.0, checkpoint.1).await
}

async fn apply_state<DB: Backend>(
    conn: &mut DB::Connection,
    dialect: Dialect,
    batch: &Batch,
) -> Result<()> {
    for Stmt { sql, args } in &batch.ops {
        let args: Vec<&Value> = args.iter().collect();
        DB::run(conn, (*sql).to_string(), &args).await?;
    }
    let balances: Vec<BalanceRow> = batch
        .balances
        .iter()
        .map(|(account, (amount, at))| BalanceRow {
            account: *account,
            amount: amount.to_string(),
            amount_micro: micro(*amount),
            block_number: at.block_number,
            log_index: at.log_index,
        })
        .collect();
    insert_rows::<DB, _>(
        conn,
        dialect,
        &balances,
        Some(
            "(account) DO UPDATE SET amount = excluded.amount, \
             amount_micro = excluded.amount_micro, block_number = excluded.block_number, \
             log_index = excluded.log_index",
        ),
    )
    .await
}

async fn set_checkpoint<DB: Backend>(
    conn: &mut DB::Connection,
    number: u64,
    hash: B256,
) -> Result<()> {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let args: [Value; 3] = [number.into(), hash.into(), now.into()];
    DB::run(
        conn,
        "INSERT INTO indexer_checkpoint (id, block_number, block_hash, updated_at) \
         VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE SET \
         block_number = excluded.block_number, block_hash = excluded.block_hash, \
         updated_at = excluded.updated_at"
            .to_string(),
        &args.iter().collect::<Vec<_>>(),
    )
    .await?;
    Ok(())
}

/// Multi-row `INSERT` (with `ON CONFLICT <conflict>` if given) in as few statements as the
/// parameter limit allows.
async fn insert_rows<DB: Backend, R: TableRow>(
    conn: &mut DB::Connection,
    dialect: Dialect,
    rows: &[R],
    conflict: Option<&str>,
) -> Result<()> {
    let max_params = match dialect {
        Dialect::Sqlite => MAX_PARAMS_SQLITE,
        Dialect::Postgres => MAX_PARAMS,
    };
    let width = R::COLUMNS.len();
    let columns: Vec<&str> = R::COLUMNS.iter().map(|c| c.name).collect();
    let per_statement = (max_params / width).max(1);
    let mut values = Vec::with_capacity(per_statement * width);
    for chunk in rows.chunks(per_statement) {
        let mut sql = format!("INSERT INTO {} ({}) VALUES ", R::TABLE, columns.join(", "));
        let mut n = 0;
        values.clear();
        for (i, row) in chunk.iter().enumerate() {
            row.values(&mut values);
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for j in 0..width {
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
        if values.len() != n {
            return Err(Error::Inconsistent(format!(
                "{} rows gave {} values for {n} placeholders",
                R::TABLE,
                values.len()
            )));
        }
        if let Some(conflict) = conflict {
            sql.push_str(" ON CONFLICT ");
            sql.push_str(conflict);
        }
        let args: Vec<&Value> = values.iter().collect();
        DB::run(conn, sql, &args).await?;
    }
    Ok(())
}

/// Rows through PostgreSQL's binary `COPY`, sent in pieces while they are encoded.
async fn copy_rows<R: TableRow>(conn: &mut sqlx::PgConnection, rows: &[R]) -> Result<()> {
    const PIECE: usize = 1 << 20;
    if rows.is_empty() {
        return Ok(());
    }
    let columns: Vec<&str> = R::COLUMNS.iter().map(|c| c.name).collect();
    let mut copy = conn
        .copy_in_raw(&format!(
            "COPY {} ({}) FROM STDIN (FORMAT binary)",
            R::TABLE,
            columns.join(", ")
        ))
        .await?;
    let mut buf = Vec::with_capacity(PIECE + 4096);
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    buf.extend_from_slice(&[0; 8]); // flags, header extension length
    let mut values = Vec::with_capacity(R::COLUMNS.len());
    for row in rows {
        values.clear();
        row.values(&mut values);
        buf.extend_from_slice(&(R::COLUMNS.len() as i16).to_be_bytes());
        for (value, column) in values.iter().zip(R::COLUMNS) {
            encode_binary(&mut buf, value, column.ty)?;
        }
        if buf.len() >= PIECE {
            copy.send(buf.as_slice()).await?;
            buf.clear();
        }
    }
    buf.extend_from_slice(&(-1i16).to_be_bytes());
    copy.send(buf.as_slice()).await?;
    copy.finish().await?;
    Ok(())
}

/// One field of a binary `COPY` row: its length (-1 for NULL), then its bytes.
fn encode_binary(buf: &mut Vec<u8>, value: &Value, column: ColumnType) -> Result<()> {
    let field = |buf: &mut Vec<u8>, bytes: &[u8]| {
        buf.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
        buf.extend_from_slice(bytes);
    };
    match (value, column) {
        (Value::Null(_), _) => buf.extend_from_slice(&(-1i32).to_be_bytes()),
        (Value::Int(i), ColumnType::Int8) => field(buf, &i.to_be_bytes()),
        (Value::Int(i), ColumnType::Int2) => {
            let small = i16::try_from(*i)
                .map_err(|_| Error::Inconsistent(format!("{i} does not fit a SMALLINT column")))?;
            field(buf, &small.to_be_bytes())
        }
        (Value::Bytes(b), ColumnType::Bytes) => field(buf, b),
        (Value::Text(t), ColumnType::Text) => field(buf, t.as_bytes()),
        (Value::Bool(b), ColumnType::Bool) => field(buf, &[u8::from(*b)]),
        (value, _) => {
            return Err(Error::Inconsistent(format!(
                "{value:?} does not match its column's type {column:?}"
            )));
        }
    }
    Ok(())
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
