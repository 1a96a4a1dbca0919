//! timebank's event indexer: follows the timebank contracts into SQL.
//!
//! Each branch runs one next to its node, so that its staff see every branch's changes —
//! registrations, licence changes, risk levels, payments, alerts and case decisions — in their
//! own database within a block. SQLite is the embedded default; PostgreSQL is for production.
//!
//! The indexer backfills with `eth_getLogs` in ranges that adapt to the node's limits, then
//! follows the head (woken by a WebSocket subscription when configured, polling otherwise).
//! Each batch's rows and the checkpoint are written in one database transaction, so a process
//! killed at any moment resumes where its last commit left off, losing and duplicating nothing.
//! Reorgs are found by checking the stored checkpoint hash against the chain; the append-only
//! tables are rolled back to the fork point and the current-state tables replayed.
//!
//! # Layout
//! - [`config`]: settings from flags, environment and a TOML file
//! - [`decode`]: logs to named, JSON-decoded events, and the accounts they involve
//! - [`project`]: decoded events to row sets (the projections)
//! - [`store`]: the SQL side: migrations, batched writes, checkpoint, rollback
//! - [`ingest`]: the backfill / follow / reorg loop, [`run`]
//! - [`query`]: the reads the gateway uses
//! - [`telemetry`]: progress bar and Prometheus metrics

pub mod config;
pub mod decode;
pub mod ingest;
pub mod project;
pub mod query;
pub mod store;
pub mod telemetry;

pub use config::Settings;
pub use ingest::run;
pub use store::Store;
pub use timebank_bindings::deploy::Deployment;

/// Seconds since the Unix epoch, by this machine's clock (0 before 1970).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Everything that can go wrong in the indexer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The database refused a statement or could not be reached.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The migrations could not be applied.
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The node answered with an error or could not be reached.
    #[error("node RPC: {0}")]
    Rpc(String),
    /// A setting or the deployment file is wrong; the message says which and why.
    #[error("configuration: {0}")]
    Config(String),
    /// The deployment file can't be read.
    #[error(transparent)]
    Deployment(#[from] timebank_bindings::deploy::DeploymentError),
    /// A log from a timebank contract did not decode against its ABI.
    #[error("could not decode {what}: {reason}")]
    Decode {
        /// Which log or value.
        what: String,
        /// The decoder's reason.
        reason: String,
    },
    /// The database's checkpoint is not where this writer expected it: another writer, or a
    /// commit whose answer was lost. The indexer starts again from what the database holds.
    #[error("checkpoint moved: {0}")]
    Moved(String),
    /// The data in the database contradicts itself (a bug, never expected).
    #[error("inconsistent index: {0}")]
    Inconsistent(String),
}

/// The indexer's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
