//! The live stream (Server-Sent Events) for dashboards: new alerts, holds, case decisions, risk
//! changes and credential changes, as the branch's indexer writes them. A stream lasts no
//! longer than the right to watch it: it closes when its session ends (logout here or at
//! another replica, expiry) or the caller's roles change.

use crate::{
    AppState,
    access::{Caller, Role},
    auth::Session,
    error::{ApiError, ApiResult},
};
use alloy::primitives::{Address, B256};
use axum::{
    extract::State,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::Stream;
use serde::Serialize;
use std::{
    collections::{BTreeSet, HashMap},
    convert::Infallible,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};
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

/// How often it is read for new platform findings.
const PLATFORM_POLL: Duration = Duration::from_secs(1);

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

impl LiveEvent {
    /// Whether the event names `account` (staff don't watch supervision of themselves).
    fn names(&self, account: Address) -> bool {
        let account = account.to_string().to_lowercase();
        self.entry.fields.as_object().is_some_and(|fields| {
            fields
                .values()
                .filter_map(serde_json::Value::as_str)
                .any(|v| v.to_lowercase() == account)
        })
    }
}

/// Fans new events out to every open stream.
#[derive(Debug, Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<LiveEvent>>,
    /// When the hub last read the index (unix seconds): `/ready` reports it, so a stalled
    /// stream is seen from outside (the risk agent's `event_stream_stalled`).
    polled: Arc<AtomicU64>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(4_096).0,
            polled: Arc::new(AtomicU64::new(crate::auth::unix_now())),
        }
    }
}

impl Hub {
    /// Seconds since the hub last read the index.
    pub fn polled_secs_ago(&self) -> u64 {
        crate::auth::unix_now().saturating_sub(self.polled.load(Ordering::Relaxed))
    }

    /// Follows `store` from its current checkpoint, broadcasting each new live event, until
    /// the future is dropped.
    pub fn run(&self, store: Store) -> impl std::future::Future<Output = ()> + Send + 'static {
        let tx = self.tx.clone();
        let polled = Arc::clone(&self.polled);
        async move {
            let mut cursor = loop {
                match store.checkpoint().await {
                    Ok(c) => break c.map_or((0, 0), |(n, _)| (n, u64::MAX >> 1)),
                    Err(err) => {
                        tracing::warn!(error = %err, "live stream: cannot read the checkpoint");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            };
            // The risk agent's platform findings, as they open (not those open before): its
            // scans run every half minute, so a read a second is enough.
            let mut platform = None;
            let mut platform_read: Option<tokio::time::Instant> = None;
            loop {
                if platform_read.is_none_or(|t| t.elapsed() >= PLATFORM_POLL) {
                    platform_read = Some(tokio::time::Instant::now());
                    platform = match platform {
                        None => store.last_platform_finding().await.ok(),
                        Some(after) => {
                            let mut last = after;
                            for f in store
                                .platform_findings_after(after)
                                .await
                                .unwrap_or_default()
                            {
                                last = f.finding_id;
                                let _ = tx.send(Arc::new(platform_event(f)));
                            }
                            Some(last)
                        }
                    };
                }
                let read = store.events_after(cursor, LIVE_EVENTS, 500).await;
                if read.is_ok() {
                    polled.store(crate::auth::unix_now(), Ordering::Relaxed);
                }
                match read {
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
        }
    }
}

/// A platform finding as a live event named `PlatformFinding`: no block, no branch (only
/// supervisors, auditors and the admin, who watch everything, receive it).
fn platform_event(f: timebank_indexer::query::risk::PlatformFindingRow) -> LiveEvent {
    LiveEvent {
        entry: HistoryEntry {
            block_number: 0,
            block_time: f.first_seen,
            log_index: f.finding_id,
            tx_hash: B256::ZERO,
            contract: "riskscan".to_owned(),
            event: PLATFORM_FINDING.to_owned(),
            fields: serde_json::json!({
                "check": f.check,
                "subject": f.subject,
                "severity": timebank_client::api::Severity::from_u8(f.severity).map(|s| s.as_str()),
                "summary": f.summary,
                "remediation": f.remediation,
            }),
        },
        branches: BTreeSet::new(),
    }
}

/// The live event of a platform finding the risk agent opened.
pub const PLATFORM_FINDING: &str = "PlatformFinding";

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

/// How often an open stream checks that its session is live and its caller's roles still let
/// them watch.
const RECHECK: Duration = Duration::from_secs(2);

/// Live streams open per caller, capped.
#[derive(Debug)]
pub struct Streams {
    max: usize,
    open: Mutex<HashMap<Address, usize>>,
}

impl Streams {
    /// At most `max` streams per caller.
    pub fn new(max: usize) -> Self {
        Self {
            max,
            open: Mutex::default(),
        }
    }

    fn count(&self) -> std::sync::MutexGuard<'_, HashMap<Address, usize>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Streams open now (all callers).
    pub fn total(&self) -> usize {
        self.count().values().sum()
    }
}

/// One open stream, counted until it is dropped.
struct Opened {
    state: Arc<AppState>,
    address: Address,
}

impl Opened {
    fn new(state: &Arc<AppState>, address: Address) -> ApiResult<Self> {
        let mut open = state.streams.count();
        let n = open.entry(address).or_default();
        if *n >= state.streams.max {
            return Err(ApiError::too_many(
                "too_many_streams",
                format!(
                    "{address} has {} live streams open already; close one first",
                    state.streams.max
                ),
                RECHECK,
            ));
        }
        *n += 1;
        drop(open);
        Ok(Self {
            state: Arc::clone(state),
            address,
        })
    }
}

impl Drop for Opened {
    fn drop(&mut self) {
        let mut open = self.state.streams.count();
        if let Some(n) = open.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// Who may watch, and what: `None` for everything, `Some(branch)` for one branch's members.
fn scope(caller: &Caller) -> ApiResult<Option<u64>> {
    caller.require_any(
        &[Role::Supervisor, Role::Auditor, Role::Admin, Role::Operator],
        "the live stream",
    )?;
    Ok(
        if caller.is(Role::Supervisor) || caller.is(Role::Auditor) || caller.is(Role::Admin) {
            None
        } else {
            caller.operator_branch
        },
    )
}

/// An open stream's state.
struct Watch {
    events: broadcast::Receiver<Arc<LiveEvent>>,
    ended: broadcast::Receiver<B256>,
    session: Session,
    scope: Option<u64>,
    recheck: tokio::time::Interval,
    closed: bool,
    _opened: Opened,
}

impl Watch {
    /// The next SSE event, or `None` once the stream has closed.
    async fn next(&mut self) -> Option<Event> {
        if self.closed {
            return None;
        }
        let expires_in = Duration::from_secs(
            self.session
                .expires_at
                .saturating_sub(crate::auth::unix_now()),
        );
        let state = Arc::clone(&self._opened.state);
        loop {
            tokio::select! {
                received = self.events.recv() => match received {
                    Ok(event) => {
                        if self.scope.is_some_and(|b| !event.branches.contains(&b))
                            || event.names(self.session.address)
                        {
                            continue;
                        }
                        return Some(
                            Event::default()
                                .event(event.entry.event.clone())
                                .json_data(&*event)
                                .unwrap_or_else(|_| Event::default().comment("unencodable event")),
                        );
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        return Some(Event::default().event("lagged").data(format!(
                            "{missed} events were dropped; reload from the API"
                        )));
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                ended = self.ended.recv() => {
                    if matches!(ended, Ok(hash) if hash == self.session.token_hash) {
                        return Some(self.close("signed_out"));
                    }
                }
                () = tokio::time::sleep(expires_in) => return Some(self.close("session_expired")),
                _ = self.recheck.tick() => {
                    match self.still_allowed(&state).await {
                        Ok(None) => {}
                        Ok(Some(reason)) => return Some(self.close(reason)),
                        Err(err) => tracing::warn!(error = %err.message(), "live stream recheck"),
                    }
                }
            }
        }
    }

    /// Why the stream must close now, if it must: the session ended (at any replica) or the
    /// caller's roles no longer let them watch what they watch.
    async fn still_allowed(&self, state: &AppState) -> ApiResult<Option<&'static str>> {
        if self.session.expires_at <= crate::auth::unix_now() {
            return Ok(Some("session_expired"));
        }
        if !state.auth.still_live(&self.session).await? {
            return Ok(Some("signed_out"));
        }
        let head = state.heads.read(&state.store).await?;
        let caller = crate::auth::standing_at(state, self.session.address, head).await?;
        Ok(match scope(&caller) {
            Ok(scope) if scope == self.scope || scope.is_none() => None,
            _ => Some("roles_changed"),
        })
    }

    fn close(&mut self, reason: &'static str) -> Event {
        self.closed = true;
        Event::default()
            .event("closed")
            .data(serde_json::json!({ "reason": reason }).to_string())
    }
}

/// The live stream. Supervisors, auditors and the admin receive everything; operators receive
/// events about their branch's members. Each SSE event is named after the contract event and
/// carries it as JSON. The stream ends with a `closed` event (`signed_out`,
/// `session_expired` or `roles_changed`) when the session ends or the caller may no longer
/// watch; a caller holds a few streams at most (429 beyond).
#[utoipa::path(get, path = "/v1/events", tag = "live", security(("session" = [])),
    responses((status = 200, description = "text/event-stream of live events", content_type = "text/event-stream"),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody)))]
pub async fn stream(
    State(state): State<Arc<AppState>>,
    session: Session,
    caller: Caller,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let scope = scope(&caller)?;
    let opened = Opened::new(&state, caller.address)?;
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    recheck.reset();
    let watch = Watch {
        events: state.live.tx.subscribe(),
        ended: state.auth.ended(),
        session,
        scope,
        recheck,
        closed: false,
        _opened: opened,
    };
    let stream = futures::stream::unfold(watch, |mut watch| async move {
        let event = watch.next().await?;
        Some((Ok(event), watch))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
