//! Receipts of the transactions this gateway relays, gathered block by block by one task
//! (`eth_getBlockReceipts`) rather than asked for by every request: one call per block however
//! many relayed transactions it holds.

use crate::error::{ApiError, ApiResult};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::B256,
    providers::{DynProvider, Provider},
    rpc::types::TransactionReceipt,
};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock, PoisonError, Weak},
    time::Duration,
};

/// What a request notes before sending its transaction: the last block the task had looked at.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(Option<u64>);
use tokio::{
    sync::{Notify, oneshot},
    task::AbortHandle,
};

/// How often the chain's head is asked for while a relayed transaction waits.
const POLL: Duration = Duration::from_millis(10);

/// Relayed transactions waiting for their block.
#[derive(Debug, Default)]
pub struct Inclusions {
    waiting: Mutex<Waiting>,
    wake: Notify,
    /// The following task, stopped when the last handle to this is dropped (the task itself
    /// holds only a weak one).
    task: OnceLock<AbortHandle>,
}

impl Drop for Inclusions {
    fn drop(&mut self) {
        if let Some(task) = self.task.get() {
            task.abort();
        }
    }
}

/// Changed together, under one lock: a waiter registers either before the task looks at a
/// block (and gets its receipt from the task) or after (and sees `seen` moved).
#[derive(Debug, Default)]
struct Waiting {
    by_hash: HashMap<B256, oneshot::Sender<TransactionReceipt>>,
    /// The last block whose receipts were handed out.
    seen: Option<u64>,
}

impl Inclusions {
    /// Starts the task that hands each new block's receipts to their waiters.
    pub fn start(provider: DynProvider) -> Arc<Self> {
        let this = Arc::new(Self::default());
        let task = tokio::spawn(Self::follow(Arc::downgrade(&this), provider));
        let _ = this.task.set(task.abort_handle());
        this
    }

    /// Requests waiting for a receipt now.
    pub fn waiting(&self) -> usize {
        self.lock().by_hash.len()
    }

    /// To be taken before sending a transaction whose [`receipt`](Self::receipt) is wanted.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.lock().seen)
    }

    /// `tx_hash`'s receipt, once it is in a block; at most `wait`.
    pub async fn receipt(
        &self,
        provider: &DynProvider,
        tx_hash: B256,
        ticket: Ticket,
        wait: Duration,
    ) -> ApiResult<TransactionReceipt> {
        let (tx, rx) = oneshot::channel();
        let moved = {
            let mut waiting = self.lock();
            waiting.by_hash.insert(tx_hash, tx);
            waiting.seen != ticket.0
        };
        self.wake.notify_one();
        // The task looked at a block since the transaction was sent, before the waiter was
        // there: the receipt may be in it.
        if moved && let Ok(Some(receipt)) = provider.get_transaction_receipt(tx_hash).await {
            self.lock().by_hash.remove(&tx_hash);
            return Ok(receipt);
        }
        match tokio::time::timeout(wait, rx).await {
            Ok(Ok(receipt)) => Ok(receipt),
            _ => {
                self.lock().by_hash.remove(&tx_hash);
                // A last look, in case the task could not reach the node meanwhile.
                match provider.get_transaction_receipt(tx_hash).await {
                    Ok(Some(receipt)) => Ok(receipt),
                    Ok(None) => Err(ApiError::unavailable(
                        "waiting for the receipt",
                        format!("{tx_hash} was not included within {wait:?}"),
                    )),
                    Err(err) => Err(ApiError::unavailable("waiting for the receipt", err)),
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Follows the chain while anyone holds this (a gateway's state).
    async fn follow(this: Weak<Self>, provider: DynProvider) {
        while let Some(this) = this.upgrade() {
            this.follow_once(&provider).await;
        }
    }

    async fn follow_once(&self, provider: &DynProvider) {
        if self.lock().by_hash.is_empty() {
            // Nothing waits: sleep until something does (or look now and then, to keep `seen`
            // near the head).
            let _ = tokio::time::timeout(Duration::from_secs(1), self.wake.notified()).await;
        }
        match self.step(provider).await {
            Ok(()) => tokio::time::sleep(POLL).await,
            Err(err) => {
                tracing::warn!(error = %err, "following blocks for relayed transactions");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }

    /// Hands the receipts of the blocks after the last one seen to their waiters.
    async fn step(&self, provider: &DynProvider) -> alloy::transports::TransportResult<()> {
        let head = provider.get_block_number().await?;
        // The first time, and after a node that went backwards: start from the head (a waiter
        // registered before then asks for its receipt itself).
        let from = match self.lock().seen {
            Some(n) if n <= head => n + 1,
            _ => head,
        };
        for number in from..=head {
            {
                let mut waiting = self.lock();
                if waiting.by_hash.is_empty() {
                    waiting.seen = Some(head);
                    return Ok(());
                }
            }
            let receipts = provider
                .get_block_receipts(BlockNumberOrTag::Number(number).into())
                .await?
                .unwrap_or_default();
            let mut waiting = self.lock();
            for receipt in receipts {
                if let Some(waiter) = waiting.by_hash.remove(&receipt.transaction_hash) {
                    let _ = waiter.send(receipt);
                }
            }
            waiting.seen = Some(number);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::providers::ProviderBuilder;

    #[tokio::test]
    async fn the_task_stops_with_the_last_handle() {
        // No node answers there: the task keeps trying until nothing holds it.
        let provider = ProviderBuilder::new()
            .connect_http("http://127.0.0.1:9".parse().unwrap())
            .erased();
        let inclusions = Inclusions::start(provider);
        let task = inclusions.task.get().cloned().unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!task.is_finished());
        drop(inclusions);
        for _ in 0..40 {
            if task.is_finished() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the task outlived every handle");
    }
}
