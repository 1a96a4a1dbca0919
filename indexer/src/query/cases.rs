//! Supervision cases.

use super::row::Columns;
use crate::{
    Result,
    store::{Store, to_i64},
};
use alloy::primitives::{Address, B256};
use serde::Serialize;
use sqlx::Row;
use timebank_bindings::types::{
    CaseKind, CaseStatus, HoldStatus, MonitorAction, Purpose, RiskLevel,
};

/// Which cases, in which order, from where.
#[derive(Debug, Clone, Default)]
pub struct CaseQuery {
    /// Only cases about members of this branch.
    pub branch: Option<u64>,
    /// Only cases in this state.
    pub status: Option<CaseStatus>,
    /// Only cases that fired any of these rules (`fired` bits; 0: any).
    pub rule_bits: u16,
    /// The order.
    pub order: CaseOrder,
    /// The page after this case id (in the chosen order).
    pub after: Option<u64>,
    /// At most this many.
    pub limit: i64,
    /// The reader: cases about them or with them as the other side are left out (nobody
    /// reviews a movement they are part of), before the page is cut.
    pub viewer: Option<Address>,
}

/// The order of a list of cases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CaseOrder {
    /// Newest first.
    #[default]
    Newest,
    /// Oldest first (an inbox).
    Oldest,
    /// The highest score first, then oldest (an inbox by risk): see [`CaseDetail::score`].
    Score,
}

/// A supervision case, open or decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseDetail {
    /// Case id.
    pub case_id: u64,
    /// What opened it.
    pub kind: CaseKind,
    /// The member it is about.
    pub account: Address,
    /// The member's home branch (0 if not a member at that address now).
    pub home_branch: u64,
    /// The other side of the movement; the new wallet of a recovery.
    pub counterparty: Address,
    /// Fired rules (MonitorRules bits).
    pub rules: u16,
    /// What the monitor did.
    pub action: MonitorAction,
    /// Amount, decimal.
    pub amount: String,
    /// The movement's purpose.
    pub purpose: Purpose,
    /// Hold id, or 0.
    pub hold_id: u64,
    /// Open, cleared or confirmed.
    pub status: CaseStatus,
    /// Who opened it: the coin, a monitoring agent, an operator or a supervisor.
    pub opened_by: Address,
    /// Hash of the reason an agent or an operator gave.
    pub reason_hash: B256,
    /// Hash of the supervisor's note (the text stays off chain).
    pub note_hash: Option<B256>,
    /// The note's text, when it was written through this branch's gateway.
    pub note: Option<String>,
    /// Who decided it.
    pub decided_by: Option<Address>,
    /// Risk level set with the decision.
    pub risk_level: Option<RiskLevel>,
    /// Block it opened in.
    pub opened_block: u64,
    /// Its time (unix seconds).
    pub opened_at: u64,
    /// Block of its last change.
    pub block_number: u64,
    /// Its time.
    pub updated_at: u64,
    /// How urgent: a case the risk agent opened scores as its finding (severity, the
    /// detector's weight, the hours at stake); a rule's case as the severity of what the
    /// monitor did — a flag medium, a hold or a block high (`risk_finding`'s scale).
    pub score: u64,
}

/// The score one step of severity is worth (`riskscan`'s findings: severity × this + the
/// detector's weight × 10,000 + hours at stake; a rule's case: the severity of what the monitor
/// did × this).
pub const SEVERITY_SCORE: u64 = 1_000_000;

/// The cases' columns, a rule's case scored as a flag medium (2), a hold or a block high (3).
static CASE_SELECT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT c.case_id, c.kind, c.account, COALESCE(m.home_branch, 0) AS \
        home_branch, c.counterparty, c.rules, c.action, c.amount, c.purpose, c.hold_id, \
        c.status, c.opened_by, c.reason_hash, c.note_hash, c.decided_by, c.risk_level, \
        c.opened_block, COALESCE(o.block_time, 0) AS opened_at, c.block_number, \
        COALESCE(u.block_time, 0) AS updated_at, n.text AS note, c.score \
        FROM (SELECT c.*, COALESCE((SELECT MAX(f.score) FROM risk_finding f \
            WHERE f.reason_hash = c.reason_hash AND f.account = c.account), \
            (CASE c.action WHEN 1 THEN 2 WHEN 2 THEN 3 WHEN 3 THEN 3 ELSE 1 END) * {SEVERITY_SCORE}) \
            AS score FROM supervision_case c) c \
        LEFT JOIN member m ON m.account = c.account \
        LEFT JOIN note n ON n.hash = c.note_hash \
        LEFT JOIN indexed_block o ON o.block_number = c.opened_block \
        LEFT JOIN indexed_block u ON u.block_number = c.block_number"
    )
});

impl CaseDetail {
    fn read(r: &sqlx::any::AnyRow) -> Result<Self> {
        Ok(Self {
            case_id: r.u64("case_id")?,
            kind: r.kind("kind")?,
            account: r.address("account")?,
            home_branch: r.u64("home_branch")?,
            counterparty: r.address("counterparty")?,
            rules: u16::try_from(r.u64("rules")?).unwrap_or(u16::MAX),
            action: r.kind("action")?,
            amount: r.text("amount")?,
            purpose: r.kind("purpose")?,
            hold_id: r.u64("hold_id")?,
            status: r.kind("status")?,
            opened_by: r.address("opened_by")?,
            reason_hash: r.hash("reason_hash")?,
            note_hash: r.opt_hash("note_hash")?,
            note: r.try_get("note")?,
            decided_by: r.opt_address("decided_by")?,
            risk_level: r.opt_kind("risk_level")?,
            opened_block: r.u64("opened_block")?,
            opened_at: r.u64("opened_at")?,
            block_number: r.u64("block_number")?,
            updated_at: r.u64("updated_at")?,
            score: r.u64("score")?,
        })
    }
}

/// Coins a monitor put in escrow, with the case that decides them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HoldRow {
    /// Hold id.
    pub hold_id: u64,
    /// Who paid.
    pub sender: Address,
    /// Who the coins were for.
    pub recipient: Address,
    /// Amount, base units.
    pub amount: String,
    /// The movement's purpose.
    pub purpose: Purpose,
    /// Held, released to the recipient or returned to the sender.
    pub status: HoldStatus,
    /// The newest case about it (a rule hit's, or the one that adopted it), if any desk has one.
    pub case_id: Option<u64>,
    /// That case's state.
    pub case_status: Option<CaseStatus>,
    /// Block of the hold's last change (while held: the block that held it).
    pub block_number: u64,
    /// Its time (unix seconds).
    pub updated_at: u64,
}

impl Store {
    /// Holds, in `status` if given, newest first, a page at a time (`after` the last hold id of
    /// the previous page).
    pub async fn holds(
        &self,
        status: Option<HoldStatus>,
        after: Option<u64>,
        limit: i64,
    ) -> Result<Vec<HoldRow>> {
        let status = status.map_or(-1, |s| i64::from(s as u8));
        let rows = sqlx::query(
            "SELECT h.hold_id, h.sender, h.recipient, h.amount, h.purpose, h.status, \
             c.case_id, c.status AS case_status, h.block_number, \
             COALESCE(b.block_time, 0) AS updated_at FROM coin_hold h \
             LEFT JOIN supervision_case c ON c.case_id = (SELECT MAX(x.case_id) \
             FROM supervision_case x WHERE x.hold_id = h.hold_id) \
             LEFT JOIN indexed_block b ON b.block_number = h.block_number \
             WHERE ($1 < 0 OR h.status = $2) AND ($3 < 0 OR h.hold_id < $4) \
             ORDER BY h.hold_id DESC LIMIT $5",
        )
        .bind(status)
        .bind(status)
        .bind(after.map_or(-1, to_i64))
        .bind(after.map_or(-1, to_i64))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(HoldRow {
                    hold_id: r.u64("hold_id")?,
                    sender: r.address("sender")?,
                    recipient: r.address("recipient")?,
                    amount: r.text("amount")?,
                    purpose: r.kind("purpose")?,
                    status: r.kind("status")?,
                    case_id: r.opt_u64("case_id")?,
                    case_status: r.opt_kind("case_status")?,
                    block_number: r.u64("block_number")?,
                    updated_at: r.u64("updated_at")?,
                })
            })
            .collect()
    }

    /// The first block of supervision about `account` that is still undecided — an open case
    /// about it, or a partner's alert not yet assessed — if there is any: what the member must
    /// not see of their own history from there on (no tipping-off).
    pub async fn undecided_supervision_since(&self, account: Address) -> Result<Option<u64>> {
        let case = sqlx::query(
            "SELECT MIN(opened_block) AS since FROM supervision_case \
             WHERE account = $1 AND status = $2",
        )
        .bind(account.to_vec())
        .bind(i64::from(u8::from(CaseStatus::Open)))
        .fetch_one(self.pool())
        .await?;
        let alert = sqlx::query(
            "SELECT MIN(block_number) AS since FROM risk_alert WHERE account = $1 AND NOT assessed",
        )
        .bind(account.to_vec())
        .fetch_one(self.pool())
        .await?;
        let since = |r: &sqlx::any::AnyRow| -> Result<Option<u64>> {
            let v: Option<i64> = sqlx::Row::try_get(r, "since")?;
            Ok(v.and_then(|v| u64::try_from(v).ok()))
        };
        Ok(match (since(&case)?, since(&alert)?) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }

    /// Case `id`, if there is one.
    pub async fn case(&self, id: u64) -> Result<Option<CaseDetail>> {
        let sql = format!("{} WHERE c.case_id = $1", *CASE_SELECT);
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to_i64(id))
            .fetch_optional(self.pool())
            .await?;
        row.map(|r| CaseDetail::read(&r)).transpose()
    }

    /// Cases as `q` asks: of a branch, a status or a rule, newest or oldest first, a page at a
    /// time.
    pub async fn cases(&self, q: &CaseQuery) -> Result<Vec<CaseDetail>> {
        // Case ids grow as cases open: the id is both the order and the page's cursor; by
        // score, the cursor is the last case's (score, id).
        let (order, after) = match q.order {
            CaseOrder::Oldest => ("c.case_id ASC", "c.case_id > $7"),
            CaseOrder::Newest => ("c.case_id DESC", "c.case_id < $7"),
            CaseOrder::Score => (
                "c.score DESC, c.case_id ASC",
                "(c.score < $9 OR (c.score = $10 AND c.case_id > $7))",
            ),
        };
        let after_score = match (q.order, q.after) {
            (CaseOrder::Score, Some(id)) => self.case(id).await?.map_or(0, |c| c.score),
            _ => 0,
        };
        let sql = format!(
            "{} WHERE ($1 < 0 OR m.home_branch = $2) AND ($3 < 0 OR c.status = $4) \
             AND ($5 = 0 OR (c.rules & $6) <> 0) AND ($7 < 0 OR {after}) \
             AND $9 >= 0 AND $10 >= 0 AND c.account <> $11 AND c.counterparty <> $12 \
             ORDER BY {order} LIMIT $8",
            *CASE_SELECT
        );
        let status = q.status.map_or(-1, |s| i64::from(s as u8));
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(q.branch.map_or(-1, to_i64))
            .bind(q.branch.map_or(-1, to_i64))
            .bind(status)
            .bind(status)
            .bind(i64::from(q.rule_bits))
            .bind(i64::from(q.rule_bits))
            .bind(q.after.map_or(-1, to_i64))
            .bind(q.limit)
            .bind(to_i64(after_score))
            .bind(to_i64(after_score))
            // No reader: an empty value, which no 20-byte address equals.
            .bind(q.viewer.map_or_else(Vec::new, |a| a.to_vec()))
            .bind(q.viewer.map_or_else(Vec::new, |a| a.to_vec()))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(CaseDetail::read).collect()
    }

    /// Open cases about members of `branch_id`, oldest first.
    pub async fn open_cases(&self, branch_id: u64) -> Result<Vec<CaseDetail>> {
        let sql = format!(
            "{} WHERE c.status = $1 AND m.home_branch = $2 ORDER BY c.case_id",
            *CASE_SELECT
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(i64::from(CaseStatus::Open as u8))
            .bind(to_i64(branch_id))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(CaseDetail::read).collect()
    }
}
