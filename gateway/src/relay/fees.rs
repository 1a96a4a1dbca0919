//! The relayer's EIP-1559 fees, estimated a few times a second rather than for every request.

use crate::error::{ApiError, ApiResult};
use alloy::{eips::eip1559::Eip1559Estimation, providers::Provider};
use std::time::{Duration, Instant};

/// How long a fee estimate is used: a base fee rises by at most 12.5% a block, and the estimate
/// allows for it doubling, so even 100 ms blocks leave a wide margin.
const FEES_FOR: Duration = Duration::from_millis(250);

/// The last estimate, reused for [`FEES_FOR`].
#[derive(Debug, Default)]
pub struct Fees {
    last: tokio::sync::Mutex<Option<(Instant, Eip1559Estimation)>>,
}

impl Fees {
    /// A recent estimate.
    pub async fn current(&self, provider: &impl Provider) -> ApiResult<Eip1559Estimation> {
        let mut last = self.last.lock().await;
        if let Some((at, fees)) = *last
            && at.elapsed() < FEES_FOR
        {
            return Ok(fees);
        }
        let fees = provider
            .estimate_eip1559_fees()
            .await
            .map_err(|err| ApiError::unavailable("the node's fee estimate", err))?;
        *last = Some((Instant::now(), fees));
        Ok(fees)
    }
}
