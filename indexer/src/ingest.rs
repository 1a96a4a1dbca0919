//! The loop: backfill in adaptive ranges, follow the head, handle reorgs, retry what fails.

use crate::{
    Deployment, Error, Result, Settings, Store,
    decode::Decoder,
    project::{Batch, Mode, Projector},
    telemetry::{self, names},
};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, B256},
    providers::{Provider, ProviderBuilder},
    rpc::types::{Filter, Log},
};
use futures::StreamExt;
use std::{
    collections::{BTreeSet, HashMap, VecDeque},
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::Notify;
use tracing::{debug, info, warn};

/// Logs replayed per page after a reorg.
const REPLAY_PAGE: i64 = 20_000;
/// Stored blocks compared with the chain when looking for a fork point.
const FORK_SEARCH: i64 = 4_096;
/// Logs per batch the block range adapts to: large enough for multi-row inserts to pay off,
/// small enough that fetching and projecting the next batch overlaps writing this one.
pub const TARGET_LOGS: usize = 4_096;
/// Logs the batches waiting for a busy writer are merged up to, for one transaction.
pub const GROUP_LOGS: usize = 8 * TARGET_LOGS;
/// Ranges read ahead of the one being projected.
const READ_AHEAD: usize = 3;

/// Indexes the deployment's contracts from `provider` into `store` until `shutdown` completes
/// (or, with `stop_at_head`, until the head is reached).
pub async fn run<P: Provider + Clone + 'static>(
    provider: P,
    store: Store,
    settings: &Settings,
    deployment: &Deployment,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    let chain_id = retry("eth_chainId", || provider.get_chain_id()).await?;
    if chain_id != deployment.chain_id {
        return Err(Error::Config(format!(
            "the node is on chain {chain_id} but the deployment file is for chain {}",
            deployment.chain_id
        )));
    }
    let wake = Arc::new(Notify::new());
    // Stopped with this function, whichever way it returns.
    let _heads = settings
        .ws_url
        .clone()
        .map(|url| AbortOnDrop(tokio::spawn(watch_heads(url, wake.clone()))));

    let decoder = Decoder::new(deployment)?;
    let mut indexer = Indexer {
        provider,
        addresses: decoder.addresses(),
        decoder,
        prefetch: VecDeque::new(),
        projector: Projector::new(store.balances().await?),
        store,
        start: settings.start_block.unwrap_or(deployment.start_block),
        tip: None,
        writing: None,
        waiting: None,
        // Grows by doubling: a dense chain must not start with one huge batch.
        range: 1,
        max_range: settings.max_range,
        confirmations: settings.confirmations,
        bar: None,
    };
    tokio::pin!(shutdown);
    loop {
        let step = tokio::select! {
            _ = &mut shutdown => {
                info!("shutting down");
                return indexer.flush().await;
            }
            step = indexer.step() => step,
        };
        match step {
            Ok(Step::Advanced) => {}
            Ok(Step::AtHead) => {
                if let Some(bar) = indexer.bar.take() {
                    bar.finish_and_clear();
                }
                if settings.stop_at_head {
                    return Ok(());
                }
                tokio::select! {
                    _ = &mut shutdown => return indexer.flush().await,
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(settings.poll_interval) => {}
                }
            }
            // Mistakes that another try would repeat: stop and say what is wrong. A database
            // that refuses a statement (a constraint, a full disk) is one; a dropped connection
            // is not.
            Err(
                err @ (Error::Config(_)
                | Error::Inconsistent(_)
                | Error::Decode { .. }
                | Error::Migrate(_)
                | Error::Database(sqlx::Error::Database(_))),
            ) => {
                // A write still in flight commits or fails on its own; either is consistent.
                if let Err(other) = indexer.abandon().await {
                    debug!(error = %other, "the last write failed too");
                }
                return Err(err);
            }
            Err(err) => {
                metrics::counter!(names::ERRORS).increment(1);
                warn!(error = %err, "indexing step failed; retrying");
                // What this process holds in memory may be ahead of what was committed: let the
                // write in flight end, then start again from the database.
                if let Err(other) = indexer.abandon().await {
                    debug!(error = %other, "the write in flight failed too");
                }
                indexer.tip = None;
                indexer.prefetch.clear();
                indexer.projector = Projector::new(indexer.store.balances().await?);
                tokio::select! {
                    _ = &mut shutdown => return Ok(()),
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
        }
    }
}

/// Aborts a background task when dropped.
struct AbortOnDrop<T = ()>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

enum Step {
    Advanced,
    AtHead,
}

struct Indexer<P> {
    provider: P,
    store: Store,
    decoder: Decoder,
    projector: Projector,
    start: u64,
    /// The last block projected, ahead of the checkpoint while its batch is being written.
    tip: Option<(u64, B256)>,
    /// The batch being written while the next one is fetched and projected (at most one).
    writing: Option<tokio::task::JoinHandle<Result<Written>>>,
    /// Batches projected while `writing` was busy, merged, for the next write.
    waiting: Option<Pending>,
    /// The next ranges' reads, in chain order, started while this one is projected and written.
    prefetch: VecDeque<Prefetch>,
    /// The contracts whose logs are read.
    addresses: Vec<Address>,
    range: u64,
    max_range: u64,
    confirmations: u64,
    bar: Option<indicatif::ProgressBar>,
}

/// Projected batches that the next write commits, from the checkpoint `after` to `checkpoint`.
struct Pending {
    batch: Batch,
    after: Option<(u64, B256)>,
    checkpoint: (u64, B256, u64),
    target: u64,
    started: Instant,
}

/// What a finished write reports for metrics and the progress bar.
struct Written {
    events: usize,
    to: u64,
    to_time: u64,
    target: u64,
    started: Instant,
}

impl<P: Provider + Clone + 'static> Indexer<P> {
    async fn step(&mut self) -> Result<Step> {
        let head = retry("eth_blockNumber", || self.provider.get_block_number()).await?;
        let target = head.saturating_sub(self.confirmations);
        let tip = match self.tip {
            Some(tip) => Some(tip),
            None => self.store.checkpoint().await?,
        };
        let next = tip.map_or(self.start, |(n, _)| n + 1);
        metrics::gauge!(names::HEAD_LAG_BLOCKS)
            .set(target.saturating_sub(next.saturating_sub(1)) as f64);
        if next > target {
            self.prefetch.clear();
            self.flush().await?;
            // The head did not move, but a reorg may have replaced the tip at the same height.
            return Ok(if self.reorged(tip).await? {
                Step::Advanced
            } else {
                Step::AtHead
            });
        }
        let to = target.min(next.saturating_add(self.range - 1));
        if self.bar.is_none() && target - next > 10_000 {
            self.bar = telemetry::backfill_bar(target.saturating_sub(self.start) + 1);
        }

        let started = Instant::now();
        let fetched = match self.prefetch.pop_front() {
            Some(mut ahead) if ahead.from == next && ahead.to <= target => (&mut ahead.logs.0)
                .await
                .map_err(|err| Error::Inconsistent(format!("the read ahead stopped: {err}")))?,
            _ => {
                self.prefetch.clear();
                fetch(self.provider.clone(), self.addresses.clone(), next, to).await
            }
        };
        let fetched = match fetched? {
            Read::Logs(fetched) => fetched,
            Read::NotYet => {
                self.flush().await?;
                return Ok(Step::AtHead);
            }
            Read::Replaced => return Ok(Step::Advanced),
            Read::TooMany(err) if self.range > 1 => {
                self.range = (self.range / 2).max(1);
                debug!(range = self.range, error = %err, "the node limits eth_getLogs; narrowing the range");
                return Ok(Step::Advanced);
            }
            Read::TooMany(err) => return Err(Error::Rpc(err)),
        };
        // Checked after the read, so that logs read from a new fork never follow a tip the
        // fork replaced: by the read block's parent where it has one, else by asking the node
        // whether it still has the tip.
        match (tip, fetched.parent) {
            (Some((_, hash)), Some(parent)) if parent == hash => {}
            (Some(_), Some(_)) => {
                // Not the tip's child: either the tip was replaced (rolled back here) or the
                // block read was, since: read again either way.
                if !self.reorged(tip).await? {
                    self.prefetch.clear();
                }
                return Ok(Step::Advanced);
            }
            _ if self.reorged(tip).await? => return Ok(Step::Advanced),
            _ => {}
        }
        let Fetched {
            to,
            to_hash,
            to_time,
            logs,
            times,
            ..
        } = fetched;
        let fetch_ms = started.elapsed().as_millis() as u64;

        // Aim the next ranges at TARGET_LOGS (narrow at once, grow by doubling), and keep
        // READ_AHEAD of them being read while this one is projected and written: the node
        // serves one while the last one's answer is parsed.
        if logs.len() > TARGET_LOGS {
            self.range = (self.range * TARGET_LOGS as u64 / logs.len() as u64).max(1);
        } else if logs.len() < TARGET_LOGS / 2 && self.range < self.max_range {
            self.range = (self.range * 2).min(self.max_range);
        }
        // Only a range measured full is read further ahead: while the range still grows, a
        // read sized for sparse blocks could meet dense ones, and reads in flight cannot shrink.
        let depth = if logs.len() >= TARGET_LOGS / 2 {
            READ_AHEAD
        } else {
            1
        };
        let mut from = self.prefetch.back().map_or(to, |ahead| ahead.to) + 1;
        while self.prefetch.len() < depth && from <= target {
            let to = target.min(from.saturating_add(self.range - 1));
            let read = fetch(self.provider.clone(), self.addresses.clone(), from, to);
            self.prefetch.push_back(Prefetch {
                from,
                to,
                logs: AbortOnDrop(tokio::spawn(read)),
            });
            from = to + 1;
        }

        let batch = self.projector.project(&self.decoder, &logs, &times)?;
        debug!(
            from = next,
            to,
            logs = logs.len(),
            fetch_ms,
            project_ms = started.elapsed().as_millis() as u64 - fetch_ms,
            "batch projected"
        );

        let checkpoint = (to, to_hash, to_time);
        let pending = match self.waiting.take() {
            Some(mut waiting) => {
                waiting.batch.append(batch);
                waiting.checkpoint = checkpoint;
                waiting.target = target;
                waiting
            }
            None => Pending {
                batch,
                after: tip,
                checkpoint,
                target,
                started,
            },
        };
        self.tip = Some((to, to_hash));
        // Batches commit in order. While the writer is busy, the next ones wait and then go in
        // one transaction: when writing is what a backfill waits for, fewer, larger commits
        // write each index page fewer times.
        let busy = self.writing.as_ref().is_some_and(|w| !w.is_finished());
        if busy && pending.batch.log_count() < GROUP_LOGS {
            self.waiting = Some(pending);
        } else {
            self.settle().await?;
            self.write(pending);
        }
        Ok(Step::Advanced)
    }

    /// Starts writing `pending` (after the write in flight, if any, is settled).
    fn write(&mut self, pending: Pending) {
        let store = self.store.clone();
        self.writing = Some(tokio::spawn(async move {
            let Pending {
                batch,
                after,
                checkpoint,
                target,
                started,
            } = pending;
            let began = Instant::now();
            store.write_batch(&batch, after, checkpoint).await?;
            debug!(
                to = checkpoint.0,
                logs = batch.log_count(),
                write_ms = began.elapsed().as_millis() as u64,
                "batch written"
            );
            Ok(Written {
                events: batch.log_count(),
                to: checkpoint.0,
                to_time: checkpoint.2,
                target,
                started,
            })
        }));
    }

    /// Whether the chain no longer has `tip`; if so, rolls back to where it forked, with
    /// nothing in flight.
    async fn reorged(&mut self, tip: Option<(u64, B256)>) -> Result<bool> {
        let Some((number, hash)) = tip else {
            return Ok(false);
        };
        if has_block(&self.provider, number, hash).await? {
            return Ok(false);
        }
        self.prefetch.clear();
        self.flush().await?;
        self.tip = None;
        self.reorg(number).await?;
        Ok(true)
    }

    /// Writes everything projected: the write in flight and the batches waiting for it.
    async fn flush(&mut self) -> Result<()> {
        self.settle().await?;
        if let Some(pending) = self.waiting.take() {
            self.write(pending);
            self.settle().await?;
        }
        Ok(())
    }

    /// Forgets what is projected but not yet being written (it is read again from the
    /// checkpoint), and lets the write in flight end.
    async fn abandon(&mut self) -> Result<()> {
        self.waiting = None;
        self.settle().await
    }

    /// Waits for the write in flight, if any, and records its progress.
    async fn settle(&mut self) -> Result<()> {
        let Some(handle) = self.writing.as_mut() else {
            return Ok(());
        };
        let joined = handle.await;
        self.writing = None;
        let written =
            joined.map_err(|err| Error::Inconsistent(format!("the writer stopped: {err}")))??;

        let Written {
            events,
            to,
            to_time,
            target,
            started,
        } = written;
        metrics::counter!(names::EVENTS).increment(events as u64);
        metrics::counter!(names::BATCHES).increment(1);
        metrics::gauge!(names::CHECKPOINT).set(to as f64);
        metrics::gauge!(names::HEAD_LAG_BLOCKS).set(target.saturating_sub(to) as f64);
        let now = crate::unix_now();
        metrics::gauge!(names::HEAD_LAG_SECONDS).set(now.saturating_sub(to_time) as f64);
        if let Some(bar) = &self.bar {
            bar.set_position(to.saturating_sub(self.start) + 1);
            let rate = events as f64 / started.elapsed().as_secs_f64().max(1e-6);
            bar.set_message(format!("{rate:.0} events/s"));
        }
        Ok(())
    }

    /// Rolls back to the newest stored block still on the canonical chain and replays.
    async fn reorg(&mut self, checkpoint: u64) -> Result<()> {
        let mut fork = None;
        for (number, hash) in self.store.blocks_below(checkpoint, FORK_SEARCH).await? {
            if has_block(&self.provider, number, hash).await? {
                fork = Some((number, hash));
                break;
            }
        }
        warn!(checkpoint, fork = ?fork.map(|(n, _)| n), "reorg: rolling back to the fork point");
        metrics::counter!(names::REORGS).increment(1);
        self.store.rollback(fork).await?;
        self.projector = Projector::default();
        let mut after = None;
        loop {
            let page = self.store.logs_after(after, REPLAY_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some((last.at.block_number, last.at.log_index));
            let mut batch = Batch::default();
            for raw in &page {
                if let Some(decoded) = self.decoder.decode(&raw.address, &raw.data)? {
                    self.projector
                        .apply(raw, &decoded, &mut batch, Mode::Replay)?;
                }
            }
            self.store.write_state(&batch).await?;
        }
        Ok(())
    }
}

/// A range's logs as the node returned them, with the time of each block that has one.
struct Fetched {
    to: u64,
    to_hash: B256,
    to_time: u64,
    /// The parent of `to`, for a range of that one block: what links it to the tip.
    parent: Option<B256>,
    logs: Vec<Log>,
    /// Block times the logs did not carry (a node may leave out `blockTimestamp`).
    times: HashMap<u64, u64>,
}

/// What a read of a range found.
enum Read {
    Logs(Fetched),
    /// The node has not got to the range's end yet.
    NotYet,
    /// The node replaced the range's end while its logs were read: read it again.
    Replaced,
    /// The node refused to return so many logs at once (its words).
    TooMany(String),
}

/// The read of the next range, started before the current one is written.
struct Prefetch {
    from: u64,
    to: u64,
    logs: AbortOnDrop<Result<Read>>,
}

/// Reads the logs of blocks `from..=to`.
///
/// A range of one block — what a dense chain's ranges come down to — is read by the block's
/// hash (EIP-234): the node answers for exactly that block, and its header's parent is what
/// links it to the tip, so one header read serves the whole step. A longer range is read by
/// number between two reads of its last header, which must agree.
async fn fetch<P: Provider>(
    provider: P,
    addresses: Vec<Address>,
    from: u64,
    to: u64,
) -> Result<Read> {
    let Some(end) = header(&provider, to).await? else {
        return Ok(Read::NotYet);
    };
    let filter = Filter::new().address(addresses);
    let filter = if from == to {
        filter.at_block_hash(end.hash)
    } else {
        filter.from_block(from).to_block(to)
    };
    let logs = match provider.get_logs(&filter).await {
        Ok(logs) => logs,
        // A block read by hash that the node no longer has was replaced since its header
        // was read: read it again.
        Err(_) if from == to && !has_block(&provider, to, end.hash).await? => {
            return Ok(Read::Replaced);
        }
        Err(err) => {
            let limit = looks_like_a_limit(&err.to_string());
            let err = format!("eth_getLogs {from}..={to}: {err}");
            return if limit {
                Ok(Read::TooMany(err))
            } else {
                Err(Error::Rpc(err))
            };
        }
    };
    // A reorg between the two reads shows as a changed hash.
    if from != to && !has_block(&provider, to, end.hash).await? {
        return Ok(Read::Replaced);
    }
    let untimed: BTreeSet<u64> = logs
        .iter()
        .filter(|log| log.block_timestamp.is_none())
        .filter_map(|log| log.block_number)
        .filter(|number| *number != to)
        .collect();
    let mut times: HashMap<u64, u64> = futures::stream::iter(untimed)
        .map(|number| {
            let provider = &provider;
            async move {
                let time = header(provider, number).await?.map(|h| h.time);
                Ok::<_, Error>((number, time.unwrap_or_default()))
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    times.insert(to, end.time);
    Ok(Read::Logs(Fetched {
        to,
        to_hash: end.hash,
        to_time: end.time,
        parent: (from == to).then_some(end.parent),
        logs,
        times,
    }))
}

/// What the loop needs of a block's header.
struct Header {
    hash: B256,
    parent: B256,
    time: u64,
}

/// Whether the node's block `number` is still the one with `hash`.
async fn has_block<P: Provider>(provider: &P, number: u64, hash: B256) -> Result<bool> {
    Ok(header(provider, number)
        .await?
        .is_some_and(|h| h.hash == hash))
}

/// The header of block `number`, if the node has it.
async fn header<P: Provider>(provider: &P, number: u64) -> Result<Option<Header>> {
    let block = retry("eth_getBlockByNumber", || {
        provider.get_block_by_number(BlockNumberOrTag::Number(number))
    })
    .await?;
    Ok(block.map(|b| Header {
        hash: b.header.hash,
        parent: b.header.parent_hash,
        time: b.header.timestamp,
    }))
}

/// Whether an `eth_getLogs` error means "ask for less" (providers word it differently).
fn looks_like_a_limit(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "limit",
        "too many",
        "range",
        "exceed",
        "timeout",
        "too large",
        "response size",
    ]
    .iter()
    .any(|needle| m.contains(needle))
}

/// Retries an RPC call with exponential backoff (100 ms to 5 s) while the node is down or
/// restarting; gives up after about two minutes so that the caller's loop logs it.
async fn retry<T, E, F, Fut>(what: &str, mut call: F) -> Result<T>
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: std::future::IntoFuture<Output = std::result::Result<T, E>>,
{
    let mut delay = Duration::from_millis(100);
    let mut waited = Duration::ZERO;
    loop {
        match call().into_future().await {
            Ok(v) => return Ok(v),
            Err(err) if waited < Duration::from_secs(120) => {
                metrics::counter!(names::ERRORS).increment(1);
                warn!(call = what, error = %err, retry_in_ms = delay.as_millis() as u64, "node call failed");
                tokio::time::sleep(delay).await;
                waited += delay;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(err) => return Err(Error::Rpc(format!("{what}: {err}"))),
        }
    }
}

/// Wakes the loop on every new head announced over WebSocket; reconnects with backoff.
async fn watch_heads(url: String, wake: Arc<Notify>) {
    let mut delay = Duration::from_millis(200);
    loop {
        match ProviderBuilder::new().connect(&url).await {
            Ok(provider) => match provider.subscribe_blocks().await {
                Ok(sub) => {
                    delay = Duration::from_millis(200);
                    let mut stream = sub.into_stream();
                    while stream.next().await.is_some() {
                        wake.notify_one();
                    }
                    warn!("new-head subscription ended; reconnecting");
                }
                Err(err) => warn!(error = %err, "cannot subscribe to new heads; polling meanwhile"),
            },
            Err(err) => {
                warn!(error = %err, "cannot reach the WebSocket endpoint; polling meanwhile")
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}
