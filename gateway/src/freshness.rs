//! Whether the branch's index is current enough to decide who may do what. Roles come from the
//! index: if the indexer stops, a role revoked on chain would keep working at this gateway.
//! A task follows the chain's head; role-gated answers refuse (503 `stale_index`) while the
//! index is more than `--max-index-lag-blocks` behind it, or while the node can't be asked.

use crate::error::{ApiError, ApiResult};
use alloy::providers::{DynProvider, Provider};
use axum::http::StatusCode;
use std::{
    sync::{Arc, Mutex, OnceLock, PoisonError, Weak},
    time::{Duration, Instant},
};
use timebank_indexer::query::Head;
use tokio::task::AbortHandle;

/// How often the chain's head is asked for.
const POLL: Duration = Duration::from_secs(1);
/// How long the last answer stands when the node stops answering.
const TRUST: Duration = Duration::from_secs(15);

/// The chain's head as last seen, and how far behind it the index may be.
#[derive(Debug)]
pub struct Freshness {
    max_lag: u64,
    seen: Mutex<Option<(u64, Instant)>>,
    task: OnceLock<AbortHandle>,
}

impl Drop for Freshness {
    fn drop(&mut self) {
        if let Some(task) = self.task.get() {
            task.abort();
        }
    }
}

impl Freshness {
    /// Asks the node for its head once, then follows it while this is held.
    pub async fn start(provider: DynProvider, max_lag: u64) -> Arc<Self> {
        let this = Arc::new(Self {
            max_lag,
            seen: Mutex::new(None),
            task: OnceLock::new(),
        });
        this.poll(&provider).await;
        let weak = Arc::downgrade(&this);
        let task = tokio::spawn(Self::follow(weak, provider));
        let _ = this.task.set(task.abort_handle());
        this
    }

    async fn follow(this: Weak<Self>, provider: DynProvider) {
        loop {
            tokio::time::sleep(POLL).await;
            let Some(this) = this.upgrade() else { return };
            this.poll(&provider).await;
        }
    }

    async fn poll(&self, provider: &DynProvider) {
        match provider.get_block_number().await {
            Ok(head) => {
                *self.seen.lock().unwrap_or_else(PoisonError::into_inner) =
                    Some((head, Instant::now()));
            }
            Err(err) => tracing::warn!(error = %err, "cannot read the chain's head"),
        }
    }

    /// 503 `stale_index` unless the index (at `indexed`) is within the allowed lag of the
    /// chain's head.
    pub fn check(&self, indexed: Option<&Head>) -> ApiResult<()> {
        let stale = |message: String| {
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "stale_index",
                message,
            ))
        };
        let seen = *self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let Some((chain, at)) = seen.filter(|(_, at)| at.elapsed() < TRUST) else {
            return stale(
                "the node does not answer, so whether this branch's index is current can't be \
                 told; answers that depend on roles wait until it does"
                    .into(),
            );
        };
        let Some(indexed) = indexed else {
            return stale("this branch's index has not started".into());
        };
        let behind = chain.saturating_sub(indexed.number);
        if behind > self.max_lag {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "stale_index",
                format!(
                    "this branch's index is {behind} blocks behind the chain (at most {} \
                     allowed): roles may have changed since; try again when it has caught up",
                    self.max_lag
                ),
            )
            .with_details(serde_json::json!({
                "chainHead": chain,
                "indexedBlock": indexed.number,
                "maxLag": self.max_lag,
                "seenSecondsAgo": at.elapsed().as_secs(),
            })));
        }
        Ok(())
    }
}
