//! Writes signed by the people who make them: an ERC-2771 forward request, signed (EIP-712,
//! domain `TimebankForwarder` on this chain and forwarder) by the caller's own wallet, is
//! checked, pre-flighted against the monitor and the target contract, relayed by the gateway's
//! relayer (which pays the gas) and answered with the transaction and its outcome. The relayer
//! pays only for what the platform wants: members' and staff's own writes, each function for
//! the roles it is for (`timebank_client::action::relayable`), encoded exactly, with a canonical
//! signature, that the forwarder would execute, within rate limits and a daily gas budget.
//!
//! # Layout
//! - this module: the `POST /v1/relay` and `GET /v1/relay/nonce` handlers, who may relay what
//! - [`simulate`]: the pre-flight (simulation, nonce, the monitor's verdict)
//! - [`limits`]: rate limits and the daily gas budget
//! - [`nonces`]: the relayer's transaction nonces
//! - [`fees`]: the relayer's fee estimates

pub mod fees;
pub mod limits;
pub mod nonces;
pub mod simulate;

pub use fees::Fees;
pub use limits::Limits;
pub use nonces::RelayerNonces;
pub use simulate::{chain_time, simulate};

use crate::{
    AppState,
    access::{Caller, Role},
    auth::SignedIn,
    error::{ApiError, ApiResult, Json},
};
use alloy::primitives::{Address, B256, Bytes, aliases::U48};
use alloy::sol_types::SolCall;
use axum::extract::State;
use std::{sync::Arc, time::Duration};
use timebank_bindings::{
    IdentityRegistry, TimebankForwarder,
    forward::{self, ForwardRequest},
    timebank_forwarder::ERC2771Forwarder::ForwardRequestData,
    types::MonitorAction,
};
pub use timebank_client::api::{MonitorVerdict, Nonce, Relayed, SignedRequest};

/// How long the relay waits for the receipt.
const RECEIPT_WAIT: Duration = Duration::from_secs(20);

/// The caller's next forwarder nonce.
#[utoipa::path(get, path = "/v1/relay/nonce", tag = "relay", security(("session" = [])),
    responses((status = 200, body = Nonce), (status = 401, body = crate::error::ErrorBody)))]
pub async fn nonce(State(state): State<Arc<AppState>>, caller: SignedIn) -> ApiResult<Json<Nonce>> {
    Ok(Json(Nonce {
        nonce: forwarder_nonce(&state, caller.session.address).await?,
    }))
}

/// `signer`'s next forwarder nonce, as the node has it now.
async fn forwarder_nonce(state: &AppState, signer: Address) -> ApiResult<u64> {
    let forwarder = TimebankForwarder::new(state.deployment.contracts.forwarder, &state.provider);
    let nonce = forwarder
        .nonces(signer)
        .call()
        .await
        .map_err(|err| ApiError::unavailable("the node", err))?;
    Ok(nonce.saturating_to())
}

/// Whether the gateway relays the call `data` to `to` for `caller`: a write on the allowlist,
/// encoded exactly, for one of the roles the caller holds. Returns the function's name.
pub fn authorize(
    state: &AppState,
    caller: &Caller,
    to: Address,
    data: &[u8],
) -> ApiResult<&'static str> {
    if caller.roles.is_empty() {
        return Err(ApiError::forbidden(format!(
            "{} is neither a member nor staff: the relayer pays only for their writes",
            caller.address
        )));
    }
    let relayable = timebank_client::action::relayable(&state.deployment.contracts, to, data)
        .map_err(|err| ApiError::bad_request(err.0))?;
    if !relayable.by.iter().any(|role| caller.is(*role)) {
        return Err(ApiError::forbidden(format!(
            "`{}` is relayed for {}; {} is not one",
            relayable.function,
            roles_in_words(relayable.by),
            caller.address
        )));
    }
    Ok(relayable.function)
}

fn roles_in_words(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| {
            serde_json::to_value(r)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The 32-byte words of a call's arguments that may be the hash of a text: not an address or a
/// small number (twelve leading zero bytes), which a keccak256 hash is with odds of 2^-96.
fn words(data: &Bytes) -> Vec<B256> {
    data.get(4..)
        .unwrap_or_default()
        .chunks_exact(32)
        .filter(|word| word[..12].iter().any(|b| *b != 0))
        .map(B256::from_slice)
        .collect()
}

/// Relay a request signed by the caller's wallet. Refused before anything is sent when the
/// caller is neither a member nor staff, or the call is not a write the gateway relays for
/// their roles (403/400), when the signature, nonce or deadline is wrong (400/409), when a limit
/// is reached (429 with `Retry-After`), when a payment would be blocked by a rule (422
/// `refused_by_rule`, with the rule) or when the contract or the forwarder would refuse it (422
/// `reverted`, with the error).
#[utoipa::path(post, path = "/v1/relay", tag = "relay", security(("session" = [])),
    request_body = SignedRequest,
    responses((status = 200, body = Relayed), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 422, body = crate::error::ErrorBody),
        (status = 429, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)))]
pub async fn relay(
    State(state): State<Arc<AppState>>,
    caller: Caller,
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
    let function = authorize(&state, &caller, request.to, &request.data)?;
    let keyed = matches!(function, "submitMember" | "approveMember");
    let uniqueness = match (&state.uniqueness, keyed) {
        (Some(service), true) => Some(service),
        (None, true) => {
            return Err(ApiError::unavailable(
                "member submissions and approvals",
                "this gateway holds no uniqueness share (--uniqueness-share-file): it can't key \
                 the person's identity document",
            ));
        }
        (_, false) => None,
    };
    if request.gas == 0 || request.gas > forward::MAX_GAS {
        return Err(ApiError::bad_request(format!(
            "`gas` is {}; it must be between 1 and {}",
            request.gas,
            forward::MAX_GAS
        )));
    }
    if U48::try_from(request.deadline).is_err() {
        return Err(ApiError::bad_request(format!(
            "`deadline` is {}; a forward request's deadline is a uint48 (unix seconds)",
            request.deadline
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
    let message = ForwardRequest::call(
        request.from,
        request.to,
        request.data.clone(),
        request.gas,
        request.nonce,
        request.deadline,
    );
    state.limits.admit(request.from)?;
    state
        .limits
        .within_budget(
            &state.store,
            request.from,
            request.gas + forward::FORWARDER_GAS,
        )
        .await?;
    // An approval waits for the person's key, recomputed from the profile the approver is
    // shown: bound now when none is, refused when the one on chain is another document's.
    if let Some(service) = uniqueness
        && function == "approveMember"
    {
        let call = IdentityRegistry::approveMemberCall::abi_decode(&request.data)
            .map_err(|err| ApiError::bad_request(format!("not an approveMember call: {err}")))?;
        service
            .check_approval(&state, &caller, call.account)
            .await?;
    }
    let signed = message.with_signature(request.signature.clone());
    // The monitor and the forwarder's own `execute` (which runs the target contract) asked in
    // one batch.
    let simulate::Preflight {
        monitor, simulated, ..
    } = simulate::preflight(
        &state,
        request.from,
        request.to,
        &request.data,
        request.gas,
        Some((&signed, relayer, request.gas + forward::FORWARDER_GAS)),
    )
    .await?;
    // The forwarder is the judge of the signature, the nonce and the deadline (a request it
    // executes in the simulation carries the signer's own signature over the nonce it holds);
    // when it refuses, a used or early nonce or a signature that is not the signer's is said
    // plainly, before the monitor's or the contract's reasons.
    if simulated.is_err() {
        explain_refusal(&state, &request, &message).await?;
    }
    if let Some(verdict) = &monitor
        && verdict.action == MonitorAction::Block
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

    // From here the relayer spends: the rest runs to its end on its own task, so a client that
    // hangs up (or a timeout) can't leave a relayer nonce taken but unsent, or a receipt waiter
    // behind.
    let data = request.data.clone();
    let sending = tokio::spawn(send(Arc::clone(&state), relayer, request, signed, monitor));
    let relayed = sending
        .await
        .map_err(|err| ApiError::internal("relaying", err))??;
    // A landed submission gets its key, computed here from the package it published; on its
    // own task, so that a client hanging up can't leave it half done.
    if relayed.success && function == "submitMember" {
        let (state, caller) = (Arc::clone(&state), caller.clone());
        let binding = tokio::spawn(async move {
            if let Some(service) = &state.uniqueness {
                service.bind_submitted(&state, &caller, &data).await;
            }
        });
        binding
            .await
            .map_err(|err| ApiError::internal("binding the uniqueness key", err))?;
    }
    tracing::info!(
        tx_hash = %relayed.tx_hash, from = %caller.address, function, success = relayed.success,
        failure = ?relayed.failure, "relayed"
    );
    Ok(Json(relayed))
}

/// Sends a transaction of the relayer's own (an anchor of the access log, a member's uniqueness
/// key: not a forwarded request) with `gas`, its nonce taken in turn with the relay's and at the
/// current fees (a nonce the node refuses is given back), and waits for its receipt.
pub async fn send_own(
    state: &AppState,
    relayer: Address,
    tx: alloy::rpc::types::TransactionRequest,
    gas: u64,
    what: &str,
) -> ApiResult<alloy::rpc::types::TransactionReceipt> {
    use alloy::{network::TransactionBuilder, providers::Provider};
    let fees = state.fees.current(&state.provider).await?;
    let nonce = state.relayer_nonces.take(&state.provider, relayer).await?;
    let tx = tx
        .with_from(relayer)
        .with_nonce(nonce)
        .with_gas_limit(gas)
        .with_max_fee_per_gas(fees.max_fee_per_gas)
        .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas);
    let pending = match state.provider.send_transaction(tx).await {
        Ok(pending) => pending,
        Err(err) => {
            state.relayer_nonces.refused().await;
            return Err(ApiError::unavailable(what, err));
        }
    };
    pending
        .with_timeout(Some(RECEIPT_WAIT))
        .get_receipt()
        .await
        .map_err(|err| ApiError::unavailable(what, err))
}

/// Why the forwarder refuses `request`, if it is the nonce (409 used, 400 ahead) or the
/// signature (400: not `from`'s over this request, or not in the canonical form the forwarder's
/// ECDSA takes); `Ok` when neither.
async fn explain_refusal(
    state: &AppState,
    request: &SignedRequest,
    message: &ForwardRequest,
) -> ApiResult<()> {
    let d = &state.deployment;
    let nonce = request.nonce;
    let current = forwarder_nonce(state, request.from).await?;
    if nonce < current {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "replayed",
            format!("nonce {nonce} was already used; the next request must carry {current}"),
        ));
    }
    if nonce > current {
        return Err(ApiError::bad_request(format!(
            "nonce {nonce} is ahead of the forwarder's {current}"
        )));
    }
    let domain = forward::domain(d.chain_id, d.contracts.forwarder);
    if message.signer(&domain, &request.signature) != Some(request.from) {
        return Err(ApiError::bad_request(format!(
            "the signature is not {}'s over this request, or not in its canonical form (65 bytes, \
             v 27 or 28, low s); check the nonce, the deadline and the EIP-712 domain: \
             TimebankForwarder, version 1, chain {}, {}",
            request.from, d.chain_id, d.contracts.forwarder
        )));
    }
    Ok(())
}

/// Sends a checked request through the forwarder, waits for its receipt, counts the gas against
/// the signer's budget and keeps the texts behind the hashes it carried.
async fn send(
    state: Arc<AppState>,
    relayer: Address,
    request: SignedRequest,
    signed: ForwardRequestData,
    monitor: Option<MonitorVerdict>,
) -> ApiResult<Relayed> {
    let d = &state.deployment;
    let fees = state.fees.current(&state.provider).await?;
    let nonce = state.relayer_nonces.take(&state.provider, relayer).await?;
    let ticket = state.inclusions.ticket();
    let sent = TimebankForwarder::new(d.contracts.forwarder, &state.provider)
        .execute(signed)
        .from(relayer)
        .nonce(nonce)
        .gas(request.gas + forward::FORWARDER_GAS)
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
    state.limits.spent(request.from, receipt.gas_used);
    let success = receipt.status()
        && receipt
            .decoded_log::<TimebankForwarder::ExecutedForwardRequest>()
            .is_some_and(|log| log.data.success);
    let block_number = receipt.block_number.unwrap_or_default();
    if success {
        state
            .store
            .land_notes(&words(&request.data), crate::auth::unix_now())
            .await?;
    }
    // Something changed between the check and the inclusion: say what the contract said, from
    // the state the transaction ran on.
    let failure = if success {
        None
    } else if !receipt.status() {
        Some("the forwarder refused the request when it was included".to_owned())
    } else {
        let parent = alloy::eips::BlockId::number(block_number.saturating_sub(1));
        match simulate::simulate_at(
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
    Ok(Relayed {
        tx_hash,
        block_number,
        success,
        failure,
        monitor,
    })
}
