//! The live stream (Server-Sent Events) for dashboards: new alerts, holds, case decisions, risk
//! changes and credential changes, as the branch's indexer writes them.

use crate::{
    AppState,
    access::{Caller, Role},
    error::ApiResult,
};
use alloy::primitives::Address;
use axum::{
    extract::State,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::Stream;
use serde::Serialize;
use std::{collections::BTreeSet, convert::Infallible, sync::Arc, time::Duration};
use timebank_indexer::{Store, query::HistoryEntry};
use tokio::sync::broadcast;

/// The events the stream carries.
pub const LIVE_EVENTS: &[&str] = &[
    "RuleHit",
    "MovementHeld",
    "HoldSettled",
    "CaseOpened",
    "CaseDecided",
    "RiskLevelChanged",
    "RiskAlertRaised",
    "RiskAlertAssessed",
    "CredentialIssued",
    "CredentialRenewed",
    "CredentialRevoked",
];

/// How often the index is polled for new events.
const POLL: Duration = Duration::from_millis(100);

/// One streamed event.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LiveEvent {
    /// The decoded event with its position.
    #[serde(flatten)]
    pub entry: HistoryEntry,
    /// Home branches of the members it names (operators receive their branch's only).
    pub branches: BTreeSet<u64>,
}

/// Fans new events out to every open stream.
#[derive(Debug, Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<LiveEvent>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(4_096).0,
        }
    }
}

impl Hub {
    /// Follows `store` from its current checkpoint, broadcasting each new live event.
    pub fn spawn(&self, store: Store) -> tokio::task::JoinHandle<()> {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let mut cursor = loop {
                match store.checkpoint().await {
                    Ok(c) => break c.map_or((0, 0), |(n, _)| (n, u64::MAX >> 1)),
                    Err(err) => {
                        tracing::warn!(error = %err, "live stream: cannot read the checkpoint");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            };
            loop {
                match store.events_after(cursor, LIVE_EVENTS, 500).await {
                    Ok(entries) if !entries.is_empty() => {
                        for entry in entries {
                            cursor = (entry.block_number, entry.log_index);
                            let branches = branches_named(&store, &entry).await;
                            // No receiver is fine: nobody is watching.
                            let _ = tx.send(Arc::new(LiveEvent { entry, branches }));
                        }
                        continue;
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = %err, "live stream: reading new events"),
                }
                tokio::time::sleep(POLL).await;
            }
        })
    }
}

/// Home branches of the members an event names (any address-valued field).
async fn branches_named(store: &Store, entry: &HistoryEntry) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    let Some(fields) = entry.fields.as_object() else {
        return out;
    };
    for value in fields.values() {
        if let Some(address) = value.as_str().and_then(|s| s.parse::<Address>().ok())
            && !address.is_zero()
            && let Ok(Some(m)) = store.member(address).await
        {
            out.insert(m.home_branch);
        }
    }
    out
}

/// The live stream. Supervisors, auditors and the admin receive everything; operators receive
/// events about their branch's members. Each SSE event is named after the contract event and
/// carries it as JSON.
#[utoipa::path(get, path = "/v1/events", tag = "live", security(("session" = [])),
    responses((status = 200, description = "text/event-stream of live events", content_type = "text/event-stream"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
pub async fn stream(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    caller.require_any(
        &[Role::Supervisor, Role::Auditor, Role::Admin, Role::Operator],
        "the live stream",
    )?;
    let only = if caller.is(Role::Supervisor) || caller.is(Role::Auditor) || caller.is(Role::Admin)
    {
        None
    } else {
        caller.operator_branch
    };
    let rx = state.live.tx.subscribe();
    let stream = futures::stream::unfold(rx, move |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(event) => {
                    if only.is_some_and(|b| !event.branches.contains(&b)) {
                        continue;
                    }
                    let sse = Event::default()
                        .event(event.entry.event.clone())
                        .json_data(&*event)
                        .unwrap_or_else(|_| Event::default().comment("unencodable event"));
                    return Some((Ok(sse), rx));
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    let sse = Event::default()
                        .event("lagged")
                        .data(format!("{missed} events were dropped; reload from the API"));
                    return Some((Ok(sse), rx));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
