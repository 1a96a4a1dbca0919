//! A branch's PostgreSQL database: one role per service, named as the service's system user
//! (PostgreSQL's `peer` sign-in on the local socket: no password anywhere), each with only the
//! grants its work needs. `timebank-kit database`, run as PostgreSQL's superuser, creates the
//! roles and the database, applies the migrations and grants; it is run again after an
//! upgrade, before the services restart (they never change the schema themselves).
//!
//! # Who writes what
//!
//! Each table has exactly one writer, listed once in `timebank_indexer::store`:
//! the indexer's projections ([`STATE_TABLES`], [`APPEND_TABLES`]) and its bookkeeping
//! ([`INDEXER_BOOKKEEPING`], here), the gateway's [`GATEWAY_TABLES`], the risk agent's
//! [`RISK_TABLES`]. **A table a migration adds goes into its writer's list**;
//! `deploy/tests/database.rs` fails while a table in the migrations has no writer, and
//! [`grant`] refuses a database holding a table it does not know.
//!
//! Reads follow from the writers: the indexer reads its own tables, the risk agent the
//! indexer's and its own, the gateway and the backup job everything.

use eyre::WrapErr;
use sqlx::{Connection, Executor, PgConnection, Row};
use std::collections::BTreeSet;
use timebank_indexer::store::{APPEND_TABLES, GATEWAY_TABLES, RISK_TABLES, STATE_TABLES, VIEWS};

/// The indexer's own bookkeeping: where it is, and the version of the state the gateway caches.
pub const INDEXER_BOOKKEEPING: &[&str] = &["indexer_checkpoint", "standing_version"];

/// The migrations' own record: every service reads it to check the schema is the one it needs.
pub const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// A service with its own system user and database role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    /// `timebank-indexer`: writes the chain's projections.
    Indexer,
    /// `timebank-gateway`: writes its own tables (sessions, the access log, webhooks), reads all.
    Gateway,
    /// `timebank-riskscan`: writes its findings, reads the projections it scans.
    RiskAgent,
    /// `timebank-backup`: reads everything, writes nothing.
    Backup,
}

impl Service {
    /// Every service.
    pub const ALL: [Self; 4] = [Self::Indexer, Self::Gateway, Self::RiskAgent, Self::Backup];

    /// Its system user, which is also its database role.
    pub fn user(self) -> &'static str {
        match self {
            Self::Indexer => "timebank-indexer",
            Self::Gateway => "timebank-gateway",
            Self::RiskAgent => "timebank-riskscan",
            Self::Backup => "timebank-backup",
        }
    }

    /// The tables it writes (inserts, updates, deletes).
    pub fn writes(self) -> Vec<&'static str> {
        match self {
            Self::Indexer => [STATE_TABLES, APPEND_TABLES, INDEXER_BOOKKEEPING].concat(),
            Self::Gateway => GATEWAY_TABLES.to_vec(),
            Self::RiskAgent => RISK_TABLES.to_vec(),
            Self::Backup => Vec::new(),
        }
    }

    /// The tables and views it reads.
    pub fn reads(self) -> Vec<&'static str> {
        let mut reads: Vec<&str> = match self {
            Self::Indexer => Self::Indexer.writes(),
            Self::RiskAgent => [Self::Indexer.writes(), Self::RiskAgent.writes()].concat(),
            Self::Gateway | Self::Backup => tables().into_iter().collect(),
        };
        reads.extend(VIEWS);
        reads.push(MIGRATIONS_TABLE);
        reads
    }
}

/// Every table the services use (views aside), each with one writer.
pub fn tables() -> BTreeSet<&'static str> {
    Service::ALL.iter().flat_map(|s| s.writes()).collect()
}

/// Quotes an SQL identifier (role names have `-` in them).
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Creates what is missing of the services' roles and of `database` on the server at
/// `server_url` (as its superuser), applies the migrations, and grants each role its tables
/// ([`grant`]). Safe to run again: after an upgrade, it applies the new migrations and grants.
pub async fn setup(server_url: &str, database: &str) -> eyre::Result<()> {
    eyre::ensure!(
        !database.is_empty()
            && database
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        "database name {database:?}: letters, digits, _ and - only"
    );
    let mut server = PgConnection::connect(server_url)
        .await
        .wrap_err("connecting to PostgreSQL as its superuser")?;
    for service in Service::ALL {
        let exists = sqlx::query("SELECT 1 FROM pg_roles WHERE rolname = $1")
            .bind(service.user())
            .fetch_optional(&mut server)
            .await?
            .is_some();
        if !exists {
            // No password: it signs in as its system user over the local socket (`peer`).
            server
                .execute(sqlx::AssertSqlSafe(format!(
                    "CREATE ROLE {} LOGIN",
                    ident(service.user())
                )))
                .await
                .wrap_err_with(|| format!("creating the role {}", service.user()))?;
        }
    }
    let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(database)
        .fetch_optional(&mut server)
        .await?
        .is_some();
    if !exists {
        server
            .execute(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE {}",
                ident(database)
            )))
            .await
            .wrap_err_with(|| format!("creating the database {database}"))?;
    }
    let roles = Service::ALL.map(|s| ident(s.user())).join(", ");
    server
        .execute(sqlx::AssertSqlSafe(format!(
            "REVOKE ALL ON DATABASE {db} FROM PUBLIC; GRANT CONNECT ON DATABASE {db} TO {roles}",
            db = ident(database)
        )))
        .await?;
    server.close().await?;

    let mut url = url::Url::parse(server_url).wrap_err("the server's URL")?;
    url.set_path(database);
    // The superuser applies the migrations: it owns the schema, the services own nothing.
    timebank_indexer::Store::connect(url.as_str())
        .await
        .wrap_err("applying the migrations")?;
    let mut db = PgConnection::connect(url.as_str()).await?;
    grant(&mut db).await?;
    db.close().await?;
    Ok(())
}

/// Grants each service's role what [`Service::writes`] and [`Service::reads`] say on the
/// database `db` is connected to, and nothing else (what a role held before is revoked first,
/// in the same transaction). Refuses a database with a table no service is listed as writing.
pub async fn grant(db: &mut PgConnection) -> eyre::Result<()> {
    let present: BTreeSet<String> = sqlx::query(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v')",
    )
    .fetch_all(&mut *db)
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>(0))
    .collect::<Result<_, _>>()?;
    let known: BTreeSet<&str> = tables()
        .into_iter()
        .chain(VIEWS.iter().copied())
        .chain([MIGRATIONS_TABLE])
        .collect();
    let unknown: Vec<&String> = present
        .iter()
        .filter(|t| !known.contains(t.as_str()))
        .collect();
    eyre::ensure!(
        unknown.is_empty(),
        "the database has tables no service is listed as writing: {unknown:?}; add each to its \
         writer's list in timebank_indexer::store (deploy/src/database.rs says where)"
    );
    let missing: Vec<&&str> = known.iter().filter(|t| !present.contains(**t)).collect();
    eyre::ensure!(
        missing.is_empty(),
        "the database lacks {missing:?}: apply the migrations first"
    );
    // Each table's sequences (BIGSERIAL ids): its writer takes the next value.
    let sequences: Vec<(String, String)> = sqlx::query(
        "SELECT s.relname AS sequence, t.relname AS owner FROM pg_class s \
         JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass \
         JOIN pg_class t ON t.oid = d.refobjid \
         JOIN pg_namespace n ON n.oid = s.relnamespace \
         WHERE s.relkind = 'S' AND n.nspname = 'public'",
    )
    .fetch_all(&mut *db)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("sequence")?, r.try_get("owner")?)))
    .collect::<Result<_, sqlx::Error>>()?;

    let mut tx = db.begin().await?;
    let all_roles = Service::ALL.map(|s| ident(s.user())).join(", ");
    let mut sql = vec![
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC".to_owned(),
        format!("GRANT USAGE ON SCHEMA public TO {all_roles}"),
        format!("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {all_roles}"),
        format!("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {all_roles}"),
    ];
    for service in Service::ALL {
        let role = ident(service.user());
        sql.push(format!(
            "GRANT SELECT ON {} TO {role}",
            service.reads().join(", ")
        ));
        let writes = service.writes();
        if !writes.is_empty() {
            sql.push(format!(
                "GRANT INSERT, UPDATE, DELETE ON {} TO {role}",
                writes.join(", ")
            ));
        }
        for (sequence, owner) in &sequences {
            if writes.contains(&owner.as_str()) {
                sql.push(format!(
                    "GRANT USAGE, SELECT ON SEQUENCE {} TO {role}",
                    ident(sequence)
                ));
            } else if service == Service::Backup {
                sql.push(format!(
                    "GRANT SELECT ON SEQUENCE {} TO {role}",
                    ident(sequence)
                ));
            }
        }
    }
    for statement in sql {
        tx.execute(sqlx::AssertSqlSafe(statement.clone()))
            .await
            .wrap_err_with(|| format!("granting: {statement}"))?;
    }
    tx.commit().await?;
    Ok(())
}
