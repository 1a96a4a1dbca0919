//! The relayer's transaction nonces, handed out here so that concurrent relays never collide.

use crate::error::{ApiError, ApiResult};
use alloy::{primitives::Address, providers::Provider};

/// The relayer's next nonces. After a transaction the node refused, the next nonce is asked of
/// the node again: a refused nonce would otherwise leave a gap that holds every later
/// transaction back.
#[derive(Debug, Default)]
pub struct RelayerNonces {
    next: tokio::sync::Mutex<Option<u64>>,
}

impl RelayerNonces {
    /// The nonce for the relayer's next transaction.
    pub async fn take(&self, provider: &impl Provider, relayer: Address) -> ApiResult<u64> {
        let mut next = self.next.lock().await;
        let nonce = match *next {
            Some(nonce) => nonce,
            None => provider
                .get_transaction_count(relayer)
                .pending()
                .await
                .map_err(|err| ApiError::unavailable("the node", err))?,
        };
        *next = Some(nonce + 1);
        Ok(nonce)
    }

    /// The node refused a transaction: start again from what it says.
    pub async fn refused(&self) {
        *self.next.lock().await = None;
    }
}
