//! Writes signed by the people who make them: an ERC-2771 forward request, signed (EIP-712,
//! domain `TimebankForwarder` on this chain and forwarder) by the caller's own wallet, is
//! checked, pre-flighted against the monitor and the target contract, relayed by the gateway's
//! relayer (which pays the gas) and answered with the transaction and its outcome.

use crate::{
    AppState,
    api::{ACTIONS, label, rule_names},
    auth::SignedIn,
    error::{ApiError, ApiResult, Json},
};
use alloy::{
    primitives::{Address, B256, Bytes, U256, aliases::U48},
    providers::Provider,
    rpc::types::TransactionRequest,
    signers::Signer,
    sol,
    sol_types::{Eip712Domain, SolCall, SolError, SolInterface, SolStruct, eip712_domain},
};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use std::{sync::Arc, time::Duration};
use timebank_bindings::{
    CredentialRegistry, IdentityRegistry, ServiceLedger, SupervisionDesk, TimeCoin, TimebankAccess,
    TimebankForwarder,
};
use utoipa::ToSchema;

sol! {
    /// The forwarder's EIP-712 message (OpenZeppelin `ERC2771Forwarder`).
    #[derive(Debug)]
    struct ForwardRequest {
        address from;
        address to;
        uint256 value;
        uint256 gas;
        uint256 nonce;
        uint48 deadline;
        bytes data;
    }
}

/// Most gas a relayed call may ask for.
pub const MAX_GAS: u64 = 5_000_000;
/// How long the relay waits for the receipt.
const RECEIPT_WAIT: Duration = Duration::from_secs(20);

/// The forwarder's EIP-712 domain on `chain_id`.
pub fn forwarder_domain(chain_id: u64, forwarder: Address) -> Eip712Domain {
    eip712_domain! {
        name: "TimebankForwarder",
        version: "1",
        chain_id: chain_id,
        verifying_contract: forwarder,
    }
}

/// A forward request as clients send it (the nonce is the forwarder's, read at relay time).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignedRequest {
    /// The signer: must be the signed-in caller.
    #[schema(value_type = String)]
    pub from: Address,
    /// A timebank contract.
    #[schema(value_type = String)]
    pub to: Address,
    /// Gas for the inner call (at most 5,000,000).
    pub gas: u64,
    /// The forwarder nonce the signature covers (`GET /v1/relay/nonce/{address}`).
    pub nonce: u64,
    /// Unix seconds after which the request is void.
    pub deadline: u64,
    /// The call, ABI-encoded.
    #[schema(value_type = String)]
    pub data: Bytes,
    /// EIP-712 signature over `ForwardRequest` with `value` 0, 65 bytes hex.
    #[schema(value_type = String)]
    pub signature: Bytes,
}

impl SignedRequest {
    fn message(&self) -> ForwardRequest {
        ForwardRequest {
            from: self.from,
            to: self.to,
            value: U256::ZERO,
            gas: U256::from(self.gas),
            nonce: U256::from(self.nonce),
            deadline: U48::from(self.deadline),
            data: self.data.clone(),
        }
    }

    /// Builds and signs a request (for clients and tests).
    pub async fn sign(
        signer: &(impl Signer + Sync),
        domain: &Eip712Domain,
        to: Address,
        data: Bytes,
        nonce: u64,
        deadline: u64,
    ) -> alloy::signers::Result<Self> {
        let mut request = Self {
            from: signer.address(),
            to,
            gas: 1_000_000,
            nonce,
            deadline,
            data,
            signature: Bytes::new(),
        };
        let hash = request.message().eip712_signing_hash(domain);
        request.signature = signer.sign_hash(&hash).await?.as_bytes().to_vec().into();
        Ok(request)
    }
}

/// What the monitor says of a payment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MonitorVerdict {
    /// `none`, `flag` (an alert and a case), `hold` (coins to escrow pending a supervisor) or
    /// `block`.
    pub action: String,
    /// The rules that would fire, by name.
    pub rules: Vec<String>,
}

/// A relayed transaction's outcome.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Relayed {
    /// The transaction.
    #[schema(value_type = String)]
    pub tx_hash: B256,
    /// The block it was included in.
    pub block_number: u64,
    /// Whether the inner call succeeded.
    pub success: bool,
    /// Why it failed, when it did.
    pub failure: Option<String>,
    /// For payments: what the monitor did.
    pub monitor: Option<MonitorVerdict>,
}

/// The forwarder nonce a signer's next request must carry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Nonce {
    /// Use this in the next request.
    pub nonce: u64,
}

/// The caller's next forwarder nonce.
#[utoipa::path(get, path = "/v1/relay/nonce", tag = "relay", security(("session" = [])),
    responses((status = 200, body = Nonce), (status = 401, body = crate::error::ErrorBody)))]
pub async fn nonce(State(state): State<Arc<AppState>>, caller: SignedIn) -> ApiResult<Json<Nonce>> {
    let forwarder = TimebankForwarder::new(state.deployment.contracts.forwarder, &state.provider);
    let nonce = forwarder
        .nonces(caller.address)
        .call()
        .await
        .map_err(|err| ApiError::unavailable("the node", err))?;
    Ok(Json(Nonce {
        nonce: nonce.saturating_to(),
    }))
}

/// Relay a request signed by the caller's wallet. Refused before anything is sent when the
/// signature, nonce or deadline is wrong (400/409), when a payment would be blocked by a rule
/// (422 `refused_by_rule`, with the rule) or when the contract would revert (422 `reverted`,
/// with its error).
#[utoipa::path(post, path = "/v1/relay", tag = "relay", security(("session" = [])),
    request_body = SignedRequest,
    responses((status = 200, body = Relayed), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
        (status = 503, body = crate::error::ErrorBody)))]
pub async fn relay(
    State(state): State<Arc<AppState>>,
    caller: SignedIn,
    Json(request): Json<SignedRequest>,
) -> ApiResult<Json<Relayed>> {
    let Some(relayer) = state.relayer else {
        return Err(ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "this gateway has no relayer key: submit the transaction yourself",
        ));
    };
    if request.from != caller.address {
        return Err(ApiError::forbidden(format!(
            "the request is from {}, but you signed in as {}",
            request.from, caller.address
        )));
    }
    let d = &state.deployment;
    require_target(d, request.to)?;
    if request.gas == 0 || request.gas > MAX_GAS {
        return Err(ApiError::bad_request(format!(
            "`gas` is {}; it must be between 1 and {MAX_GAS}",
            request.gas
        )));
    }
    // The forwarder compares the deadline with the chain's clock, not this machine's: the
    // index's last block is a lower bound of it (the forwarder has the last word).
    let now = match caller.head {
        Some(head) => head.time,
        None => chain_time(&state).await?,
    };
    if request.deadline <= now {
        return Err(ApiError::bad_request(format!(
            "the request expired at {} (now {now})",
            request.deadline
        )));
    }
    let signature = alloy::primitives::Signature::try_from(request.signature.as_ref())
        .map_err(|err| ApiError::bad_request(format!("`signature` is not a signature: {err}")))?;
    let domain = forwarder_domain(d.chain_id, d.contracts.forwarder);
    let signer = signature
        .recover_address_from_prehash(&request.message().eip712_signing_hash(&domain))
        .map_err(|err| ApiError::bad_request(format!("`signature` does not recover: {err}")))?;
    if signer != request.from {
        return Err(ApiError::bad_request(format!(
            "the signature is {signer}'s, not {}'s, over this request (check the nonce, the \
             deadline and the EIP-712 domain: TimebankForwarder, version 1, chain {}, {})",
            request.from, d.chain_id, d.contracts.forwarder
        )));
    }
    // The nonce, the monitor and the target contract asked in one batch; answered in this order.
    let Preflight {
        nonce: current,
        monitor,
        simulated,
    } = preflight(&state, &request).await?;
    if request.nonce < current {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "replayed",
            format!(
                "nonce {} was already used; the next request must carry {current}",
                request.nonce
            ),
        ));
    }
    if request.nonce > current {
        return Err(ApiError::bad_request(format!(
            "nonce {} is ahead of the forwarder's {current}",
            request.nonce
        )));
    }
    if let Some(verdict) = &monitor
        && verdict.action == "block"
    {
        return Err(ApiError::unprocessable(
            "refused_by_rule",
            format!(
                "the monitor blocks this payment: {}",
                verdict.rules.join(", ")
            ),
        )
        .with_details(serde_json::to_value(verdict).unwrap_or_default()));
    }
    simulated?;

    let call = timebank_bindings::timebank_forwarder::ERC2771Forwarder::ForwardRequestData {
        from: request.from,
        to: request.to,
        value: U256::ZERO,
        gas: U256::from(request.gas),
        deadline: U48::from(request.deadline),
        data: request.data.clone(),
        signature: request.signature.clone(),
    };
    let fees = state.fees.current(&state.provider).await?;
    let nonce = state.relayer_nonces.take(&state.provider, relayer).await?;
    let ticket = state.inclusions.ticket();
    let sent = TimebankForwarder::new(d.contracts.forwarder, &state.provider)
        .execute(call)
        .from(relayer)
        .nonce(nonce)
        .gas(request.gas + 200_000)
        .max_fee_per_gas(fees.max_fee_per_gas)
        .max_priority_fee_per_gas(fees.max_priority_fee_per_gas)
        .send()
        .await;
    let pending = match sent {
        Ok(pending) => pending,
        Err(err) => {
            state.relayer_nonces.refused().await;
            return Err(ApiError::unavailable("sending the transaction", err));
        }
    };
    let tx_hash = *pending.tx_hash();
    let receipt = state
        .inclusions
        .receipt(&state.provider, tx_hash, ticket, RECEIPT_WAIT)
        .await?;
    let success = receipt.status()
        && receipt
            .decoded_log::<TimebankForwarder::ExecutedForwardRequest>()
            .is_some_and(|log| log.data.success);
    let block_number = receipt.block_number.unwrap_or_default();
    // Something changed between the check and the inclusion: say what the contract said, from
    // the state the transaction ran on.
    let failure = if success {
        None
    } else if !receipt.status() {
        Some("the forwarder refused the request when it was included".to_owned())
    } else {
        let parent = alloy::eips::BlockId::number(block_number.saturating_sub(1));
        match simulate_at(
            &state,
            request.from,
            request.to,
            &request.data,
            request.gas,
            parent,
        )
        .await
        {
            Err(err) => Some(err.message().to_owned()),
            Ok(()) => Some("the call failed when included (out of gas?)".to_owned()),
        }
    };
    tracing::info!(%tx_hash, from = %request.from, to = %request.to, success, ?failure, "relayed");
    Ok(Json(Relayed {
        tx_hash,
        block_number,
        success,
        failure,
        monitor,
    }))
}

/// The relayer's transaction nonces, handed out here so that concurrent relays never collide.
/// After a transaction the node refused, the next nonce is asked of the node again: a refused
/// nonce would otherwise leave a gap that holds every later transaction back.
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

/// How long a fee estimate is used: a base fee rises by at most 12.5% a block, and the estimate
/// allows for it doubling, so even 100 ms blocks leave a wide margin.
const FEES_FOR: Duration = Duration::from_millis(250);

/// The relayer's EIP-1559 fees, estimated once per [`FEES_FOR`] rather than for every relayed
/// request.
#[derive(Debug, Default)]
pub struct Fees {
    last: tokio::sync::Mutex<Option<(std::time::Instant, alloy::eips::eip1559::Eip1559Estimation)>>,
}

impl Fees {
    /// A recent estimate.
    pub async fn current(
        &self,
        provider: &impl Provider,
    ) -> ApiResult<alloy::eips::eip1559::Eip1559Estimation> {
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
        *last = Some((std::time::Instant::now(), fees));
        Ok(fees)
    }
}

/// Runs the call as the target will see it when relayed (from the forwarder, with the signer
/// appended), so that a revert comes back with the contract's own error rather than the
/// forwarder's `FailedCall`: 422 `reverted` with the error decoded.
pub async fn simulate(
    state: &AppState,
    from: Address,
    to: Address,
    data: &Bytes,
    gas: u64,
) -> ApiResult<()> {
    simulate_at(state, from, to, data, gas, alloy::eips::BlockId::latest()).await
}

/// [`simulate`] on the state at `block`.
async fn simulate_at(
    state: &AppState,
    from: Address,
    to: Address,
    data: &Bytes,
    gas: u64,
    block: alloy::eips::BlockId,
) -> ApiResult<()> {
    let simulated = state
        .provider
        .call(forwarded(state, from, to, data, gas))
        .block(block)
        .await;
    simulated.map(drop).map_err(refusal)
}

/// The call the forwarder will make for `from`: to `to`, from the forwarder, with `from`
/// appended (ERC-2771).
fn forwarded(
    state: &AppState,
    from: Address,
    to: Address,
    data: &Bytes,
    gas: u64,
) -> TransactionRequest {
    let mut inner = data.to_vec();
    inner.extend_from_slice(from.as_slice());
    TransactionRequest::default()
        .from(state.deployment.contracts.forwarder)
        .to(to)
        .input(Bytes::from(inner).into())
        .gas_limit(gas)
}

/// A failed simulation: 422 `reverted` with the contract's error decoded, or 503 when the node
/// did not answer.
fn refusal(err: alloy::transports::RpcError<alloy::transports::TransportErrorKind>) -> ApiError {
    match err.as_error_resp().and_then(|e| e.as_revert_data()) {
        Some(data) => ApiError::unprocessable(
            "reverted",
            format!("the contract would refuse this: {}", describe_revert(&data)),
        ),
        None => ApiError::unavailable("the node", err),
    }
}

/// What the node says about a request before it is sent.
struct Preflight {
    /// The forwarder's next nonce for the signer.
    nonce: u64,
    /// For a TimeCoin payment, the monitor's verdict.
    monitor: Option<MonitorVerdict>,
    /// The call as the target will see it.
    simulated: ApiResult<()>,
}

/// Asks for the signer's forwarder nonce, the monitor's `check` of a payment and the call's
/// simulation in one JSON-RPC batch (one round trip to the node).
async fn preflight(state: &AppState, request: &SignedRequest) -> ApiResult<Preflight> {
    let d = &state.deployment;
    let payment = payment_of(d, request)?;
    let latest = alloy::eips::BlockId::latest();
    let view = |to: Address, input: Vec<u8>| {
        (
            TransactionRequest::default()
                .to(to)
                .input(Bytes::from(input).into()),
            latest,
        )
    };
    let batch_error = |err| ApiError::unavailable("the node", err);
    let mut batch = alloy::rpc::client::BatchRequest::new(state.provider.client());
    let nonce = batch
        .add_call::<_, Bytes>(
            "eth_call",
            &view(
                d.contracts.forwarder,
                TimebankForwarder::noncesCall {
                    owner: request.from,
                }
                .abi_encode(),
            ),
        )
        .map_err(batch_error)?;
    let check = match payment {
        Some((to, amount, purpose)) => Some(
            batch
                .add_call::<_, Bytes>(
                    "eth_call",
                    &view(
                        d.contracts.time_coin,
                        TimeCoin::checkCall {
                            from: request.from,
                            to,
                            amount,
                            purpose,
                        }
                        .abi_encode(),
                    ),
                )
                .map_err(batch_error)?,
        ),
        None => None,
    };
    let simulation = batch
        .add_call::<_, Bytes>(
            "eth_call",
            &(
                forwarded(state, request.from, request.to, &request.data, request.gas),
                latest,
            ),
        )
        .map_err(batch_error)?;
    batch.send().await.map_err(batch_error)?;

    let undecodable = |what: &str, err: alloy::sol_types::Error| {
        ApiError::unavailable("the node", format!("{what}: {err}"))
    };
    let nonce = nonce.await.map_err(batch_error)?;
    let nonce = TimebankForwarder::noncesCall::abi_decode_returns(&nonce)
        .map_err(|err| undecodable("the forwarder's nonce", err))?
        .saturating_to();
    let monitor = match check {
        Some(check) => {
            let verdict = check.await.map_err(batch_error)?;
            let verdict = TimeCoin::checkCall::abi_decode_returns(&verdict)
                .map_err(|err| undecodable("the monitor's verdict", err))?;
            Some(MonitorVerdict {
                action: label(&ACTIONS, verdict.action),
                rules: rule_names(u64::from(verdict.rules)),
            })
        }
        None => None,
    };
    let simulated = simulation.await.map(drop).map_err(refusal);
    Ok(Preflight {
        nonce,
        monitor,
        simulated,
    })
}

/// 400 unless `to` is one of the deployment's contracts a person's request may call.
pub fn require_target(d: &timebank_indexer::Deployment, to: Address) -> ApiResult<()> {
    let targets = [
        d.contracts.access,
        d.contracts.identity_registry,
        d.contracts.credential_registry,
        d.contracts.time_coin,
        d.contracts.service_ledger,
        d.contracts.supervision_desk,
    ];
    if targets.contains(&to) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "`to` {to} is not a timebank contract"
        )))
    }
}

/// The latest block's timestamp: the time contracts see.
pub async fn chain_time(state: &AppState) -> ApiResult<u64> {
    state
        .provider
        .get_block(alloy::eips::BlockId::latest())
        .await
        .map_err(|err| ApiError::unavailable("the node", err))?
        .map(|b| b.header.timestamp)
        .ok_or_else(|| ApiError::unavailable("the node", "no latest block"))
}

/// For a TimeCoin payment (`transfer`, `pay`): the recipient, the amount and the purpose.
fn payment_of(
    d: &timebank_indexer::Deployment,
    request: &SignedRequest,
) -> ApiResult<Option<(Address, U256, u8)>> {
    if request.to != d.contracts.time_coin {
        return Ok(None);
    }
    match TimeCoin::TimeCoinCalls::abi_decode(&request.data) {
        Ok(TimeCoin::TimeCoinCalls::transfer(c)) => Ok(Some((c.to, c.value, 3u8))),
        Ok(TimeCoin::TimeCoinCalls::pay(c)) => Ok(Some((c.to, c.amount, c.purpose))),
        Ok(_) => Ok(None),
        Err(err) => Err(ApiError::bad_request(format!(
            "`data` is not a TimeCoin call: {err}"
        ))),
    }
}

/// A revert's data, decoded against every timebank contract's errors.
pub fn describe_revert(data: &[u8]) -> String {
    macro_rules! try_decode {
        ($($errors:ty),*) => {
            $(if let Ok(e) = <$errors>::abi_decode(data) {
                return format!("{e:?}");
            })*
        };
    }
    try_decode!(
        TimeCoin::TimeCoinErrors,
        IdentityRegistry::IdentityRegistryErrors,
        CredentialRegistry::CredentialRegistryErrors,
        ServiceLedger::ServiceLedgerErrors,
        SupervisionDesk::SupervisionDeskErrors,
        TimebankAccess::TimebankAccessErrors,
        TimebankForwarder::TimebankForwarderErrors
    );
    if let Ok(reason) = alloy::sol_types::Revert::abi_decode(data) {
        return reason.reason;
    }
    format!("an unknown error 0x{}", alloy::hex::encode(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typehash_is_openzeppelins() {
        assert_eq!(
            ForwardRequest::eip712_encode_type(),
            "ForwardRequest(address from,address to,uint256 value,uint256 gas,uint256 nonce,\
             uint48 deadline,bytes data)"
        );
    }
}
