//! The platform's risk agent. It follows one branch's index (the database its gateway reads)
//! and the chain, and:
//!
//! - runs detectors over payments ([`detect`]) as blocks arrive, and over history on demand:
//!   structuring across the chain's window edges, cycles through other accounts, fan-in,
//!   fan-out, mules, velocity against an account's own history;
//! - stores each pattern once with its evidence, and opens a case on chain for the serious
//!   ones as the `MONITORING_AGENT` (`SupervisionDesk.openCase`, the evidence's hash as the
//!   reason), which every branch's supervisors then see ([`agent`]);
//! - scans accounts' state (dormant balances, accounts never used, credentials) and the
//!   platform itself — nodes, services, contracts — for weak spots, each with a severity and
//!   what to do about it ([`scans`], [`platform`]);
//! - backtests a detector with other parameters over history, writing nothing.
//!
//! `docs/risk.md` describes each detector, its parameters, what it catches and misses.

pub mod agent;
pub mod config;
pub mod detect;
pub mod metrics;
pub mod model;
pub mod platform;
pub mod scans;

pub use config::Config;
pub use detect::Engine;
pub use model::{Finding, Severity};
