//! Prometheus metrics (`--metrics`): findings by detector and severity, lag behind the index,
//! time per block.

/// Findings stored, by `detector` and `severity` (counter).
pub const FINDINGS: &str = "timebank_riskscan_findings_total";
/// Cases opened on chain, by `detector` (counter).
pub const CASES: &str = "timebank_riskscan_cases_opened_total";
/// Findings added as evidence to a case already open instead of opening one, by `detector`
/// and `why` (`open_case`: that detector's case about the account is open; `daily_cap`: the
/// account's cases for the day are used up) (counter).
pub const JOINED: &str = "timebank_riskscan_findings_joined_total";
/// Open platform findings, by `check` and `severity` (gauge).
pub const PLATFORM_OPEN: &str = "timebank_riskscan_platform_findings_open";
/// Blocks between the chain's head and the last block the detectors finished (gauge): the
/// index's lag and the agent's together.
pub const LAG_BLOCKS: &str = "timebank_riskscan_lag_blocks";
/// Seconds from reading a block's payments to its findings stored (histogram).
pub const BLOCK_SECONDS: &str = "timebank_riskscan_block_seconds";
/// Payments the detectors saw (counter).
pub const PAYMENTS: &str = "timebank_riskscan_payments_total";
/// Errors retried: the database, the node, a case that could not be opened (counter).
pub const ERRORS: &str = "timebank_riskscan_errors_total";

/// Describes the metrics and serves them on `addr`.
pub fn serve(addr: std::net::SocketAddr) -> eyre::Result<()> {
    timebank_indexer::telemetry::serve_metrics(addr)?;
    metrics::describe_counter!(FINDINGS, "findings stored, by detector and severity");
    metrics::describe_counter!(CASES, "cases opened on chain, by detector");
    metrics::describe_counter!(
        JOINED,
        "findings added to an open case instead of opening one, by detector and why"
    );
    metrics::describe_gauge!(
        PLATFORM_OPEN,
        "open platform findings, by check and severity"
    );
    metrics::describe_gauge!(
        LAG_BLOCKS,
        "blocks between the index's head and the detectors"
    );
    metrics::describe_histogram!(
        BLOCK_SECONDS,
        "seconds from a block's payments to its findings"
    );
    metrics::describe_counter!(PAYMENTS, "payments the detectors saw");
    metrics::describe_counter!(ERRORS, "errors retried");
    Ok(())
}
