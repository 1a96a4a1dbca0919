//! The SQL side: one code path for SQLite and PostgreSQL through sqlx's `Any` driver, with the
//! same migrations' semantics on both (`migrations/sqlite`, `migrations/postgres`).

mod digest;
mod write;

pub use digest::{TableDigest, digest_tables};

use crate::{Error, Result, config::redact, project::Batch};
use alloy::primitives::{Address, B256, U256};
use sqlx::{AssertSqlSafe, Row, any::AnyPoolOptions};
use std::{collections::HashMap, str::FromStr};
use write::{
    apply_state, copy_rows, fence, insert_rows, next_standing_version, set_checkpoint, write_rest,
};
pub(crate) use write::{rows_per_statement, value_tuples};

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

/// The concrete driver's pool, for reads of many rows (no `Any` conversion of every value).
pub(crate) enum Typed<'a> {
    Sqlite(&'a sqlx::SqlitePool),
    Postgres(&'a sqlx::PgPool),
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
    "partner_consent",
];

/// The state tables [`Store::standing`] reads: a batch or rollback that writes one of them moves
/// `standing_version` on (see `migrations/*/0008_standing_version.sql`).
pub const STANDING_TABLES: &[&str] = &[
    "branch",
    "role_member",
    "operator",
    "member",
    "credential_type",
];

/// Tables the gateway writes (never the indexer; never rolled back by a reorg).
pub const GATEWAY_TABLES: &[&str] = &[
    "access_log",
    "access_log_head",
    "note",
    "pending_note",
    "gateway_session",
    "sign_in_nonce",
    "relay_gas",
    "partner_endpoint",
    "webhook_delivery",
];

/// Tables the risk agent (`timebank-riskscan`) writes; the gateway reads them. Never rolled back
/// by a reorg.
pub const RISK_TABLES: &[&str] = &["risk_finding", "platform_finding"];

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
    "webhook_outbox",
    "webhook_cancellation",
];

/// [`Store::logs_after`]'s statement (walks the (block, log) index from its place).
const LOGS_AFTER_SQL: &str = "SELECT block_number, block_hash, block_time, tx_hash, log_index, \
     address, topics, data FROM event_log WHERE (block_number, log_index) > ($1, $2) \
     ORDER BY block_number, log_index LIMIT $3";

impl Store {
    /// The concrete driver's pool (the writer's; the processes that read through it write
    /// nothing in batches).
    pub(crate) fn typed(&self) -> Typed<'_> {
        match &self.writer {
            Writer::Sqlite(pool) => Typed::Sqlite(pool),
            Writer::Postgres(pool) => Typed::Postgres(pool),
        }
    }

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
        // An SQLite connection lives in this process and cannot go away: checking it before
        // each use (sqlx's default, right for a server's connection) would be one more round
        // trip to its worker thread per query.
        let check_connections = dialect == Dialect::Postgres;
        let pool = AnyPoolOptions::new()
            .max_connections(if dialect == Dialect::Sqlite { 4 } else { 8 })
            .test_before_acquire(check_connections)
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
                        .test_before_acquire(check_connections)
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
            // A branch's services connect with roles that may read and write rows but not
            // change the schema (`timebank-kit database` applies the migrations and grants:
            // docs/deploy.md): a schema that has every migration is left alone.
            Dialect::Postgres => {
                let migrator = sqlx::migrate!("migrations/postgres");
                if !store.has_every_migration(&migrator).await {
                    migrator.run(&store.pool).await.map_err(|err| {
                        if err.to_string().contains("permission denied") {
                            Error::Config(format!(
                                "the database lacks migrations this program needs, and its \
                                 role may not apply them ({err}): run `timebank-kit database` \
                                 as PostgreSQL's superuser first (docs/deploy.md)"
                            ))
                        } else {
                            err.into()
                        }
                    })?
                }
            }
        }
        Ok(store)
    }

    /// Whether the database has applied each of `migrator`'s migrations, as written.
    async fn has_every_migration(&self, migrator: &sqlx::migrate::Migrator) -> bool {
        let Ok(rows) = sqlx::query(AssertSqlSafe(format!(
            "SELECT version, checksum FROM {} WHERE success",
            migrator.table_name
        )))
        .fetch_all(&self.pool)
        .await
        else {
            return false;
        };
        let applied: HashMap<i64, Vec<u8>> = rows
            .iter()
            .filter_map(|r| Some((r.try_get("version").ok()?, r.try_get("checksum").ok()?)))
            .collect();
        migrator
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .all(|m| applied.get(&m.version) == Some(&m.checksum.to_vec()))
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
        next_standing_version::<sqlx::Any>(&mut tx).await?;
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
        let rows = sqlx::query(LOGS_AFTER_SQL)
            .bind(block)
            .bind(log)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(crate::project::RawLog {
                    at: crate::project::LogRef {
                        block_number: to_u64(r.try_get(0)?),
                        block_hash: to_b256(&r.try_get::<Vec<u8>, _>(1)?)?,
                        block_time: to_u64(r.try_get(2)?),
                        tx_hash: to_b256(&r.try_get::<Vec<u8>, _>(3)?)?,
                        log_index: to_u64(r.try_get(4)?),
                    },
                    address: to_address(&r.try_get::<Vec<u8>, _>(5)?)?,
                    data: to_log_data(&r.try_get::<Vec<u8>, _>(6)?, r.try_get(7)?)?,
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

/// Creates the database `name` on the PostgreSQL server at `server` (any database URL of it),
/// unless it exists; with `fresh`, drops it first. Returns the URL of `name`, with the server
/// URL's user, host and parameters.
pub async fn create_database(server: &str, name: &str, fresh: bool) -> Result<String> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(Error::Config(format!(
            "{name:?} is not a database name (lower-case letters, digits and _)"
        )));
    }
    let mut url = url::Url::parse(server)
        .map_err(|err| Error::Config(format!("{}: {err}", redact(server))))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(Error::Config(format!(
            "{} is not a PostgreSQL URL",
            redact(server)
        )));
    }
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(server).await?;
    if fresh {
        sqlx::query(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
            .execute(&mut conn)
            .await?;
    }
    let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut conn)
        .await?
        .is_some();
    if !exists {
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
    }
    url.set_path(&format!("/{name}"));
    Ok(url.to_string())
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

/// A stored log's topics (32 bytes each, concatenated) and data.
pub fn to_log_data(topics: &[u8], data: Vec<u8>) -> Result<alloy::primitives::LogData> {
    if !topics.len().is_multiple_of(32) || topics.len() > 4 * 32 {
        return Err(Error::Inconsistent(format!(
            "stored topics have {} bytes, not up to four 32-byte words",
            topics.len()
        )));
    }
    let topics = topics.chunks(32).map(to_b256).collect::<Result<Vec<_>>>()?;
    Ok(alloy::primitives::LogData::new_unchecked(
        topics,
        data.into(),
    ))
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// A migration as PostgreSQL reads it: SQLite's spelling of the two types that differ
    /// replaced, blanks collapsed.
    fn normalized(sql: &str, sqlite: bool) -> Vec<String> {
        sql.lines()
            .map(|line| {
                let mut line = line.split_whitespace().collect::<Vec<_>>().join(" ");
                if sqlite {
                    line = line
                        .replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
                        .replace("BLOB", "BYTEA");
                }
                line.replace(" ,", ",")
            })
            .filter(|line| !line.is_empty())
            .collect()
    }

    fn migrations(dialect: &str) -> Vec<(String, String)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(dialect);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| {
                let path = entry.unwrap().path();
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&path).unwrap())
            })
            .collect();
        files.sort();
        files
    }

    /// Reads "after a place" (the live stream's poll, the replay after a reorg, the risk
    /// agent's scan) start from that place on the (block, log) index: SQLite plans a SEARCH
    /// bounded by the place, never a SCAN of the whole event log.
    #[tokio::test]
    async fn reads_after_a_place_walk_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("plans.sqlite").display());
        let store = super::Store::connect(&url).await.unwrap();
        let super::Typed::Sqlite(pool) = store.typed() else {
            unreachable!("a SQLite store")
        };
        for sql in [
            crate::query::events_after_sql(3),
            super::LOGS_AFTER_SQL.to_owned(),
            crate::query::risk::SCAN_PAYMENTS_SQL.to_owned(),
        ] {
            let plan: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                    .fetch_all(pool)
                    .await
                    .unwrap();
            let steps: Vec<&str> = plan.iter().map(|(.., detail)| detail.as_str()).collect();
            assert!(
                steps.iter().any(
                    |s| s.starts_with("SEARCH") && s.contains("(block_number,log_index)>(?,?)")
                ),
                "{sql}: {steps:?}"
            );
            assert!(
                !steps.iter().any(|s| s.starts_with("SCAN")),
                "{sql}: {steps:?}"
            );
        }
    }

    #[test]
    fn sqlite_and_postgresql_migrations_are_one_schema() {
        let (sqlite, postgres) = (migrations("sqlite"), migrations("postgres"));
        let names = |m: &[(String, String)]| m.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(&sqlite), names(&postgres), "the same migrations");
        for ((name, lite), (_, pg)) in sqlite.iter().zip(&postgres) {
            let (lite, pg) = (normalized(lite, true), normalized(pg, false));
            for (n, (a, b)) in lite.iter().zip(&pg).enumerate() {
                assert_eq!(
                    a, b,
                    "{name}, statement line {n}: SQLite and PostgreSQL differ beyond BLOB/BYTEA"
                );
            }
            assert_eq!(lite.len(), pg.len(), "{name}: one is longer");
        }
    }
}
