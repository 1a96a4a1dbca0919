//! The whole platform on one machine. `up` starts (or resumes) anvil with its
//! state on disk, deploys and wires the contracts on the first start, sets up three demo
//! branches, and runs an indexer and a gateway per branch; `demo` fills a running platform with
//! members, credentials, activities, payments and a few suspicious patterns.

pub mod demo;
pub mod platform;
pub mod setup;

pub use platform::{Platform, start};

use clap::Args;
use std::path::PathBuf;

/// Where things run.
#[derive(Debug, Clone, Args)]
pub struct Up {
    /// Chain state, databases, keys and the deployment file live here.
    #[arg(long, env = "TIMEBANK_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Anvil's address.
    #[arg(long, env = "ANVIL_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Anvil's port.
    #[arg(long, env = "ANVIL_PORT", default_value_t = 8545)]
    pub anvil_port: u16,
    /// The three gateways' ports (north, south, east); 0 picks a free port.
    #[arg(
        long,
        env = "TIMEBANK_GATEWAY_PORTS",
        value_delimiter = ',',
        default_value = "8081,8082,8083"
    )]
    pub gateway_ports: Vec<u16>,
    /// A PostgreSQL server (`postgres://user:pass@host:port/db`) for the branches' databases
    /// (one database per branch, created if missing) instead of SQLite files.
    #[arg(long, env = "TIMEBANK_POSTGRES_URL")]
    pub postgres_url: Option<String>,
    /// The browser console's build, served by every gateway at `/` (when it exists).
    #[arg(long, env = "TIMEBANK_CONSOLE_DIR", default_value = "console/dist")]
    pub console_dir: PathBuf,
    /// Each branch's database URL, overriding the above (tests).
    #[arg(skip)]
    pub branch_databases: Vec<String>,
    /// Only the chain (anvil, the contracts, the branches' keys): the indexers and gateways are
    /// run elsewhere, e.g. as separate processes by the benchmarks.
    #[arg(skip)]
    pub chain_only: bool,
}

/// Where the platform runs.
#[derive(Debug, Clone, Args)]
pub struct Demo {
    /// The data directory `up` uses.
    #[arg(long, env = "TIMEBANK_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// The branches' gateways (north, south, east), which relay every demo write signed by the
    /// demo people's wallets.
    #[arg(
        long,
        env = "TIMEBANK_GATEWAYS",
        value_delimiter = ',',
        default_value = "http://127.0.0.1:8081,http://127.0.0.1:8082,http://127.0.0.1:8083"
    )]
    pub gateways: Vec<String>,
}
