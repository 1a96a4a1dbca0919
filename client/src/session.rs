//! A client of a gateway for a program that holds a wallet. It never signs what it did not
//! build: the sign-in message names the gateway it talks to (not what the gateway says it is),
//! and every write is encoded here from the action the person asked for, on the contracts of a
//! deployment the client trusts; the gateway's prepared request must say the same, or the client
//! refuses to sign.

use crate::{
    action::{Action, ActionError, Call},
    api::{
        ErrorBody, LoginRequest, LoginResponse, NonceResponse, PackageRequest, Prepared,
        ProfileAction, Relayed, Sealed, SignedRequest,
    },
    describe::{Description, describe},
    profile,
};
use alloy::{
    primitives::{Address, Bytes},
    signers::Signer,
    sol_types::{SolCall, SolStruct},
};
use reqwest::Url;
use serde::{Serialize, de::DeserializeOwned};
use std::time::{Duration, SystemTime};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use timebank_bindings::{
    IdentityRegistry,
    deploy::Deployment,
    forward::{self, ForwardRequest},
};

/// The furthest in the future a deadline the gateway proposes may be.
pub const LONGEST_DEADLINE: Duration = Duration::from_secs(24 * 3600);

/// What went wrong talking to a gateway.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The gateway answered with an error.
    #[error("{status}: {} ({})", .body.message, .body.code)]
    Api {
        /// HTTP status.
        status: u16,
        /// The error body.
        body: ErrorBody,
    },
    /// The request did not get an answer, or the answer was not what the API describes.
    #[error("{0}")]
    Transport(String),
    /// The wallet refused to sign.
    #[error("signing: {0}")]
    Signing(String),
    /// The gateway asked for a signature over something other than what was asked for: the
    /// client refused to sign it.
    #[error("refused to sign: {0}")]
    Refused(String),
    /// The action can't be a call.
    #[error(transparent)]
    Action(#[from] ActionError),
}

/// Result of a client call.
pub type ClientResult<T> = Result<T, ClientError>;

/// A gateway, not signed in.
#[derive(Debug, Clone)]
pub struct Gateway {
    base: Url,
    http: reqwest::Client,
    deployment: Deployment,
}

/// A signed-in session at a gateway.
#[derive(Debug, Clone)]
pub struct Session {
    gateway: Gateway,
    token: String,
    /// Who signed in.
    pub address: Address,
}

/// A write ready to sign: the call the client encoded, the gateway's preparation of it
/// (checked against the call), and the call in words.
#[derive(Debug, Clone)]
pub struct Checked {
    /// What the client encoded.
    pub call: Call,
    /// The gateway's answer: nonce, deadline, the monitor's verdict.
    pub prepared: Prepared,
    /// The call, decoded from its own bytes.
    pub description: Description,
}

impl SignedRequest {
    /// Signs `request` with `signer` (its `from`) under the forwarder's `domain`.
    pub async fn sign(
        signer: &(impl Signer + Sync),
        domain: &alloy::sol_types::Eip712Domain,
        request: &ForwardRequest,
    ) -> alloy::signers::Result<Self> {
        let signature = signer
            .sign_hash(&request.eip712_signing_hash(domain))
            .await?;
        Ok(Self {
            from: request.from,
            to: request.to,
            gas: request.gas.saturating_to(),
            nonce: request.nonce.saturating_to(),
            deadline: request.deadline.to(),
            data: request.data.clone(),
            signature: signature.as_bytes().to_vec().into(),
        })
    }
}

impl Gateway {
    /// The gateway at `base` (e.g. `http://127.0.0.1:8081`), on the contracts of `deployment`
    /// (the file the deploy script wrote; the client signs nothing for other contracts).
    pub fn new(base: &str, deployment: Deployment) -> ClientResult<Self> {
        let base: Url = base
            .trim_end_matches('/')
            .parse()
            .map_err(|err| ClientError::Transport(format!("{base} is not a URL: {err}")))?;
        if base.host_str().is_none() {
            return Err(ClientError::Transport(format!("{base} has no host")));
        }
        Ok(Self {
            base,
            http: reqwest::Client::new(),
            deployment,
        })
    }

    /// Its base URL.
    pub fn base(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// The deployment this client signs for.
    pub fn deployment(&self) -> &Deployment {
        &self.deployment
    }

    /// The EIP-4361 `domain` this gateway must be signed in to: the host (and port) the client
    /// actually talks to.
    pub fn domain(&self) -> String {
        let host = self.base.host_str().unwrap_or_default();
        match self.base.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// Signs in with `signer`: an EIP-4361 message for this gateway's domain, URI and the
    /// deployment's chain, valid for an hour. Refuses to sign when the gateway asks for another
    /// domain, URI or chain (a message for one gateway can't open a session at another).
    pub async fn sign_in(&self, signer: &(impl Signer + Sync)) -> ClientResult<Session> {
        let answer: NonceResponse = self
            .send(self.http.post(self.url("/v1/auth/nonce")), None)
            .await?;
        let domain = self.domain();
        if answer.domain != domain {
            return Err(ClientError::Refused(format!(
                "the gateway at {} asks to be signed in to as {:?}",
                self.base(),
                answer.domain
            )));
        }
        if answer.uri.trim_end_matches('/') != self.base() {
            return Err(ClientError::Refused(format!(
                "the gateway at {} asks to be signed in to at {:?}",
                self.base(),
                answer.uri
            )));
        }
        if answer.chain_id != self.deployment.chain_id {
            return Err(ClientError::Refused(format!(
                "the gateway is on chain {}, the deployment on chain {}",
                answer.chain_id, self.deployment.chain_id
            )));
        }
        let now = OffsetDateTime::now_utc();
        let at = |t: OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
        let message = format!(
            "{domain} wants you to sign in with your Ethereum account:\n{}\n\nSign in to timebank.\n\n\
             URI: {}\nVersion: 1\nChain ID: {}\nNonce: {}\nIssued At: {}\nExpiration Time: {}",
            signer.address().to_checksum(None),
            self.base(),
            self.deployment.chain_id,
            answer.nonce,
            at(now),
            at(now + time::Duration::hours(1)),
        );
        let signature = signer
            .sign_message(message.as_bytes())
            .await
            .map_err(|err| ClientError::Signing(err.to_string()))?;
        let login = LoginRequest {
            message,
            signature: alloy::hex::encode_prefixed(signature.as_bytes()),
        };
        let session: LoginResponse = self
            .send(
                self.http.post(self.url("/v1/auth/login")).json(&login),
                None,
            )
            .await?;
        Ok(Session {
            gateway: self.clone(),
            token: session.token,
            address: signer.address(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        token: Option<&str>,
    ) -> ClientResult<T> {
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response = request
            .send()
            .await
            .map_err(|err| ClientError::Transport(format!("{}: {err}", self.base())))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|err| ClientError::Transport(err.to_string()))?;
        if status >= 400 {
            let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| ErrorBody {
                code: "unknown".into(),
                message: String::from_utf8_lossy(&bytes).into_owned(),
                details: None,
            });
            return Err(ClientError::Api { status, body });
        }
        let bytes = if bytes.is_empty() {
            &b"null"[..]
        } else {
            &bytes[..]
        };
        serde_json::from_slice(bytes)
            .map_err(|err| ClientError::Transport(format!("an unexpected answer: {err}")))
    }
}

impl Session {
    /// The bearer token (for requests this client does not make, like the event stream).
    pub fn token(&self) -> Option<&str> {
        (!self.token.is_empty()).then_some(self.token.as_str())
    }

    /// The gateway.
    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// `GET path` as this session.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> ClientResult<T> {
        let g = &self.gateway;
        g.send(g.http.get(g.url(path)), Some(&self.token)).await
    }

    /// `POST path` with a JSON body as this session.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> ClientResult<T> {
        let g = &self.gateway;
        g.send(g.http.post(g.url(path)).json(body), Some(&self.token))
            .await
    }

    /// `PUT path` with a JSON body as this session.
    pub async fn put<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> ClientResult<T> {
        let g = &self.gateway;
        g.send(g.http.put(g.url(path)).json(body), Some(&self.token))
            .await
    }

    /// Encodes `action`, has the gateway prepare it (nonce, deadline, the monitor's verdict,
    /// the contract's own check), and checks that the gateway prepared exactly that call.
    pub async fn prepare(&self, action: &Action) -> ClientResult<Checked> {
        let call = action.call(&self.gateway.deployment.contracts)?;
        let prepared: Prepared = self.post("/v1/prepare", action).await?;
        self.checked(call, prepared)
    }

    /// Signs a checked write with `signer` (this session's wallet) and has it relayed.
    pub async fn sign_and_relay(
        &self,
        signer: &(impl Signer + Sync),
        checked: &Checked,
    ) -> ClientResult<Relayed> {
        if signer.address() != self.address {
            return Err(ClientError::Refused(format!(
                "this session is {}'s, not {}'s",
                self.address,
                signer.address()
            )));
        }
        let p = &checked.prepared;
        let d = &self.gateway.deployment;
        // Built here, from the checked call; the gateway's typed data is never signed.
        let request = ForwardRequest::call(
            self.address,
            checked.call.to,
            checked.call.data.clone(),
            p.gas,
            p.nonce,
            p.deadline,
        );
        let signed = SignedRequest::sign(
            signer,
            &forward::domain(d.chain_id, d.contracts.forwarder),
            &request,
        )
        .await
        .map_err(|err| ClientError::Signing(err.to_string()))?;
        self.post("/v1/relay", &signed).await
    }

    /// Makes a write: [`Session::prepare`], then [`Session::sign_and_relay`].
    pub async fn act(
        &self,
        signer: &(impl Signer + Sync),
        action: &Action,
    ) -> ClientResult<Relayed> {
        let checked = self.prepare(action).await?;
        self.sign_and_relay(signer, &checked).await
    }

    /// Has the gateway seal `profile` for `account` (a new member at the caller's branch, or a
    /// new version of a member's profile) and prepare the call that publishes it. Checks that
    /// the call publishes this profile for this account, with the commitment of the salted
    /// profile the gateway returns. Returns the write to sign and that salted profile, which
    /// the member keeps.
    pub async fn seal_profile(
        &self,
        account: Address,
        profile_fields: serde_json::Value,
        action: ProfileAction,
    ) -> ClientResult<(Checked, serde_json::Value)> {
        let request = PackageRequest {
            account,
            profile: profile_fields,
            action,
        };
        let sealed: Sealed = self.post("/v1/members/package", &request).await?;
        let canonical = profile::canonical(&sealed.profile)
            .map_err(|err| ClientError::Refused(err.to_string()))?;
        let commitment = profile::commitment(&canonical);
        let registry = self.gateway.deployment.contracts.identity_registry;
        let expected: Bytes = match action {
            ProfileAction::Submit => {
                let call = IdentityRegistry::submitMemberCall::abi_decode(&sealed.data).map_err(
                    |err| ClientError::Refused(format!("not a submitMember call: {err}")),
                )?;
                // The person's uniqueness key is no part of it: the branch's gateway binds it
                // from the sealed profile (`bindUniquenessKey`), never the operator.
                IdentityRegistry::submitMemberCall {
                    account,
                    branchId: call.branchId,
                    commitment,
                    encryptedData: sealed.encrypted_data.clone(),
                }
                .abi_encode()
                .into()
            }
            ProfileAction::Update => IdentityRegistry::updateProfileCall {
                account,
                commitment,
                encryptedData: sealed.encrypted_data.clone(),
            }
            .abi_encode()
            .into(),
        };
        if sealed.to != registry || sealed.data != expected || sealed.commitment != commitment {
            return Err(ClientError::Refused(
                "the gateway's call does not publish the profile it returned for this account"
                    .into(),
            ));
        }
        let call = Call {
            to: registry,
            data: expected,
            texts: Vec::new(),
        };
        let prepared: Prepared = self
            .post(
                "/v1/prepare/call",
                &serde_json::json!({"to": call.to, "data": call.data}),
            )
            .await?;
        Ok((self.checked(call, prepared)?, sealed.profile))
    }

    /// [`Session::seal_profile`], then [`Session::sign_and_relay`]: publishes the profile with
    /// `signer` and returns the salted profile the member keeps.
    pub async fn publish_profile(
        &self,
        signer: &(impl Signer + Sync),
        account: Address,
        profile_fields: serde_json::Value,
        action: ProfileAction,
    ) -> ClientResult<serde_json::Value> {
        let (checked, profile) = self.seal_profile(account, profile_fields, action).await?;
        self.sign_and_relay(signer, &checked).await?;
        Ok(profile)
    }

    /// The gateway's preparation, checked against the call the client encoded.
    fn checked(&self, call: Call, prepared: Prepared) -> ClientResult<Checked> {
        let refuse = |what: String| Err(ClientError::Refused(what));
        if prepared.from != self.address {
            return refuse(format!(
                "the request is from {}, not {}",
                prepared.from, self.address
            ));
        }
        if prepared.to != call.to || prepared.data != call.data {
            return refuse("the gateway prepared another call than the one asked for".into());
        }
        if prepared.gas == 0 || prepared.gas > forward::MAX_GAS {
            return refuse(format!("the gateway asks for {} gas", prepared.gas));
        }
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        if prepared.deadline > (now + LONGEST_DEADLINE).as_secs() {
            return refuse(format!(
                "the deadline {} is more than a day away",
                prepared.deadline
            ));
        }
        let description = describe(
            &self.gateway.deployment.contracts,
            call.to,
            &call.data,
            &call.texts,
        )
        .ok_or_else(|| ClientError::Refused("the call is none of the deployment's".into()))?;
        Ok(Checked {
            call,
            prepared,
            description,
        })
    }
}
