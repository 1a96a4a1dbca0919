//! The gateway's background chores: sweeping what expired from the branch database, the
//! relayer's balance as a metric, and anchoring the branch's access log on chain — its entry
//! count and head hash, in one transaction per interval (`TimebankAccess.anchorAccessLog`, by
//! the relayer key, which holds the branch's gateway role). [`verify`] checks a branch's log
//! against its anchor.

use crate::{
    AppState,
    relay::limits::{WRITE_INTERVAL, names},
};
use alloy::{
    primitives::{Address, B256},
    providers::{DynProvider, Provider},
};
use std::{sync::Arc, time::Duration};
use timebank_bindings::TimebankAccess;
use timebank_indexer::{Deployment, Store, query::gateway::LogVerification};

/// How often expired rows are swept and the relayer's balance is read.
const CHORE_INTERVAL: Duration = Duration::from_secs(30);

/// Runs the chores until the task is dropped; anchors every `anchor_interval_secs` (never
/// with 0, or without a relayer).
pub async fn chores(state: Arc<AppState>, anchor_interval_secs: u64) {
    let mut last_anchor = tokio::time::Instant::now();
    let mut last_chores = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(WRITE_INTERVAL).await;
        if let Err(err) = state.limits.write(&state.store).await {
            tracing::warn!(error = %err, "writing the relayed gas");
        }
        if last_chores.elapsed() < CHORE_INTERVAL {
            continue;
        }
        last_chores = tokio::time::Instant::now();
        match state.store.sweep_expired(crate::auth::unix_now()).await {
            Ok(swept) => tracing::debug!(?swept, "swept expired sessions, nonces and notes"),
            Err(err) => tracing::warn!(error = %err, "sweeping expired rows"),
        }
        state.limits.forget_idle();
        let Some(relayer) = state.relayer else {
            continue;
        };
        if let Ok(balance) = state.provider.get_balance(relayer).await {
            metrics::gauge!(names::RELAYER_BALANCE).set(f64::from(balance) / 1e18);
        }
        if anchor_interval_secs > 0
            && last_anchor.elapsed() >= Duration::from_secs(anchor_interval_secs)
        {
            last_anchor = tokio::time::Instant::now();
            if let Err(err) = anchor(&state, relayer).await {
                tracing::warn!(error = %err, "anchoring the access log");
            }
        }
    }
}

/// Anchors the access log's head if it has entries the last anchor did not cover. Returns the
/// entries anchored.
pub async fn anchor(state: &AppState, relayer: Address) -> eyre::Result<Option<u64>> {
    let head = state.store.access_log_head().await?;
    if head.entries <= head.anchored {
        return Ok(None);
    }
    let access = TimebankAccess::new(state.deployment.contracts.access, &state.provider);
    let call = access.anchorAccessLog(state.branch_id, head.entries, head.head);
    // Refused (no gateway role, an anchor already past this): say so before spending a nonce.
    call.clone().from(relayer).call().await.map_err(|err| {
        let reason = err
            .as_revert_data()
            .map(|data| timebank_bindings::describe_revert(&data))
            .unwrap_or_else(|| err.to_string());
        let hint = if reason.contains("AccessControlUnauthorizedAccount") {
            format!(
                ": the relayer {relayer} needs TimebankAccess.gatewayRole({})",
                state.branch_id
            )
        } else {
            String::new()
        };
        eyre::eyre!("the contract refuses the anchor ({reason}){hint}")
    })?;
    let receipt = crate::relay::send_own(
        state,
        relayer,
        call.into_transaction_request(),
        120_000,
        "anchoring the access log",
    )
    .await?;
    eyre::ensure!(receipt.status(), "the anchor transaction reverted");
    state.store.set_anchored(head.entries).await?;
    tracing::info!(entries = head.entries, head = %head.head, "anchored the access log");
    Ok(Some(head.entries))
}

/// Checks branch `branch_id`'s access log in `store` against its anchor on chain: complete and
/// unaltered up to the anchored entry, and chained after it.
pub async fn verify(
    store: &Store,
    provider: &DynProvider,
    deployment: &Deployment,
    branch_id: u32,
) -> eyre::Result<LogVerification> {
    let anchor = TimebankAccess::new(deployment.contracts.access, provider)
        .accessLogAnchor(branch_id)
        .call()
        .await?;
    let anchor = (anchor.entries > 0).then_some((anchor.entries, B256::from(anchor.head)));
    Ok(store.verify_access_log(anchor).await?)
}
