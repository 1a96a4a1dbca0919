//! What the detectors see and what they report.

use alloy::primitives::{Address, B256, keccak256};
use serde::{Deserialize, Serialize};
use timebank_indexer::query::risk::{NewRiskFinding, ScanPayment};

pub use timebank_client::api::Severity;

/// A payment in chain order: where it is (block, log index) names it.
pub type Payment = ScanPayment;

/// A payment as evidence: enough to find it on chain and read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRef {
    /// Block.
    pub block: u64,
    /// Log index.
    pub log_index: u64,
    /// Block time (unix seconds).
    pub time: u64,
    /// Payer.
    pub from: Address,
    /// Payee.
    pub to: Address,
    /// Millionths of an hour.
    pub micro: u64,
    /// Why (the purpose's API name).
    pub purpose: String,
}

impl From<&Payment> for PaymentRef {
    fn from(p: &Payment) -> Self {
        Self {
            block: p.block_number,
            log_index: p.log_index,
            time: p.time,
            from: p.sender,
            to: p.recipient,
            micro: p.micro,
            purpose: p.purpose.as_str().to_owned(),
        }
    }
}

/// What a detector found about accounts.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// The detector's name.
    pub detector: &'static str,
    /// The account a case is about.
    pub account: Address,
    /// The other side that matters most (zero if none).
    pub counterparty: Address,
    /// How serious.
    pub severity: Severity,
    /// Orders the inbox: severity first, then the detector's weight and the hours at stake.
    pub score: u64,
    /// One line, Simplified Chinese then English.
    pub summary: String,
    /// The payments that make the pattern, in chain order.
    pub payments: Vec<PaymentRef>,
    /// For a cycle or a chain: the accounts in order.
    pub path: Vec<Address>,
    /// The figures the detector weighed (counts, totals, the median, the parameters).
    pub figures: serde_json::Value,
}

impl Finding {
    /// The detector and the payment that began the pattern: found again (a rescan, a
    /// restart), the same pattern has the same fingerprint.
    pub fn fingerprint(&self) -> B256 {
        let first = self.payments.first();
        keccak256(
            [
                self.detector.as_bytes(),
                self.account.as_slice(),
                &first.map_or(0, |p| p.block).to_be_bytes(),
                &first.map_or(0, |p| p.log_index).to_be_bytes(),
            ]
            .concat(),
        )
    }

    /// The evidence as stored and shown (JSON).
    pub fn evidence(&self) -> String {
        serde_json::json!({
            "detector": self.detector,
            "payments": self.payments,
            "path": self.path,
            "figures": self.figures,
        })
        .to_string()
    }

    /// The case's `reasonHash` on chain: keccak256 of the evidence, so anyone holding the
    /// evidence can check it is what the case was opened for.
    pub fn reason_hash(&self) -> B256 {
        keccak256(self.evidence())
    }

    /// The finding as the database stores it, found at `found_at` (unix seconds).
    pub fn stored(&self, found_at: u64) -> NewRiskFinding {
        let (first_block, last_block) = self.blocks();
        NewRiskFinding {
            fingerprint: self.fingerprint(),
            detector: self.detector.to_owned(),
            account: self.account,
            counterparty: self.counterparty,
            severity: self.severity as u8,
            score: self.score,
            summary: self.summary.clone(),
            evidence: self.evidence(),
            reason_hash: self.reason_hash(),
            first_block,
            last_block,
            found_at,
        }
    }

    /// The evidence's first and last blocks.
    pub fn blocks(&self) -> (u64, u64) {
        let first = self.payments.first().map_or(0, |p| p.block);
        let last = self.payments.last().map_or(first, |p| p.block);
        (first, last)
    }
}

/// A score: severity dominates, then the detector's weight, then the hours at stake.
pub fn score(severity: Severity, weight: u64, micro: u64) -> u64 {
    let hours = (micro / 1_000_000).min(9_999);
    (severity as u64) * timebank_indexer::query::SEVERITY_SCORE + weight.min(99) * 10_000 + hours
}

/// Hours, for the summaries (two decimals at most).
pub fn hours(micro: u64) -> String {
    let text = format!("{:.2}", micro as f64 / 1e6);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}
