//! The risk agent's reads and writes: payments in chain order for its detectors, its findings
//! about accounts (with the evidence the gateway shows beside a case) and about the platform.
//! Only `timebank-riskscan` writes `risk_finding` and `platform_finding`.

use super::{HistoryEntry, row::Columns};
use crate::{
    Result,
    store::{Store, Typed, to_i64},
};
use alloy::primitives::{Address, B256};
use serde::Serialize;
use timebank_bindings::types::{CaseStatus, MemberStatus, Purpose};

/// A member-to-member payment as the detectors see it: who, whom, how much, why, when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanPayment {
    /// Block.
    pub block_number: u64,
    /// The Transfer log's index: with the block, the payment's place in chain order.
    pub log_index: u64,
    /// Block time (unix seconds).
    pub time: u64,
    /// Payer.
    pub sender: Address,
    /// Payee.
    pub recipient: Address,
    /// Millionths of an hour.
    pub micro: u64,
    /// Why.
    pub purpose: Purpose,
}

/// A finding about accounts, to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRiskFinding {
    /// The detector and the payments that began the pattern: the same pattern found again is
    /// not a new finding.
    pub fingerprint: B256,
    /// The detector's name.
    pub detector: String,
    /// The account a case is about.
    pub account: Address,
    /// The other side that matters most (zero if none).
    pub counterparty: Address,
    /// 1 low, 2 medium, 3 high, 4 critical.
    pub severity: u8,
    /// Orders the inbox (higher first).
    pub score: u64,
    /// One line: Chinese, then English.
    pub summary: String,
    /// JSON: the payments, the path, the figures.
    pub evidence: String,
    /// keccak256 of the evidence: the case's `reasonHash` on chain.
    pub reason_hash: B256,
    /// The evidence's first block.
    pub first_block: u64,
    /// Its last block.
    pub last_block: u64,
    /// When the agent found it (unix seconds).
    pub found_at: u64,
}

/// A stored finding about accounts, and whether its case is open on chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiskFindingRow {
    /// Id.
    pub finding_id: u64,
    /// The detector's name.
    pub detector: String,
    /// The account.
    pub account: Address,
    /// The other side.
    pub counterparty: Address,
    /// 1 low … 4 critical.
    pub severity: u8,
    /// Orders the inbox.
    pub score: u64,
    /// One line.
    pub summary: String,
    /// JSON.
    pub evidence: String,
    /// The case's `reasonHash`.
    pub reason_hash: B256,
    /// The evidence's blocks.
    pub first_block: u64,
    /// The evidence's last block.
    pub last_block: u64,
    /// When found.
    pub found_at: u64,
    /// The openCase transaction, once sent.
    pub case_tx: Option<B256>,
    /// The case the index holds for it, once indexed (for a finding that joined a case, that
    /// case).
    pub case_id: Option<u64>,
    /// The finding whose case this one adds evidence to, instead of opening its own.
    pub joins_finding: Option<u64>,
}

/// The agent's cases about one account opened since a time: how many, and the one a finding
/// over the daily cap joins.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentCasesSince {
    /// Findings that opened (or are owed) a case.
    pub opened: u64,
    /// The newest of them whose case is still open, else the newest.
    pub join: Option<u64>,
}

/// A weak spot of the platform, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformSighting {
    /// The check that saw it (`node_fork`, `indexer_lag`, `monitor_rules_loosened`, ...).
    pub check: String,
    /// What it is about: a branch, a node, a contract, an account.
    pub subject: String,
    /// 1 low … 4 critical.
    pub severity: u8,
    /// One line: Chinese, then English.
    pub summary: String,
    /// What to do and who does it.
    pub remediation: String,
    /// JSON.
    pub details: String,
}

/// A recorded weak spot of the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlatformFindingRow {
    /// Id.
    pub finding_id: u64,
    /// The check.
    pub check: String,
    /// Its subject.
    pub subject: String,
    /// 1 low … 4 critical.
    pub severity: u8,
    /// One line.
    pub summary: String,
    /// What to do and who does it.
    pub remediation: String,
    /// JSON.
    pub details: String,
    /// First seen (unix seconds).
    pub first_seen: u64,
    /// Last seen.
    pub last_seen: u64,
    /// When a scan no longer saw it.
    pub resolved_at: Option<u64>,
}

// A finding's case is the one opened for it, or for the finding it joined.
const FINDING_COLUMNS: &str = "f.finding_id, f.detector, f.account, f.counterparty, f.severity, \
    f.score, f.summary, f.evidence, f.reason_hash, f.first_block, f.last_block, f.found_at, \
    f.case_tx, f.joins_finding, (SELECT MAX(c.case_id) FROM supervision_case c \
    JOIN risk_finding o ON o.finding_id = COALESCE(f.joins_finding, f.finding_id) \
    WHERE c.reason_hash = o.reason_hash AND c.account = o.account) AS case_id";

/// Whether finding `f`'s case is undecided: none of the index's cases for it is anything but
/// open (`$4` binds the status Open). Sent and not indexed yet, or owed, is undecided.
const CASE_UNDECIDED: &str = "NOT EXISTS (SELECT 1 FROM supervision_case c \
    WHERE c.reason_hash = f.reason_hash AND c.account = f.account AND c.status <> $4)";

fn finding(r: &sqlx::any::AnyRow) -> Result<RiskFindingRow> {
    Ok(RiskFindingRow {
        finding_id: r.u64("finding_id")?,
        detector: r.text("detector")?,
        account: r.address("account")?,
        counterparty: r.address("counterparty")?,
        severity: u8::try_from(r.u64("severity")?).unwrap_or(u8::MAX),
        score: r.u64("score")?,
        summary: r.text("summary")?,
        evidence: r.text("evidence")?,
        reason_hash: r.hash("reason_hash")?,
        first_block: r.u64("first_block")?,
        last_block: r.u64("last_block")?,
        found_at: r.u64("found_at")?,
        case_tx: r.opt_hash("case_tx")?,
        case_id: r.opt_u64("case_id")?,
        joins_finding: r.opt_u64("joins_finding")?,
    })
}

fn platform(r: &sqlx::any::AnyRow) -> Result<PlatformFindingRow> {
    Ok(PlatformFindingRow {
        finding_id: r.u64("finding_id")?,
        check: r.text("check_name")?,
        subject: r.text("subject")?,
        severity: u8::try_from(r.u64("severity")?).unwrap_or(u8::MAX),
        summary: r.text("summary")?,
        remediation: r.text("remediation")?,
        details: r.text("details")?,
        first_seen: r.u64("first_seen")?,
        last_seen: r.u64("last_seen")?,
        resolved_at: r.opt_u64("resolved_at")?,
    })
}

/// An active member's balance and when they last paid or were paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountActivity {
    /// The member.
    pub account: Address,
    /// Balance, millionths of an hour.
    pub balance_micro: u64,
    /// When they became active (unix seconds).
    pub activated_at: u64,
    /// Their last outgoing payment's time, if any.
    pub last_out: Option<u64>,
    /// Their last payment in or out (a reward included), if any.
    pub last_any: Option<u64>,
}

/// A reward settled for an activity that required a credential, with that credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialedSettlement {
    /// The settlement's block.
    pub block_number: u64,
    /// Its log.
    pub log_index: u64,
    /// Its time.
    pub time: u64,
    /// The activity.
    pub activity_id: u64,
    /// The volunteer rewarded.
    pub volunteer: Address,
    /// The operator who settled.
    pub operator: Address,
    /// The reward, millionths of an hour.
    pub micro: u64,
    /// The credential type required.
    pub type_id: u64,
    /// The volunteer's credential of that type: when it expires.
    pub expires_at: Option<u64>,
    /// Whether it is revoked, and when (its last change's block time).
    pub revoked_at: Option<u64>,
}

/// [`Store::scan_payments`]'s statement (walks the (block, log) index from its place).
pub(crate) const SCAN_PAYMENTS_SQL: &str = "SELECT block_number, log_index, block_time, sender, \
     recipient, amount_micro, purpose FROM payment \
     WHERE (block_number, log_index) > ($1, $2) \
     AND block_number <= $3 AND sender <> $4 AND recipient <> $4 \
     AND sender <> $5 AND recipient <> $5 \
     ORDER BY block_number, log_index LIMIT $6";

impl Store {
    /// The hash of indexed block `n`, if the index has it.
    pub async fn block_hash(&self, n: u64) -> Result<Option<B256>> {
        let row = sqlx::query("SELECT block_hash FROM indexed_block WHERE block_number = $1")
            .bind(to_i64(n))
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| r.hash("block_hash")).transpose()
    }

    /// Active members holding at least `min_micro`, or with nothing but activated before
    /// `activated_before`: their balances and their last payments.
    pub async fn account_activity(
        &self,
        min_micro: u64,
        activated_before: u64,
    ) -> Result<Vec<AccountActivity>> {
        let rows = sqlx::query(
            "SELECT m.account, COALESCE(b.amount_micro, 0) AS balance_micro, m.activated_at, \
             (SELECT MAX(p.block_time) FROM payment p WHERE p.sender = m.account) AS last_out, \
             (SELECT MAX(p.block_time) FROM payment p WHERE p.recipient = m.account) AS last_in \
             FROM member m LEFT JOIN balance b ON b.account = m.account \
             WHERE m.status = $1 AND (COALESCE(b.amount_micro, 0) >= $2 OR m.activated_at < $3)",
        )
        .bind(i64::from(MemberStatus::Active as u8))
        .bind(to_i64(min_micro))
        .bind(to_i64(activated_before))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let last_out = r.opt_u64("last_out")?;
                let last_in = r.opt_u64("last_in")?;
                Ok(AccountActivity {
                    account: r.address("account")?,
                    balance_micro: r.u64("balance_micro")?,
                    activated_at: r.u64("activated_at")?,
                    last_out,
                    last_any: last_out.max(last_in),
                })
            })
            .collect()
    }

    /// Rewards settled since `since` for activities that required a credential, each with the
    /// volunteer's credential of that type.
    pub async fn credentialed_settlements(
        &self,
        since: u64,
    ) -> Result<Vec<CredentialedSettlement>> {
        let rows = sqlx::query(
            "SELECT s.block_number, s.log_index, sb.block_time AS time, s.activity_id, \
             s.volunteer, s.operator, s.amount_micro, a.required_credential_type AS type_id, \
             c.expires_at, CASE WHEN c.revoked THEN cb.block_time END AS revoked_at \
             FROM activity_settlement s \
             JOIN activity a ON a.activity_id = s.activity_id \
             JOIN indexed_block sb ON sb.block_number = s.block_number \
             LEFT JOIN member m ON m.account = s.volunteer \
             LEFT JOIN credential c ON c.member_id = m.member_id \
                AND c.type_id = a.required_credential_type \
             LEFT JOIN indexed_block cb ON cb.block_number = c.block_number \
             WHERE a.required_credential_type <> 0 AND sb.block_time >= $1 \
             ORDER BY s.block_number, s.log_index",
        )
        .bind(to_i64(since))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CredentialedSettlement {
                    block_number: r.u64("block_number")?,
                    log_index: r.u64("log_index")?,
                    time: r.u64("time")?,
                    activity_id: r.u64("activity_id")?,
                    volunteer: r.address("volunteer")?,
                    operator: r.address("operator")?,
                    micro: r.u64("amount_micro")?,
                    type_id: r.u64("type_id")?,
                    expires_at: r.opt_u64("expires_at")?,
                    revoked_at: r.opt_u64("revoked_at")?,
                })
            })
            .collect()
    }

    /// Events called any of `names` at or after `since` (block time), oldest first.
    pub async fn recent_events(&self, names: &[&str], since: u64) -> Result<Vec<HistoryEntry>> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let list = (0..names.len())
            .map(|i| format!("${}", i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {} FROM event_log e WHERE e.block_time >= $1 AND e.event IN ({list}) \
             ORDER BY e.block_number, e.log_index",
            HistoryEntry::COLUMNS
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(to_i64(since));
        for name in names {
            query = query.bind(*name);
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(HistoryEntry::read).collect()
    }

    /// Member-to-member payments after `(block, log_index)` up to block `until`, in chain order,
    /// at most `limit`: mints, burns and the coin's escrow legs are left out (a held payment
    /// is seen when the monitor holds it, as its MovementHeld names the payee). Read through
    /// the typed driver: a history scan reads every payment, and `Any`'s rows cost four times
    /// as much.
    pub async fn scan_payments(
        &self,
        after: (u64, u64),
        until: u64,
        escrow: Address,
        limit: i64,
    ) -> Result<Vec<ScanPayment>> {
        const SQL: &str = SCAN_PAYMENTS_SQL;
        type Row = (i64, i64, i64, Vec<u8>, Vec<u8>, i64, i16);
        let (block, index) = (to_i64(after.0), to_i64(after.1));
        let (zero, escrow) = (Address::ZERO.to_vec(), escrow.to_vec());
        macro_rules! fetch {
            ($pool:expr) => {
                sqlx::query_as::<_, Row>(SQL)
                    .bind(block)
                    .bind(index)
                    .bind(to_i64(until))
                    .bind(zero)
                    .bind(escrow)
                    .bind(limit)
                    .fetch_all($pool)
                    .await?
            };
        }
        let rows: Vec<Row> = match self.typed() {
            Typed::Sqlite(pool) => fetch!(pool),
            Typed::Postgres(pool) => fetch!(pool),
        };
        let bad = |what: &str| crate::Error::Inconsistent(format!("a payment's {what}"));
        rows.into_iter()
            .map(|(block, index, time, sender, recipient, micro, purpose)| {
                Ok(ScanPayment {
                    block_number: u64::try_from(block).map_err(|_| bad("block"))?,
                    log_index: u64::try_from(index).map_err(|_| bad("log index"))?,
                    time: u64::try_from(time).map_err(|_| bad("time"))?,
                    sender: Address::try_from(sender.as_slice()).map_err(|_| bad("sender"))?,
                    recipient: Address::try_from(recipient.as_slice())
                        .map_err(|_| bad("recipient"))?,
                    micro: u64::try_from(micro).map_err(|_| bad("amount"))?,
                    purpose: u8::try_from(purpose)
                        .ok()
                        .and_then(|p| Purpose::try_from(p).ok())
                        .ok_or_else(|| bad("purpose"))?,
                })
            })
            .collect()
    }

    /// Stores `f` unless its fingerprint is already there: its id if it is new.
    pub async fn insert_risk_finding(&self, f: &NewRiskFinding) -> Result<Option<u64>> {
        self.insert_risk_finding_joining(f, None).await
    }

    /// Stores `f` unless its fingerprint is already there, as evidence added to the case of
    /// finding `joins` when given (it then never opens a case of its own): its id if it is new.
    pub async fn insert_risk_finding_joining(
        &self,
        f: &NewRiskFinding,
        joins: Option<u64>,
    ) -> Result<Option<u64>> {
        let row = sqlx::query(
            "INSERT INTO risk_finding (fingerprint, detector, account, counterparty, severity, \
             score, summary, evidence, reason_hash, first_block, last_block, found_at, \
             joins_finding) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (fingerprint) DO NOTHING RETURNING finding_id",
        )
        .bind(f.fingerprint.to_vec())
        .bind(f.detector.clone())
        .bind(f.account.to_vec())
        .bind(f.counterparty.to_vec())
        .bind(i64::from(f.severity))
        .bind(to_i64(f.score))
        .bind(f.summary.clone())
        .bind(f.evidence.clone())
        .bind(f.reason_hash.to_vec())
        .bind(to_i64(f.first_block))
        .bind(to_i64(f.last_block))
        .bind(to_i64(f.found_at))
        .bind(joins.map(to_i64))
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| r.u64("finding_id")).transpose()
    }

    /// The finding that opened the agent's case about `account` for `detector` that is still
    /// open (sent and not decided, or owed): a finding of at least `severity` that joined no
    /// other. The newest if there are several (opened before this policy).
    pub async fn open_agent_case(
        &self,
        account: Address,
        detector: &str,
        severity: u8,
    ) -> Result<Option<u64>> {
        let sql = format!(
            "SELECT f.finding_id FROM risk_finding f \
             WHERE f.account = $1 AND f.detector = $2 AND f.severity >= $3 \
             AND f.joins_finding IS NULL AND {} ORDER BY f.finding_id DESC LIMIT 1",
            CASE_UNDECIDED
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account.to_vec())
            .bind(detector.to_owned())
            .bind(i64::from(severity))
            .bind(i64::from(CaseStatus::Open as u8))
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| r.u64("finding_id")).transpose()
    }

    /// The agent's cases about `account` (findings of at least `severity` that joined no other)
    /// found at or after `since`: how many, and the one a finding over the cap joins — the
    /// newest still open, else the newest.
    pub async fn agent_cases_since(
        &self,
        account: Address,
        since: u64,
        severity: u8,
    ) -> Result<AgentCasesSince> {
        let sql = format!(
            "SELECT f.finding_id, CASE WHEN {} THEN 1 ELSE 0 END AS undecided \
             FROM risk_finding f WHERE f.account = $1 AND f.severity >= $2 \
             AND f.joins_finding IS NULL AND f.found_at >= $3 ORDER BY f.finding_id DESC",
            CASE_UNDECIDED
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(account.to_vec())
            .bind(i64::from(severity))
            .bind(to_i64(since))
            .bind(i64::from(CaseStatus::Open as u8))
            .fetch_all(self.pool())
            .await?;
        let mut cases = AgentCasesSince::default();
        let mut newest = None;
        for r in &rows {
            let id = r.u64("finding_id")?;
            newest = newest.or(Some(id));
            if cases.join.is_none() && r.u64("undecided")? == 1 {
                cases.join = Some(id);
            }
            cases.opened += 1;
        }
        cases.join = cases.join.or(newest);
        Ok(cases)
    }

    /// Records that the case for finding `id` was sent in `tx`.
    pub async fn set_finding_case_tx(&self, id: u64, tx: B256) -> Result<()> {
        sqlx::query("UPDATE risk_finding SET case_tx = $1 WHERE finding_id = $2")
            .bind(tx.to_vec())
            .bind(to_i64(id))
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Findings of at least `severity` whose case this index does not hold, oldest first: what
    /// a restart may still owe the chain (never sent, or sent and not landed — the caller
    /// checks `case_tx` on chain; one that landed and is not indexed yet is not owed).
    pub async fn findings_without_case(&self, severity: u8) -> Result<Vec<RiskFindingRow>> {
        let sql = format!(
            "SELECT * FROM (SELECT {FINDING_COLUMNS} FROM risk_finding f \
             WHERE f.severity >= $1 AND f.joins_finding IS NULL) o \
             WHERE o.case_id IS NULL ORDER BY o.finding_id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(i64::from(severity))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(finding).collect()
    }

    /// Findings, newest first: those behind a case's `reason_hash` about `account` when given
    /// (the one that opened it and those added to it), else all (a page of `limit`).
    pub async fn risk_findings(
        &self,
        case: Option<(B256, Address)>,
        detector: Option<&str>,
        limit: i64,
    ) -> Result<Vec<RiskFindingRow>> {
        let sql = format!(
            "SELECT {FINDING_COLUMNS} FROM risk_finding f \
             WHERE ($1 = 0 OR (f.reason_hash = $2 AND f.account = $3) \
             OR f.joins_finding IN (SELECT o.finding_id FROM risk_finding o \
             WHERE o.reason_hash = $2 AND o.account = $3)) \
             AND ($4 = '' OR f.detector = $5) ORDER BY f.finding_id DESC LIMIT $6"
        );
        let (reason, account) = case.unwrap_or_default();
        let detector = detector.unwrap_or_default().to_owned();
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(i64::from(case.is_some()))
            .bind(reason.to_vec())
            .bind(account.to_vec())
            .bind(detector.clone())
            .bind(detector)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(finding).collect()
    }

    /// Records what one run of `check` saw at `now`: each sighting opened or kept current, and
    /// every open finding of `check` it no longer saw resolved. Returns the newly opened.
    pub async fn record_platform_scan(
        &self,
        check: &str,
        seen: &[PlatformSighting],
        now: u64,
    ) -> Result<Vec<PlatformSighting>> {
        let mut tx = self.pool().begin().await?;
        let mut opened = Vec::new();
        for s in seen {
            debug_assert_eq!(s.check, check);
            let updated = sqlx::query(
                "UPDATE platform_finding SET severity = $1, summary = $2, remediation = $3, \
                 details = $4, last_seen = $5 \
                 WHERE check_name = $6 AND subject = $7 AND resolved_at IS NULL",
            )
            .bind(i64::from(s.severity))
            .bind(s.summary.clone())
            .bind(s.remediation.clone())
            .bind(s.details.clone())
            .bind(to_i64(now))
            .bind(check.to_owned())
            .bind(s.subject.clone())
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                sqlx::query(
                    "INSERT INTO platform_finding (check_name, subject, severity, summary, \
                     remediation, details, first_seen, last_seen) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(check.to_owned())
                .bind(s.subject.clone())
                .bind(i64::from(s.severity))
                .bind(s.summary.clone())
                .bind(s.remediation.clone())
                .bind(s.details.clone())
                .bind(to_i64(now))
                .bind(to_i64(now))
                .execute(&mut *tx)
                .await?;
                opened.push(s.clone());
            }
        }
        // Resolved: open findings of this check that this run did not see.
        let open = sqlx::query(
            "SELECT finding_id, subject FROM platform_finding \
             WHERE check_name = $1 AND resolved_at IS NULL",
        )
        .bind(check.to_owned())
        .fetch_all(&mut *tx)
        .await?;
        for r in &open {
            let subject = r.text("subject")?;
            if !seen.iter().any(|s| s.subject == subject) {
                sqlx::query("UPDATE platform_finding SET resolved_at = $1 WHERE finding_id = $2")
                    .bind(to_i64(now))
                    .bind(to_i64(r.u64("finding_id")?))
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(opened)
    }

    /// Platform findings opened after finding `after`, oldest first (the live stream's feed).
    pub async fn platform_findings_after(&self, after: u64) -> Result<Vec<PlatformFindingRow>> {
        let rows = sqlx::query(
            "SELECT finding_id, check_name, subject, severity, summary, remediation, details, \
             first_seen, last_seen, resolved_at FROM platform_finding \
             WHERE finding_id > $1 ORDER BY finding_id LIMIT 100",
        )
        .bind(to_i64(after))
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(platform).collect()
    }

    /// The newest platform finding's id (0 if none).
    pub async fn last_platform_finding(&self) -> Result<u64> {
        let row = sqlx::query("SELECT COALESCE(MAX(finding_id), 0) AS id FROM platform_finding")
            .fetch_one(self.pool())
            .await?;
        row.u64("id")
    }

    /// Platform findings, open first then newest first; only the open ones if `open_only`.
    pub async fn platform_findings(
        &self,
        open_only: bool,
        limit: i64,
    ) -> Result<Vec<PlatformFindingRow>> {
        let rows = sqlx::query(
            "SELECT finding_id, check_name, subject, severity, summary, remediation, details, \
             first_seen, last_seen, resolved_at FROM platform_finding \
             WHERE ($1 = 0 OR resolved_at IS NULL) \
             ORDER BY CASE WHEN resolved_at IS NULL THEN 0 ELSE 1 END, severity DESC, \
             finding_id DESC LIMIT $2",
        )
        .bind(i64::from(open_only))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(platform).collect()
    }
}
