//! Integration tests of the indexer against real anvil chains and real databases (SQLite
//! files, and PostgreSQL when `TIMEBANK_TEST_POSTGRES_URL` names a server — `make test` starts
//! one).

mod gateway_tables;
mod ingest;
mod migrations;
mod partners;
mod resilience;
