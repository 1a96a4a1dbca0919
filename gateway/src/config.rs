//! Settings: flags, then environment (`TIMEBANK_*`), then defaults.

use clap::Parser;
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// A session's default lifetime, in seconds.
const SESSION_TTL_SECS: u64 = 3600;
/// The default per-request timeout, in milliseconds.
const REQUEST_TIMEOUT_MS: u64 = 30_000;

/// The gateway's command line; every flag also reads an environment variable.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "timebank-gateway",
    version,
    about = "A branch's HTTP API over the timebank chain"
)]
pub struct Settings {
    /// Address to listen on.
    #[arg(
        long,
        env = "TIMEBANK_GATEWAY_LISTEN",
        default_value = "127.0.0.1:8081"
    )]
    pub listen: SocketAddr,
    /// The branch this gateway serves (its operators sign in here).
    #[arg(long, env = "TIMEBANK_BRANCH_ID", default_value_t = 1)]
    pub branch_id: u32,
    /// JSON-RPC endpoint over HTTP.
    #[arg(
        long,
        env = "TIMEBANK_RPC_URL",
        default_value = "http://127.0.0.1:8545"
    )]
    pub rpc_url: String,
    /// The deployment file.
    #[arg(
        long,
        env = "TIMEBANK_DEPLOYMENT",
        default_value = "contracts/deployments/31337.json"
    )]
    pub deployment: PathBuf,
    /// The branch's indexer database: `sqlite://PATH` or `postgres://...`.
    #[arg(
        long,
        env = "TIMEBANK_DATABASE_URL",
        default_value = "sqlite://data/indexer.sqlite"
    )]
    pub database_url: String,
    /// A file holding the relayer's private key (hex), which pays for relayed transactions.
    /// Never a flag's value: keys on command lines end up in shell histories and `ps`.
    #[arg(long, env = "TIMEBANK_RELAYER_KEY_FILE")]
    pub relayer_key_file: Option<PathBuf>,
    /// A file holding this branch's X25519 secret key (hex), which opens member data packages;
    /// its public key is the one the branch published on chain.
    #[arg(long, env = "TIMEBANK_BRANCH_KEY_FILE")]
    pub branch_key_file: Option<PathBuf>,
    /// The supervisors' X25519 public key (hex): every package is also sealed to it.
    #[arg(long, env = "TIMEBANK_SUPERVISORS_PUBLIC_KEY")]
    pub supervisors_public_key: Option<String>,
    /// The domain sign-in messages must name (EIP-4361 `domain`) [default: the listen address].
    #[arg(long, env = "TIMEBANK_GATEWAY_DOMAIN")]
    pub domain: Option<String>,
    /// The URL members reach this gateway at, which sign-in messages must name (EIP-4361
    /// `URI`) [default: http:// and the domain].
    #[arg(long, env = "TIMEBANK_GATEWAY_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// How long a session lasts, in seconds.
    #[arg(long, env = "TIMEBANK_SESSION_TTL_SECS", default_value_t = SESSION_TTL_SECS)]
    pub session_ttl_secs: u64,
    /// Origins allowed by CORS (comma-separated); none by default.
    #[arg(long, env = "TIMEBANK_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Per-request timeout, in milliseconds (relayed transactions wait for their receipt).
    #[arg(long, env = "TIMEBANK_REQUEST_TIMEOUT_MS", default_value_t = REQUEST_TIMEOUT_MS)]
    pub request_timeout_ms: u64,
    /// Log as JSON lines.
    #[arg(long, env = "TIMEBANK_LOG_JSON")]
    pub log_json: bool,
}

impl Settings {
    /// The settings of a gateway for `branch_id` listening on `listen`, on the node at
    /// `rpc_url`, the contracts of `deployment` and the index at `database_url`; every other
    /// setting at its default. The environment is not read (unlike the command line).
    pub fn new(
        listen: SocketAddr,
        branch_id: u32,
        rpc_url: &str,
        deployment: PathBuf,
        database_url: &str,
    ) -> Self {
        Self {
            listen,
            branch_id,
            rpc_url: rpc_url.to_owned(),
            deployment,
            database_url: database_url.to_owned(),
            relayer_key_file: None,
            branch_key_file: None,
            supervisors_public_key: None,
            domain: None,
            public_url: None,
            session_ttl_secs: SESSION_TTL_SECS,
            cors_origins: Vec::new(),
            request_timeout_ms: REQUEST_TIMEOUT_MS,
            log_json: false,
        }
    }

    /// The EIP-4361 domain.
    pub fn domain(&self) -> String {
        self.domain
            .clone()
            .unwrap_or_else(|| self.listen.to_string())
    }

    /// The URL sign-in messages name.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.domain()))
            .trim_end_matches('/')
            .to_owned()
    }

    /// Session lifetime.
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(self.session_ttl_secs)
    }
}
