//! The branch database's roles (`timebank-kit database`): every table of the migrations has one
//! writer; on a real PostgreSQL server each service's role does its own work and is refused
//! the others' writes; the backup role dumps the database and writes nothing.

use alloy::primitives::{Address, B256};
use sqlx::{Connection, PgConnection};
use std::{collections::BTreeMap, path::Path, process::Command};
use timebank_indexer::{Store, store::VIEWS};
use timebank_kit::database::{self, MIGRATIONS_TABLE, Service};

/// The tables and views the PostgreSQL migrations leave, in order of the migrations.
fn migrated() -> (Vec<String>, Vec<String>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../indexer/migrations/postgres");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut tables, mut views) = (Vec::<String>::new(), Vec::<String>::new());
    for file in files {
        let sql = std::fs::read_to_string(&file).unwrap().to_lowercase();
        let words: Vec<&str> = sql
            .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
            .filter(|w| !w.is_empty())
            .collect();
        for w in words.windows(6) {
            match w {
                ["create", "table", name, ..] => tables.push(name.to_string()),
                ["create", "view", name, ..] => views.push(name.to_string()),
                ["drop", "table", name, ..] => tables.retain(|t| t != name),
                ["drop", "view", name, ..] => views.retain(|t| t != name),
                ["alter", "table", old, "rename", "to", new] => {
                    tables.retain(|t| t != old);
                    tables.push(new.to_string());
                }
                _ => {}
            }
        }
    }
    (tables, views)
}

/// A table added by a migration needs a writer before any branch can grant it: this fails until
/// it is in its writer's list (`deploy/src/database.rs` says where).
#[test]
fn every_table_in_the_migrations_has_one_writer() {
    let (tables, views) = migrated();
    assert!(
        tables.len() >= 30 && tables.contains(&"event_log".to_owned()),
        "{tables:?}"
    );
    let mut writers: BTreeMap<&str, Vec<Service>> = BTreeMap::new();
    for service in Service::ALL {
        for table in service.writes() {
            writers.entry(table).or_default().push(service);
        }
    }
    for table in &tables {
        match writers.get(table.as_str()).map(Vec::as_slice) {
            Some([_]) => {}
            Some(many) => panic!("{table} has more than one writer: {many:?}"),
            None => panic!(
                "{table} (in the migrations) has no writer: add it to its writer's list in \
                 timebank_indexer::store"
            ),
        }
    }
    for table in writers.keys() {
        assert!(
            tables.iter().any(|t| t == table),
            "{table} is listed but no migration makes it"
        );
    }
    assert_eq!(views, VIEWS, "views are read, never written");
    assert!(Service::Backup.writes().is_empty());
}

/// Whether a statement was refused for want of a privilege (SQLSTATE 42501).
fn refused(result: Result<sqlx::postgres::PgQueryResult, sqlx::Error>) -> bool {
    match result {
        Ok(_) => false,
        Err(sqlx::Error::Database(err)) => err.code().as_deref() == Some("42501"),
        Err(err) => panic!("not a privilege error: {err}"),
    }
}

/// The URL of `database` on the test server, signed in as `role` (the test server trusts
/// loopback, as a branch's server trusts each service's system user on its socket).
fn as_role(server: &str, database: &str, role: &str) -> String {
    let mut url = url::Url::parse(server).unwrap();
    url.set_path(database);
    url.set_username(role).unwrap();
    url.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_service_role_does_its_work_and_is_refused_the_others_writes() {
    let dir = tempfile::tempdir().unwrap();
    // Skips without a server (a developer's quick run); `make test` and CI always have one.
    let Some(fresh) = timebank_testkit::fresh_database(true, dir.path()).await else {
        return;
    };
    let server = std::env::var("TIMEBANK_TEST_POSTGRES_URL").unwrap();
    let name = url::Url::parse(&fresh).unwrap().path()[1..].to_owned();
    database::setup(&server, &name).await.unwrap();
    // Again, as after an upgrade: nothing changes, nothing fails.
    database::setup(&server, &name).await.unwrap();
    let url = |s: Service| as_role(&server, &name, s.user());

    // The indexer, as its role, follows a chain with every kind of event into the database.
    let chain = timebank_testkit::Chain::start().await;
    chain.scenario().await;
    let c = &chain;
    let indexed = timebank_testkit::index_to_head(&chain, &url(Service::Indexer)).await;
    assert!(indexed.count("member").await.unwrap() >= 2);

    // The gateway, as its role: sessions, nonces, the gas budget, the access log, and reads of
    // every kind (cases join the gateway's notes, the agent's findings, the projections).
    let gateway = Store::connect(&url(Service::Gateway)).await.unwrap();
    gateway
        .open_session(B256::repeat_byte(1), c.alice, 1, 2)
        .await
        .unwrap();
    assert!(
        gateway
            .issue_sign_in_nonce("n1", "127.0.0.1", 1, 2, 20)
            .await
            .unwrap()
    );
    gateway
        .add_relay_gas(&[(c.alice, 1, 21_000, 1_000_000)])
        .await
        .unwrap();
    gateway
        .keep_note(B256::repeat_byte(2), "a note", c.supervisor, 1)
        .await
        .unwrap();
    assert!(
        !gateway
            .cases(&timebank_indexer::query::CaseQuery {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap()
            .is_empty()
    );

    // The risk agent, as its role: reads the payments it scans, writes a finding.
    let agent = Store::connect(&url(Service::RiskAgent)).await.unwrap();
    agent
        .scan_payments((0, 0), u64::MAX >> 2, Address::ZERO, 100)
        .await
        .unwrap();
    let finding = timebank_indexer::query::risk::NewRiskFinding {
        fingerprint: B256::repeat_byte(3),
        detector: "mule".into(),
        account: c.bob,
        counterparty: Address::ZERO,
        severity: 2,
        score: 1,
        summary: "收到 / received".into(),
        evidence: "{}".into(),
        reason_hash: B256::repeat_byte(4),
        first_block: 1,
        last_block: 1,
        found_at: 1,
    };
    assert!(agent.insert_risk_finding(&finding).await.unwrap().is_some());

    // Every table against every role: read what `reads` says, write what `writes` says, and
    // nothing else — not a projection by the gateway, not the gateway's tables by the agent,
    // not anything by the backup role. No role changes the schema.
    for service in Service::ALL {
        let mut conn = PgConnection::connect(&url(service)).await.unwrap();
        let (reads, writes) = (service.reads(), service.writes());
        for table in database::tables()
            .into_iter()
            .chain(VIEWS.iter().copied())
            .chain([MIGRATIONS_TABLE])
        {
            let who = service.user();
            let read = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT * FROM {table} LIMIT 0"
            )))
            .execute(&mut conn)
            .await;
            assert_eq!(
                !refused(read),
                reads.contains(&table),
                "{who} reading {table}"
            );
            if VIEWS.contains(&table) || table == MIGRATIONS_TABLE {
                continue;
            }
            for statement in [
                format!("INSERT INTO {table} SELECT * FROM {table} WHERE FALSE"),
                format!("DELETE FROM {table} WHERE FALSE"),
            ] {
                let write = sqlx::query(sqlx::AssertSqlSafe(statement.clone()))
                    .execute(&mut conn)
                    .await;
                // An INSERT also reads the table it selects from: refused without either.
                let allowed = writes.contains(&table)
                    && (statement.starts_with("DELETE") || reads.contains(&table));
                assert_eq!(!refused(write), allowed, "{who}: {statement}");
            }
        }
        for ddl in [
            "CREATE TABLE intruder (x BIGINT)",
            "DROP TABLE member",
            "ALTER TABLE access_log DROP COLUMN entry_hash",
        ] {
            let changed = sqlx::query(ddl).execute(&mut conn).await;
            assert!(refused(changed), "{}: {ddl}", service.user());
        }
        conn.close().await.unwrap();
    }
    // The examples the roles exist for, spelt out.
    let mut gateway_conn = PgConnection::connect(&url(Service::Gateway)).await.unwrap();
    assert!(refused(
        sqlx::query("UPDATE member SET risk = 0")
            .execute(&mut gateway_conn)
            .await
    ));
    let mut agent_conn = PgConnection::connect(&url(Service::RiskAgent))
        .await
        .unwrap();
    assert!(refused(
        sqlx::query("DELETE FROM access_log")
            .execute(&mut agent_conn)
            .await
    ));
    assert!(refused(
        sqlx::query("SELECT * FROM gateway_session")
            .execute(&mut agent_conn)
            .await
    ));

    // The backup job, as its role, dumps the whole database with the branch's own script.
    let backups = dir.path().join("backups");
    let out = Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("branch-db"))
        .arg("backup")
        .env("TIMEBANK_DATABASE_URL", url(Service::Backup))
        .env("TIMEBANK_BACKUP_DIR", &backups)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the backup role's dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump = std::fs::read_dir(&backups)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert!(dump.metadata().unwrap().len() > 10_000, "{dump:?}");

    // A database holding a table nobody is listed as writing is refused, by name.
    let mut owner = PgConnection::connect(&fresh).await.unwrap();
    sqlx::query("CREATE TABLE partner_secret_v2 (x BIGINT)")
        .execute(&mut owner)
        .await
        .unwrap();
    let err = database::grant(&mut owner).await.unwrap_err().to_string();
    assert!(err.contains("partner_secret_v2"), "{err}");
}
