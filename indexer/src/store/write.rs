//! The write path: a batch in one transaction, behind a fence on the checkpoint; rows as
//! multi-row `INSERT`s (SQLite) or binary `COPY` (PostgreSQL's append-only tables).

use super::{Dialect, to_b256, to_u64};
use crate::{
    Error, Result,
    project::{BalanceRow, Batch, BlockRow, ColumnType, Row as TableRow, Stmt, Value, micro},
};
use alloy::primitives::B256;
use sqlx::AssertSqlSafe;

/// Parameters per PostgreSQL statement (its limit is 65,535; 3,000 measured a little faster
/// than 30,000 or 60,000 with `make bench-indexer`).
const MAX_PARAMS: usize = 3_000;
/// Parameters per SQLite statement (its limit is 32,766). SQLite statements use positional `?`
/// placeholders: with `$N`, sqlx resolves each by name and a 30,000-parameter statement took
/// 25 times longer.
const MAX_PARAMS_SQLITE: usize = 30_000;

/// A database the write path runs on: sqlx's `Any` (SQLite, and PostgreSQL's reads) or the
/// concrete PostgreSQL driver (PostgreSQL's writes, for `COPY`).
pub(super) trait Backend: sqlx::Database {
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
pub(super) async fn fence<DB: Backend>(
    conn: &mut DB::Connection,
    after: Option<(u64, B256)>,
) -> Result<()> {
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
pub(super) async fn write_rest<DB: Backend>(
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

pub(super) async fn apply_state<DB: Backend>(
    conn: &mut DB::Connection,
    dialect: Dialect,
    batch: &Batch,
) -> Result<()> {
    for Stmt { sql, args } in &batch.ops {
        let args: Vec<&Value> = args.iter().collect();
        DB::run(conn, (*sql).to_string(), &args).await?;
    }
    if batch.ops.iter().any(|op| changes_standing(op.sql)) {
        next_standing_version::<DB>(conn).await?;
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

/// Whether `sql` writes a table [`super::STANDING_TABLES`] names; a statement whose table is not
/// recognised counts as one that does (a needless re-read is the only cost).
fn changes_standing(sql: &str) -> bool {
    ["INSERT INTO ", "UPDATE ", "DELETE FROM "]
        .iter()
        .find_map(|verb| sql.strip_prefix(verb))
        .and_then(|rest| rest.split([' ', '(']).next())
        .is_none_or(|table| super::STANDING_TABLES.contains(&table))
}

/// Moves `standing_version` on, in the transaction that changed someone's standing.
pub(super) async fn next_standing_version<DB: Backend>(conn: &mut DB::Connection) -> Result<()> {
    DB::run(
        conn,
        "UPDATE standing_version SET version = version + 1 WHERE id = 1".to_string(),
        &[],
    )
    .await?;
    Ok(())
}

pub(super) async fn set_checkpoint<DB: Backend>(
    conn: &mut DB::Connection,
    number: u64,
    hash: B256,
) -> Result<()> {
    let now = crate::unix_now();
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

/// Rows of `width` values that one statement takes on `dialect`.
pub(crate) fn rows_per_statement(dialect: Dialect, width: usize) -> usize {
    let max_params = match dialect {
        Dialect::Sqlite => MAX_PARAMS_SQLITE,
        Dialect::Postgres => MAX_PARAMS,
    };
    (max_params / width).max(1)
}

/// A multi-row statement's `VALUES` list: `rows` tuples of `width` placeholders, bound in
/// order. SQLite gets positional `?` (sqlx resolves `$N` by name, in time growing with the
/// statement's parameter count); PostgreSQL `$1, $2, ...`.
pub(crate) fn value_tuples(dialect: Dialect, rows: usize, width: usize) -> String {
    let mut sql = String::with_capacity(rows * width * 6);
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..width {
            if column > 0 {
                sql.push_str(", ");
            }
            match dialect {
                Dialect::Sqlite => sql.push('?'),
                Dialect::Postgres => {
                    sql.push('$');
                    sql.push_str(&(row * width + column + 1).to_string());
                }
            }
        }
        sql.push(')');
    }
    sql
}

/// How a multi-row statement inserts. On SQLite, `OR FAIL`: a statement that may stop halfway
/// with `ABORT` (the default) must first copy each page it changes to a statement journal, to
/// undo its own rows; with `FAIL` the rows before the failing one stay, and the error rolls
/// back the whole transaction anyway (a batch is all or nothing). A tenth of a backfill's
/// writing, measured with `make bench-indexer`.
fn insert_verb(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "INSERT OR FAIL INTO",
        Dialect::Postgres => "INSERT INTO",
    }
}

/// Multi-row `INSERT` (with `ON CONFLICT <conflict>` if given) in as few statements as the
/// parameter limit allows.
pub(super) async fn insert_rows<DB: Backend, R: TableRow>(
    conn: &mut DB::Connection,
    dialect: Dialect,
    rows: &[R],
    conflict: Option<&str>,
) -> Result<()> {
    let width = R::COLUMNS.len();
    let columns: Vec<&str> = R::COLUMNS.iter().map(|c| c.name).collect();
    let per_statement = rows_per_statement(dialect, width);
    let mut values = Vec::with_capacity(per_statement * width);
    for chunk in rows.chunks(per_statement) {
        values.clear();
        for row in chunk {
            row.values(&mut values);
        }
        let n = chunk.len() * width;
        if values.len() != n {
            return Err(Error::Inconsistent(format!(
                "{} rows gave {} values for {n} placeholders",
                R::TABLE,
                values.len()
            )));
        }
        let mut sql = format!(
            "{} {} ({}) VALUES {}",
            insert_verb(dialect),
            R::TABLE,
            columns.join(", "),
            value_tuples(dialect, chunk.len(), width)
        );
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
pub(super) async fn copy_rows<R: TableRow>(
    conn: &mut sqlx::PgConnection,
    rows: &[R],
) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use super::{Dialect, changes_standing, value_tuples};

    #[test]
    fn value_tuples_number_postgresql_and_leave_sqlite_positional() {
        assert_eq!(
            value_tuples(Dialect::Postgres, 2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(value_tuples(Dialect::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }

    #[test]
    fn a_statement_changes_standing_by_the_table_it_writes() {
        for sql in [
            "INSERT INTO role_member (role, account) VALUES ($1, $2)",
            "DELETE FROM operator WHERE account = $1",
            "UPDATE member SET risk = $2 WHERE account = $1",
            "INSERT INTO branch(branch_id) VALUES ($1)",
            "UPDATE credential_type SET active = $2",
            // Not recognised: counted as a change.
            "WITH x AS (SELECT 1) UPDATE activity SET status = 2",
        ] {
            assert!(changes_standing(sql), "{sql}");
        }
        for sql in [
            "INSERT INTO coin_hold (hold_id) VALUES ($1)",
            "UPDATE member_note SET x = 1",
            "UPDATE credential SET revoked = TRUE WHERE member_id = $1",
            "DELETE FROM branch_key_proposal WHERE branch_id = $1",
        ] {
            assert!(!changes_standing(sql), "{sql}");
        }
    }
}
