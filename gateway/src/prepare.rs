//! Every write a person makes, prepared for their wallet: the gateway encodes the action as a
//! contract call (`timebank_client::Action`, the same code a client signs from), checks that the
//! contract would accept it from the caller, asks the monitor what it would do with a payment,
//! and answers the ERC-2771 forward request with its EIP-712 typed data. The wallet signs; `POST
//! /v1/relay` sends. Texts behind on-chain hashes (reasons, a case decision's note) stay off
//! chain, in the branch's database, once the write carrying them lands.

use crate::{
    AppState,
    access::Caller,
    error::{ApiError, ApiResult, Json},
    relay::{self, simulate},
};
use alloy::primitives::{Address, Bytes};
use axum::extract::State;
use serde::Deserialize;
use std::sync::Arc;
use timebank_bindings::forward::{self, ForwardRequest};
pub use timebank_client::{Action, api::Prepared};
use utoipa::ToSchema;

/// Prepare a write for the caller's wallet to sign. Refused (403) when the gateway does not
/// relay it for the caller's roles; checked against the contract as the caller (422
/// `reverted` with the contract's error if it would refuse it); a payment comes with the
/// monitor's verdict (what would be flagged, held or blocked, and why).
#[utoipa::path(post, path = "/v1/prepare", tag = "relay", security(("session" = [])),
    request_body = Action,
    responses((status = 200, body = Prepared), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(action): Json<Action>,
) -> ApiResult<Json<Prepared>> {
    let call = action
        .call(&state.deployment.contracts)
        .map_err(|err| ApiError::bad_request(err.0))?;
    let prepared = prepared(&state, &caller, call.to, call.data).await?;
    // The texts behind the hashes wait at this branch for the write to land (the relay keeps
    // them then); unrelayed, they expire a minute after the request would have.
    state
        .store
        .keep_pending_notes(&call.texts, caller.address, prepared.deadline + 60)
        .await?;
    Ok(Json(prepared))
}

/// A call already encoded (e.g. the one `POST /v1/members/package` returns).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCall {
    /// A timebank contract.
    #[schema(value_type = String)]
    pub to: Address,
    /// The call, ABI-encoded.
    #[schema(value_type = String)]
    pub data: Bytes,
}

/// Prepare an already encoded call for the caller's wallet to sign (checked like `/v1/prepare`;
/// only the writes the gateway relays).
#[utoipa::path(post, path = "/v1/prepare/call", tag = "relay", security(("session" = [])),
    request_body = RawCall,
    responses((status = 200, body = Prepared), (status = 400, body = crate::error::ErrorBody),
        (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
        (status = 422, body = crate::error::ErrorBody)))]
pub async fn prepare_call(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(call): Json<RawCall>,
) -> ApiResult<Json<Prepared>> {
    Ok(Json(prepared(&state, &caller, call.to, call.data).await?))
}

/// Checks that the gateway relays the call for the caller and that the contract would accept
/// it from them, and wraps it in a forward request with its typed data.
async fn prepared(
    state: &AppState,
    caller: &Caller,
    to: Address,
    data: Bytes,
) -> ApiResult<Prepared> {
    relay::authorize(state, caller, to, &data)?;
    let from = caller.address;
    let d = &state.deployment;
    let gas = forward::DEFAULT_GAS;
    let simulate::Preflight {
        nonce,
        monitor,
        simulated,
    } = simulate::preflight(state, from, to, &data, gas, None).await?;
    simulated?;
    let nonce = nonce.ok_or_else(|| ApiError::internal("the preflight", "no nonce"))?;
    // The forwarder checks the deadline against the chain's clock.
    let deadline = relay::chain_time(state).await? + forward::VALIDITY;
    let request = ForwardRequest::call(from, to, data.clone(), gas, nonce, deadline);
    let typed_data = serde_json::to_value(
        request.typed_data(forward::domain(d.chain_id, d.contracts.forwarder)),
    )
    .map_err(|err| ApiError::internal("writing the typed data", err))?;
    Ok(Prepared {
        from,
        to,
        gas,
        nonce,
        deadline,
        data,
        monitor,
        typed_data,
    })
}
