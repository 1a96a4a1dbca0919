//! Settings: flags, then environment (`TIMEBANK_*`), then defaults.

use clap::{Parser, Subcommand};
use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

/// A session's default lifetime, in seconds.
const SESSION_TTL_SECS: u64 = 3600;
/// The default per-request timeout, in milliseconds.
const REQUEST_TIMEOUT_MS: u64 = 30_000;

/// How far (in blocks) the index may trail the chain before role-gated answers refuse.
const MAX_INDEX_LAG_BLOCKS: u64 = 32;
/// Relayed writes one signer may send per minute (an operator settling a large activity sends
/// one per volunteer).
const RELAY_PER_SIGNER_PER_MINUTE: u32 = 120;
/// Relayed writes this gateway sends per second, all signers together.
const RELAY_PER_SECOND: u32 = 200;
/// Gas the relayer spends for one signer per UTC day.
const RELAY_DAILY_GAS_PER_SIGNER: u64 = 20_000_000;
/// Requests served at once; more wait.
const MAX_CONCURRENT_REQUESTS: usize = 512;
/// Live streams one caller may hold open.
const STREAMS_PER_CALLER: usize = 4;
/// Seconds between anchors of the access log.
const ANCHOR_INTERVAL_SECS: u64 = 600;
/// The first retry of a webhook, in milliseconds (doubled after each failure).
const WEBHOOK_RETRY_BASE_MS: u64 = 10_000;
/// Attempts at a webhook before it goes to the dead-letter list.
const WEBHOOK_MAX_ATTEMPTS: u64 = 12;
/// One webhook attempt's timeout, in milliseconds.
const WEBHOOK_TIMEOUT_MS: u64 = 10_000;

/// Identity documents one operator may have keyed per hour: a desk registers a few people an
/// hour, a number-guessing operator thousands.
const UNIQUENESS_CHECKS_PER_OPERATOR_PER_HOUR: u32 = 60;
/// Blinded documents evaluated for one other branch per minute (every keying of a document is
/// three evaluations at most: the check, the binding, the approval).
const UNIQUENESS_EVALUATIONS_PER_BRANCH_PER_MINUTE: u32 = 120;

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
    /// After a rotation of the branch key (`confirmBranchKey`), the key before it (a file like
    /// `--branch-key-file`): it still opens the profiles sealed before the change.
    #[arg(long, env = "TIMEBANK_PREVIOUS_BRANCH_KEY_FILE")]
    pub previous_branch_key_file: Option<PathBuf>,
    /// A file only the owner may read with this branch's share of the uniqueness key (the key
    /// ceremony's `uniqueness-share-N.json`): members' identity documents are keyed by a
    /// threshold of branches, none of which holds the key. Without it, this gateway submits no
    /// members and evaluates for no other branch.
    #[arg(long, env = "TIMEBANK_UNIQUENESS_SHARE_FILE")]
    pub uniqueness_share_file: Option<PathBuf>,
    /// The key ceremony's public file (`uniqueness-public.json`): the epoch, its threshold and
    /// each branch's share's public key, which every evaluation is checked against.
    #[arg(long, env = "TIMEBANK_UNIQUENESS_PUBLIC_FILE")]
    pub uniqueness_public_file: Option<PathBuf>,
    /// During a rotation of the uniqueness key, this branch's share of the previous epoch: a
    /// person keyed under it is still refused.
    #[arg(long, env = "TIMEBANK_PREVIOUS_UNIQUENESS_SHARE_FILE")]
    pub previous_uniqueness_share_file: Option<PathBuf>,
    /// During a rotation, the previous epoch's public file.
    #[arg(long, env = "TIMEBANK_PREVIOUS_UNIQUENESS_PUBLIC_FILE")]
    pub previous_uniqueness_public_file: Option<PathBuf>,
    /// Another branch's gateway, as `BRANCH=URL` (repeat, or comma-separated in the
    /// environment): where this gateway asks for evaluations under that branch's share.
    #[arg(
        long = "peer-gateway",
        env = "TIMEBANK_PEER_GATEWAYS",
        value_delimiter = ','
    )]
    pub peer_gateways: Vec<String>,
    /// Identity documents one operator (or auditor) may have keyed per hour (429 beyond; every
    /// one is in the access log).
    #[arg(long, env = "TIMEBANK_UNIQUENESS_CHECKS_PER_OPERATOR_PER_HOUR", default_value_t = UNIQUENESS_CHECKS_PER_OPERATOR_PER_HOUR)]
    pub uniqueness_checks_per_operator_per_hour: u32,
    /// Blinded documents this gateway evaluates for one other branch per minute (429 beyond;
    /// raise it on every branch while a rotation's rekey runs).
    #[arg(long, env = "TIMEBANK_UNIQUENESS_EVALUATIONS_PER_BRANCH_PER_MINUTE", default_value_t = UNIQUENESS_EVALUATIONS_PER_BRANCH_PER_MINUTE)]
    pub uniqueness_evaluations_per_branch_per_minute: u32,
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
    /// How many blocks the branch's index may trail the chain before answers that depend on
    /// roles refuse (503 `stale_index`).
    #[arg(long, env = "TIMEBANK_MAX_INDEX_LAG_BLOCKS", default_value_t = MAX_INDEX_LAG_BLOCKS)]
    pub max_index_lag_blocks: u64,
    /// The header a trusted proxy (a load balancer) puts the client's address in, e.g.
    /// `X-Forwarded-For`; without it clients are told apart by their connection.
    #[arg(long, env = "TIMEBANK_CLIENT_IP_HEADER")]
    pub client_ip_header: Option<String>,
    /// Serve Prometheus metrics on this address (e.g. 127.0.0.1:9102), not on the API's.
    #[arg(long, env = "TIMEBANK_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Relayed writes one signer may send per minute (429 beyond).
    #[arg(long, env = "TIMEBANK_RELAY_PER_SIGNER_PER_MINUTE", default_value_t = RELAY_PER_SIGNER_PER_MINUTE)]
    pub relay_per_signer_per_minute: u32,
    /// Relayed writes this branch's gateway sends per second, all signers together (429 beyond).
    #[arg(long, env = "TIMEBANK_RELAY_PER_SECOND", default_value_t = RELAY_PER_SECOND)]
    pub relay_per_second: u32,
    /// Gas the relayer spends for one signer per UTC day (429 until midnight beyond).
    #[arg(long, env = "TIMEBANK_RELAY_DAILY_GAS_PER_SIGNER", default_value_t = RELAY_DAILY_GAS_PER_SIGNER)]
    pub relay_daily_gas_per_signer: u64,
    /// Requests served at once; more wait for a slot.
    #[arg(long, env = "TIMEBANK_MAX_CONCURRENT_REQUESTS", default_value_t = MAX_CONCURRENT_REQUESTS)]
    pub max_concurrent_requests: usize,
    /// Live streams one caller may hold open (429 beyond).
    #[arg(long, env = "TIMEBANK_STREAMS_PER_CALLER", default_value_t = STREAMS_PER_CALLER)]
    pub streams_per_caller: usize,
    /// Seconds between anchors of the branch's access log on chain (by the relayer key, which
    /// needs `TimebankAccess.gatewayRole(branch)`); 0 never anchors.
    #[arg(long, env = "TIMEBANK_ANCHOR_INTERVAL_SECS", default_value_t = ANCHOR_INTERVAL_SECS)]
    pub anchor_interval_secs: u64,
    /// The first retry of a partner's webhook, in milliseconds (doubled after each failure, at
    /// most six hours).
    #[arg(long, env = "TIMEBANK_WEBHOOK_RETRY_BASE_MS", default_value_t = WEBHOOK_RETRY_BASE_MS)]
    pub webhook_retry_base_ms: u64,
    /// Attempts at a webhook before it goes to the dead-letter list.
    #[arg(long, env = "TIMEBANK_WEBHOOK_MAX_ATTEMPTS", default_value_t = WEBHOOK_MAX_ATTEMPTS)]
    pub webhook_max_attempts: u64,
    /// One webhook attempt's timeout, in milliseconds.
    #[arg(long, env = "TIMEBANK_WEBHOOK_TIMEOUT_MS", default_value_t = WEBHOOK_TIMEOUT_MS)]
    pub webhook_timeout_ms: u64,
    /// Let partners register `http://` endpoints (development and tests only).
    #[arg(long, env = "TIMEBANK_WEBHOOK_ALLOW_HTTP")]
    pub webhook_allow_http: bool,
    /// Let partners' endpoints be on loopback addresses (development and tests only: a
    /// receiver on this machine). Private, link-local and other special addresses are refused
    /// all the same.
    #[arg(long, env = "TIMEBANK_WEBHOOK_ALLOW_LOOPBACK")]
    pub webhook_allow_loopback: bool,
    /// How webhook hosts are resolved: the system's resolver unless set (tests set their own).
    #[arg(skip)]
    pub webhook_lookup: Option<Arc<dyn crate::webhooks::destination::Lookup>>,
    /// The browser console's built files (`console/dist`), served at `/`; none by default.
    #[arg(long, env = "TIMEBANK_CONSOLE_DIR")]
    pub console_dir: Option<PathBuf>,
    /// The demo accounts of a development chain (`data/accounts.json` of `make up`), offered to
    /// the console's demo wallet. Refused on any chain but anvil's.
    #[arg(long, env = "TIMEBANK_DEV_ACCOUNTS_FILE")]
    pub dev_accounts_file: Option<PathBuf>,
    /// Instead of serving, one of these.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What the gateway binary does instead of serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Check this branch's access log (in `--database-url`) against its anchor on chain:
    /// complete and unaltered up to the anchored entry, chained after it. Exits 1 if not.
    VerifyAccessLog,
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
            uniqueness_share_file: None,
            uniqueness_public_file: None,
            previous_uniqueness_share_file: None,
            previous_uniqueness_public_file: None,
            peer_gateways: Vec::new(),
            uniqueness_checks_per_operator_per_hour: UNIQUENESS_CHECKS_PER_OPERATOR_PER_HOUR,
            uniqueness_evaluations_per_branch_per_minute:
                UNIQUENESS_EVALUATIONS_PER_BRANCH_PER_MINUTE,
            previous_branch_key_file: None,
            supervisors_public_key: None,
            domain: None,
            public_url: None,
            session_ttl_secs: SESSION_TTL_SECS,
            cors_origins: Vec::new(),
            request_timeout_ms: REQUEST_TIMEOUT_MS,
            log_json: false,
            max_index_lag_blocks: MAX_INDEX_LAG_BLOCKS,
            client_ip_header: None,
            metrics_listen: None,
            relay_per_signer_per_minute: RELAY_PER_SIGNER_PER_MINUTE,
            relay_per_second: RELAY_PER_SECOND,
            relay_daily_gas_per_signer: RELAY_DAILY_GAS_PER_SIGNER,
            max_concurrent_requests: MAX_CONCURRENT_REQUESTS,
            streams_per_caller: STREAMS_PER_CALLER,
            anchor_interval_secs: ANCHOR_INTERVAL_SECS,
            webhook_retry_base_ms: WEBHOOK_RETRY_BASE_MS,
            webhook_max_attempts: WEBHOOK_MAX_ATTEMPTS,
            webhook_timeout_ms: WEBHOOK_TIMEOUT_MS,
            webhook_allow_http: false,
            webhook_allow_loopback: false,
            webhook_lookup: None,
            console_dir: None,
            dev_accounts_file: None,
            command: None,
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

    /// How partners' webhooks are delivered, and where they may go.
    pub fn webhooks(&self) -> crate::webhooks::Webhooks {
        use crate::webhooks::destination::{Destinations, SystemLookup};
        crate::webhooks::Webhooks {
            policy: crate::webhooks::DeliveryPolicy {
                retry_base: Duration::from_millis(self.webhook_retry_base_ms),
                max_attempts: self.webhook_max_attempts.max(1),
                timeout: Duration::from_millis(self.webhook_timeout_ms.max(1)),
                allow_http: self.webhook_allow_http,
            },
            destinations: Destinations::new(
                self.webhook_lookup
                    .clone()
                    .unwrap_or_else(|| Arc::new(SystemLookup)),
                self.webhook_allow_loopback,
            ),
            // From the branch key, which the state reads.
            secrets: None,
        }
    }
}

/// The services' one key-file reader (it lives with the other process plumbing, where the
/// risk agent reads its key too).
pub use timebank_indexer::telemetry::read_secret;
