//! The agent's loop: new blocks in the index → the detectors → findings stored once → a case
//! on chain for each serious one; state and platform scans at an interval. A reorg in the
//! index restarts the detectors from the first block (they rebuild their windows in seconds;
//! a pattern found again has the same fingerprint and is not stored or opened twice).

use crate::{config::Config, detect::Engine, metrics as m, model::Finding, platform, scans};
use alloy::{
    primitives::{Address, B256},
    providers::{DynProvider, Provider},
    signers::local::PrivateKeySigner,
};
use std::time::{Duration, Instant};
use timebank_bindings::{SupervisionDesk, TimeCoin, deploy::Deployment, time_coin::MonitorRules};
use timebank_indexer::{Store, query::risk::ScanPayment, unix_now};
use tokio::sync::mpsc;

/// Payments read per query.
const PAGE: i64 = 20_000;
/// The case cap's period (seconds).
const DAY: u64 = 86_400;

/// The monitoring agent's signer from its key file (hex), which must be readable by the
/// service's user only: a key others on the machine can read is refused, as the gateway's are.
pub fn signer_from_key_file(path: &std::path::Path) -> eyre::Result<PrivateKeySigner> {
    let key = timebank_indexer::telemetry::read_secret(path, "risk agent's key file")?;
    key.trim().parse().map_err(|_| {
        eyre::eyre!(
            "the risk agent's key file {} does not hold a private key (hex)",
            path.display()
        )
    })
}

/// The chain's monitoring rules now (structuring's defaults come from them).
pub async fn chain_rules(
    chain: &DynProvider,
    deployment: &Deployment,
) -> eyre::Result<MonitorRules::Config> {
    let rules = TimeCoin::new(deployment.contracts.time_coin, chain)
        .monitorRules()
        .call()
        .await?;
    Ok(rules._0)
}

/// Feeds every payment after the engine's last, up to block `until`, to `engine`, reading the
/// next page while the detectors work on this one; `found` gets each finding in chain order.
pub async fn scan_history(
    store: &Store,
    engine: &mut Engine,
    escrow: Address,
    until: u64,
    mut found: impl FnMut(Finding),
) -> eyre::Result<u64> {
    let (tx, mut rx) = mpsc::channel::<Vec<ScanPayment>>(2);
    let reader = {
        let store = store.clone();
        let mut after = engine.last().unwrap_or((0, 0));
        tokio::spawn(async move {
            loop {
                let page = store.scan_payments(after, until, escrow, PAGE).await?;
                let Some(last) = page.last() else {
                    return Ok::<_, timebank_indexer::Error>(());
                };
                after = (last.block_number, last.log_index);
                let full = page.len() as i64 == PAGE;
                if tx.send(page).await.is_err() || !full {
                    return Ok(());
                }
            }
        })
    };
    let mut seen = 0;
    let mut findings = Vec::new();
    while let Some(page) = rx.recv().await {
        for p in &page {
            engine.observe(p, &mut findings);
            findings.drain(..).for_each(&mut found);
        }
        seen += page.len() as u64;
    }
    reader.await??;
    Ok(seen)
}

/// The agent: one branch's index, the chain, the detectors.
pub struct Agent {
    store: Store,
    chain: DynProvider,
    deployment: Deployment,
    config: Config,
    engine: Engine,
    /// Whether the chain provider signs as a monitoring agent (else findings are stored only).
    opens_cases: bool,
    /// The last block the detectors finished, with its hash (a reorg changes it).
    done: Option<(u64, B256)>,
    last_scans: Option<Instant>,
}

/// What one step did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Step {
    /// Payments seen.
    pub payments: u64,
    /// New findings stored.
    pub findings: u64,
    /// Cases opened on chain.
    pub cases: u64,
    /// Whether a reorg restarted the detectors.
    pub restarted: bool,
}

impl Agent {
    /// An agent over `store` and `chain`; `opens_cases` when `chain` signs as a wallet that
    /// holds `MONITORING_AGENT`.
    pub async fn new(
        store: Store,
        chain: DynProvider,
        deployment: Deployment,
        config: Config,
        opens_cases: bool,
    ) -> eyre::Result<Self> {
        let rules = chain_rules(&chain, &deployment).await?;
        Ok(Self {
            engine: Engine::new(&config, &rules),
            store,
            chain,
            deployment,
            config,
            opens_cases,
            done: None,
            last_scans: None,
        })
    }

    /// Runs until `stop` resolves: a step every `poll`, scans every `platform.interval_secs`.
    pub async fn run(
        mut self,
        poll: Duration,
        stop: impl std::future::Future<Output = ()>,
    ) -> eyre::Result<()> {
        tokio::pin!(stop);
        // Cases a previous run found but could not open.
        self.open_owed_cases().await;
        loop {
            match self.step().await {
                Ok(step) if step.findings > 0 || step.restarted => {
                    tracing::info!(?step, "detectors");
                }
                Ok(_) => {}
                Err(err) => {
                    metrics::counter!(m::ERRORS).increment(1);
                    tracing::warn!(error = %err, "a step failed; retrying");
                }
            }
            if let Err(err) = self.scans_if_due().await {
                metrics::counter!(m::ERRORS).increment(1);
                tracing::warn!(error = %err, "a scan failed; retrying");
            }
            tokio::select! {
                () = &mut stop => return Ok(()),
                () = tokio::time::sleep(poll) => {}
            }
        }
    }

    /// New blocks in the index through the detectors; their findings stored and opened.
    pub async fn step(&mut self) -> eyre::Result<Step> {
        let mut step = Step::default();
        let Some(head) = self.store.head().await? else {
            return Ok(step);
        };
        if let Some((n, hash)) = self.done
            && self.store.block_hash(n).await? != Some(hash)
        {
            tracing::info!(
                block = n,
                "the index reorganised: the detectors start again"
            );
            let rules = chain_rules(&self.chain, &self.deployment).await?;
            self.engine = Engine::new(&self.config, &rules);
            self.done = None;
            step.restarted = true;
        }
        if self.done.is_some_and(|(n, _)| n >= head.number) {
            return Ok(step);
        }
        let mut findings = Vec::new();
        let started = Instant::now();
        step.payments = scan_history(
            &self.store,
            &mut self.engine,
            self.deployment.contracts.time_coin,
            head.number,
            |f| findings.push(f),
        )
        .await?;
        metrics::counter!(m::PAYMENTS).increment(step.payments);
        for f in &findings {
            let (new, case) = self.record(f).await?;
            step.findings += u64::from(new);
            step.cases += u64::from(case);
        }
        if step.payments > 0 {
            metrics::histogram!(m::BLOCK_SECONDS).record(started.elapsed().as_secs_f64());
        }
        self.done = Some((head.number, head.hash));
        if let Ok(chain_head) = self.chain.get_block_number().await {
            metrics::gauge!(m::LAG_BLOCKS).set(chain_head.saturating_sub(head.number) as f64);
        }
        Ok(step)
    }

    /// Stores `f` unless it is known; opens its case if it is serious enough and the case
    /// policy lets it (see [`Agent::joins`]). Returns (new, case opened).
    pub async fn record(&self, f: &Finding) -> eyre::Result<(bool, bool)> {
        let now = unix_now();
        let stored = f.stored(now);
        let serious = f.severity >= self.config.open_case_at;
        let joins = if serious {
            self.joins(f, now).await?
        } else {
            None
        };
        let Some(id) = self
            .store
            .insert_risk_finding_joining(&stored, joins.map(|(id, _)| id))
            .await?
        else {
            return Ok((false, false));
        };
        metrics::counter!(m::FINDINGS, "detector" => f.detector, "severity" => f.severity.as_str())
            .increment(1);
        if let Some((case_of, why)) = joins {
            metrics::counter!(m::JOINED, "detector" => f.detector, "why" => why).increment(1);
            tracing::info!(detector = f.detector, account = %f.account, joins = case_of, why, "{}", f.summary);
            return Ok((true, false));
        }
        tracing::info!(detector = f.detector, account = %f.account, severity = f.severity.as_str(), "{}", f.summary);
        if !serious || !self.opens_cases {
            return Ok((true, false));
        }
        let opened = self
            .open_case(
                id,
                f.detector,
                f.account,
                f.counterparty,
                stored.reason_hash,
            )
            .await;
        Ok((true, opened))
    }

    /// The case policy for a serious finding: the finding whose case it joins as evidence,
    /// and why, or `None` if it opens its own. A detector's case about an account that is
    /// still open takes every later finding of that detector about it (a ring passing coins
    /// round re-arms the detectors with each payment: new evidence, not a new case); past
    /// `daily_cases_per_account` cases in 24 hours, a finding joins the account's newest open
    /// case (colluders can't bury an account, or the inbox, under cases).
    async fn joins(&self, f: &Finding, now: u64) -> eyre::Result<Option<(u64, &'static str)>> {
        let severity = self.config.open_case_at as u8;
        if let Some(open) = self
            .store
            .open_agent_case(f.account, f.detector, severity)
            .await?
        {
            return Ok(Some((open, "open_case")));
        }
        let today = self
            .store
            .agent_cases_since(f.account, now.saturating_sub(DAY), severity)
            .await?;
        Ok(match today.join {
            Some(join) if today.opened >= self.config.daily_cases_per_account => {
                Some((join, "daily_cap"))
            }
            _ => None,
        })
    }

    /// Opens the case for finding `id` on chain as the monitoring agent; false (logged) if the
    /// chain refused.
    async fn open_case(
        &self,
        id: u64,
        detector: &str,
        account: Address,
        counterparty: Address,
        reason: B256,
    ) -> bool {
        let desk = SupervisionDesk::new(self.deployment.contracts.supervision_desk, &self.chain);
        let sent = async {
            let pending = desk.openCase(account, counterparty, reason).send().await?;
            self.store
                .set_finding_case_tx(id, *pending.tx_hash())
                .await?;
            let receipt = pending
                .with_timeout(Some(Duration::from_secs(60)))
                .get_receipt()
                .await?;
            eyre::ensure!(
                receipt.status(),
                "openCase reverted in {}",
                receipt.transaction_hash
            );
            Ok::<_, eyre::Report>(())
        };
        match sent.await {
            Ok(()) => {
                metrics::counter!(m::CASES, "detector" => detector.to_owned()).increment(1);
                true
            }
            Err(err) => {
                metrics::counter!(m::ERRORS).increment(1);
                tracing::error!(finding = id, %account, error = %err, "cannot open the case");
                false
            }
        }
    }

    /// Opens the cases of stored findings that never got one: not sent (the agent stopped in
    /// between), or sent and never landed.
    pub async fn open_owed_cases(&self) {
        if !self.opens_cases {
            return;
        }
        let owed = match self
            .store
            .findings_without_case(self.config.open_case_at as u8)
            .await
        {
            Ok(owed) => owed,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the findings owed a case");
                return;
            }
        };
        for f in owed {
            // Sent before: owed again only if the chain has no successful receipt for it.
            if let Some(tx) = f.case_tx
                && let Ok(Some(receipt)) = self.chain.get_transaction_receipt(tx).await
                && receipt.status()
            {
                continue;
            }
            self.open_case(
                f.finding_id,
                &f.detector,
                f.account,
                f.counterparty,
                f.reason_hash,
            )
            .await;
        }
    }

    /// The state and platform scans, when their interval has passed.
    async fn scans_if_due(&mut self) -> eyre::Result<()> {
        let interval = Duration::from_secs(self.config.platform.interval_secs);
        if self.last_scans.is_some_and(|t| t.elapsed() < interval) {
            return Ok(());
        }
        self.last_scans = Some(Instant::now());
        self.scan_state().await?;
        if self.config.platform.enabled {
            self.scan_platform().await?;
        }
        Ok(())
    }

    /// Accounts' and credentials' state: dormant balances, accounts never used, rewards around
    /// a credential's end.
    pub async fn scan_state(&self) -> eyre::Result<u64> {
        let Some(head) = self.store.head().await? else {
            return Ok(0);
        };
        let mut new = 0;
        for f in scans::state(&self.store, &self.config, head.time).await? {
            new += u64::from(self.record(&f).await?.0);
        }
        Ok(new)
    }

    /// The platform's nodes, services and contracts: what each check sees, recorded.
    pub async fn scan_platform(&self) -> eyre::Result<Vec<platform::Sighting>> {
        let sightings =
            platform::scan(&self.store, &self.chain, &self.deployment, &self.config).await;
        let opened = platform::record(&self.store, &sightings, unix_now()).await?;
        for s in &opened {
            tracing::warn!(check = %s.check, subject = %s.subject, "{}", s.summary);
        }
        Ok(sightings)
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_key_file_others_may_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("risk-agent.key");
        // anvil's first key: a valid key, so only the mode can refuse it.
        std::fs::write(
            &path,
            "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80\n",
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = super::signer_from_key_file(&path).unwrap_err().to_string();
        assert!(
            err.contains("may be read by others (mode 644)") && err.contains("chmod 600"),
            "{err}"
        );
        assert!(err.contains(&path.display().to_string()), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        super::signer_from_key_file(&path).unwrap();
        std::fs::write(&path, "not a key").unwrap();
        let err = super::signer_from_key_file(&path).unwrap_err().to_string();
        assert!(err.contains("does not hold a private key"), "{err}");
        assert!(
            !err.contains("not a key"),
            "the file's content stays out: {err}"
        );
    }
}
