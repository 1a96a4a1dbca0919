//! What the node says of a request before the relayer pays for it: the call simulated as the
//! target will see it, the signer's forwarder nonce and, for a payment, the monitor's verdict,
//! asked in one JSON-RPC batch.

use crate::{
    AppState,
    error::{ApiError, ApiResult},
    vocabulary::rule_names,
};
use alloy::{
    primitives::{Address, Bytes, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
    sol_types::{SolCall, SolInterface},
};
use timebank_bindings::{
    TimeCoin, TimebankForwarder, describe_revert,
    timebank_forwarder::ERC2771Forwarder::ForwardRequestData,
    types::{MonitorAction, Purpose},
};
use timebank_client::api::MonitorVerdict;

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
pub(crate) async fn simulate_at(
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
pub(crate) struct Preflight {
    /// The forwarder's next nonce for the signer, asked for a request still to be signed (a
    /// signed one's simulation checks its nonce: the forwarder recovers the signer over the
    /// nonce it holds).
    pub nonce: Option<u64>,
    /// For a TimeCoin payment, the monitor's verdict.
    pub monitor: Option<MonitorVerdict>,
    /// The call as the target will see it.
    pub simulated: ApiResult<()>,
}

/// Asks for the monitor's `check` of a payment and a simulation in one JSON-RPC batch (one round
/// trip to the node). With a signed request (and the relayer that would send it, and the gas it
/// would send with) the simulation is the forwarder's `execute` exactly as the relayer would
/// send it, so that a request the forwarder would refuse (a signature it does not accept, a
/// nonce or deadline it does not, too little gas for the inner call) is refused before the
/// relayer pays for it; without, the call as the target sees it, and the signer's forwarder
/// nonce for the request to be signed.
pub(crate) async fn preflight(
    state: &AppState,
    from: Address,
    to: Address,
    data: &Bytes,
    gas: u64,
    signed: Option<(&ForwardRequestData, Address, u64)>,
) -> ApiResult<Preflight> {
    let d = &state.deployment;
    let payment = payment_of(d, to, data)?;
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
    let nonce = match signed {
        Some(_) => None,
        None => Some(
            batch
                .add_call::<_, Bytes>(
                    "eth_call",
                    &view(
                        d.contracts.forwarder,
                        TimebankForwarder::noncesCall { owner: from }.abi_encode(),
                    ),
                )
                .map_err(batch_error)?,
        ),
    };
    let check = match payment {
        Some((to, amount, purpose)) => Some(
            batch
                .add_call::<_, Bytes>(
                    "eth_call",
                    &view(
                        d.contracts.time_coin,
                        TimeCoin::checkCall {
                            from,
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
    // With a signed request, the forwarder's `execute` as the relayer would send it (which runs
    // the call too); without, the call as the target will see it.
    let simulation = match signed {
        Some((request, relayer, outer_gas)) => batch.add_call::<_, Bytes>(
            "eth_call",
            &(
                TransactionRequest::default()
                    .from(relayer)
                    .to(d.contracts.forwarder)
                    .input(
                        Bytes::from(
                            TimebankForwarder::executeCall {
                                request: request.clone(),
                            }
                            .abi_encode(),
                        )
                        .into(),
                    )
                    .gas_limit(outer_gas),
                latest,
            ),
        ),
        None => {
            batch.add_call::<_, Bytes>("eth_call", &(forwarded(state, from, to, data, gas), latest))
        }
    }
    .map_err(batch_error)?;
    batch.send().await.map_err(batch_error)?;

    let undecodable = |what: &str, err: alloy::sol_types::Error| {
        ApiError::unavailable("the node", format!("{what}: {err}"))
    };
    let nonce = match nonce {
        Some(nonce) => {
            let nonce = nonce.await.map_err(batch_error)?;
            let nonce = TimebankForwarder::noncesCall::abi_decode_returns(&nonce)
                .map_err(|err| undecodable("the forwarder's nonce", err))?;
            Some(nonce.saturating_to())
        }
        None => None,
    };
    let monitor = match check {
        Some(check) => {
            let verdict = check.await.map_err(batch_error)?;
            let verdict = TimeCoin::checkCall::abi_decode_returns(&verdict)
                .map_err(|err| undecodable("the monitor's verdict", err))?;
            Some(MonitorVerdict {
                action: MonitorAction::try_from(verdict.action)
                    .map_err(|err| ApiError::unavailable("the monitor's verdict", err))?,
                rules: rule_names(verdict.rules),
            })
        }
        None => None,
    };
    let simulated = match (simulation.await, signed) {
        (Ok(_), _) => Ok(()),
        (Err(err), None) => Err(refusal(err)),
        // The forwarder refused: the call itself, as the target sees it, says why in the
        // contract's own words; if it would pass, the forwarder's reason is the one.
        (Err(err), Some(_)) => match simulate(state, from, to, data, gas).await {
            Err(contract) => Err(contract),
            Ok(()) => {
                let forwarder = refusal(err);
                Err(
                    if forwarder.status() == axum::http::StatusCode::UNPROCESSABLE_ENTITY {
                        ApiError::unprocessable(
                            "reverted",
                            format!(
                                "the forwarder would not execute this request: {}",
                                forwarder.message()
                            ),
                        )
                    } else {
                        forwarder
                    },
                )
            }
        },
    };
    Ok(Preflight {
        nonce,
        monitor,
        simulated,
    })
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
    to: Address,
    data: &Bytes,
) -> ApiResult<Option<(Address, U256, u8)>> {
    if to != d.contracts.time_coin {
        return Ok(None);
    }
    match TimeCoin::TimeCoinCalls::abi_decode(data) {
        Ok(TimeCoin::TimeCoinCalls::transfer(c)) => Ok(Some((c.to, c.value, Purpose::Gift as u8))),
        Ok(TimeCoin::TimeCoinCalls::pay(c)) => Ok(Some((c.to, c.amount, c.purpose))),
        Ok(_) => Ok(None),
        Err(err) => Err(ApiError::bad_request(format!(
            "`data` is not a TimeCoin call: {err}"
        ))),
    }
}
