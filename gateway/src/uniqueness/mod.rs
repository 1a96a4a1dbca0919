//! One person, one membership, with no branch able to test ID numbers offline.
//!
//! A member's uniqueness key is the threshold VOPRF of their identity document
//! ([`timebank_uniqueness`]): this gateway blinds the document, evaluates it under its own
//! share and asks peer branches' gateways for theirs ([`peer`]), checks each evaluation's proof,
//! combines `t` of them and unblinds. A branch that copies its own host holds one share, which
//! reproduces no key. Every key computed is an evaluation at `t` branches, each of which writes
//! it to its access log and rate-limits the branch that asked; the branch that asks does the
//! same for its operator.
//!
//! The key is the platform's, never an operator's: a submission carries none; once it lands,
//! this gateway opens the sealed profile, keys its document and binds the key on chain
//! (`bindUniquenessKey`, the branch's gateway role); before it relays an approval it keys the
//! member's current profile again and refuses when the key bound on chain differs.
//!
//! # Layout
//! - this module: the service ([`Uniqueness`]): configuration, keying documents, the checks of
//!   a submission and an approval, binding, and the audit's types
//! - [`peer`]: the evaluation endpoint other branches call, and this gateway's calls to theirs

pub mod peer;

use crate::{
    AppState, Settings,
    access::Caller,
    auth::unix_now,
    error::{ApiError, ApiResult},
    privacy::BranchKeys,
};
use alloy::{
    primitives::{Address, B256, aliases::U48},
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use std::{collections::BTreeMap, num::NonZeroU32, path::Path};
use timebank_bindings::IdentityRegistry;
use timebank_indexer::query::gateway::AccessRecord;
use timebank_uniqueness::{
    Blinded, Epoch, PublicFile, Share, ShareFile, document, threshold::MAX_BATCH,
};

pub use timebank_uniqueness::document::from_profile as document;

/// How many times (100 ms apart) an approval waits for the index to hold the member's profile.
const PROFILE_WAIT_TRIES: u32 = 50;

/// Why keys are computed, as the evaluating branches log it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// An operator's submission, checked before it is signed.
    Check,
    /// A landed submission's key, bound on chain.
    Bind,
    /// A member's key recomputed before an approval is relayed.
    Approve,
    /// The uniqueness audit (and a rekey after a rotation).
    Audit,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Check => "check",
            Self::Bind => "bind",
            Self::Approve => "approve",
            Self::Audit => "audit",
        }
    }
}

/// One epoch's keying material at this gateway: its own share and the epoch's public keys.
#[derive(Debug)]
pub struct Keyring {
    /// This branch's share.
    pub share: Share,
    /// The epoch's threshold and public keys.
    pub epoch: Epoch,
}

impl Keyring {
    fn load(share: &Path, public: &Path, branch: u32) -> eyre::Result<Self> {
        let public_text = std::fs::read_to_string(public)
            .map_err(|err| eyre::eyre!("the uniqueness public file {}: {err}", public.display()))?;
        let public_file: PublicFile = serde_json::from_str(&public_text)
            .map_err(|err| eyre::eyre!("the uniqueness public file {}: {err}", public.display()))?;
        let epoch = Epoch::new(&public_file)
            .map_err(|err| eyre::eyre!("the uniqueness public file {}: {err}", public.display()))?;
        let share_text = crate::config::read_secret(share, "uniqueness share file")?;
        let share_file: ShareFile = serde_json::from_str(&share_text)
            .map_err(|err| eyre::eyre!("the uniqueness share file {}: {err}", share.display()))?;
        eyre::ensure!(
            share_file.branch == branch,
            "the uniqueness share file {} is branch {}'s, and this gateway serves branch {branch}",
            share.display(),
            share_file.branch
        );
        let share = Share::new(&share_file, &epoch)
            .map_err(|err| eyre::eyre!("the uniqueness share file {}: {err}", share.display()))?;
        if epoch.threshold < 2 {
            tracing::warn!(
                epoch = epoch.epoch,
                "the uniqueness threshold is 1: this branch alone can key documents, so a copy \
                 of its host can test ID numbers offline (development only)"
            );
        }
        Ok(Self { share, epoch })
    }
}

/// Members' uniqueness keys at this gateway.
#[derive(Debug)]
pub struct Uniqueness {
    /// The current epoch: new keys are computed under it.
    pub current: Keyring,
    /// The epoch before a rotation, while members are rekeyed: a person keyed under it is still
    /// refused, and this gateway still evaluates for the peers that ask under it.
    pub previous: Option<Keyring>,
    /// Where the other branches' gateways are.
    peers: BTreeMap<u32, reqwest::Url>,
    /// Signs this gateway's evaluation requests (the relayer's key, which holds the branch's
    /// gateway role on chain).
    signer: PrivateKeySigner,
    http: reqwest::Client,
    /// Documents keyed for each operator per hour.
    per_operator: DefaultKeyedRateLimiter<Address>,
    /// Documents evaluated for each requesting branch per minute.
    per_branch: DefaultKeyedRateLimiter<u32>,
    clock: governor::clock::DefaultClock,
}

impl Uniqueness {
    /// The service `settings` configure, if they name a share; `signer` is the relayer's key.
    pub fn new(
        settings: &Settings,
        signer: Option<&PrivateKeySigner>,
    ) -> eyre::Result<Option<Self>> {
        let (Some(share), Some(public)) = (
            &settings.uniqueness_share_file,
            &settings.uniqueness_public_file,
        ) else {
            eyre::ensure!(
                settings.uniqueness_share_file.is_none()
                    && settings.uniqueness_public_file.is_none(),
                "--uniqueness-share-file and --uniqueness-public-file go together"
            );
            return Ok(None);
        };
        let signer = signer.ok_or_else(|| {
            eyre::eyre!(
                "--uniqueness-share-file needs --relayer-key-file: the relayer's key signs this \
                 gateway's evaluation requests and binds keys on chain"
            )
        })?;
        let current = Keyring::load(share, public, settings.branch_id)?;
        let previous = match (
            &settings.previous_uniqueness_share_file,
            &settings.previous_uniqueness_public_file,
        ) {
            (Some(share), Some(public)) => Some(Keyring::load(share, public, settings.branch_id)?),
            (None, None) => None,
            _ => eyre::bail!(
                "--previous-uniqueness-share-file and --previous-uniqueness-public-file go together"
            ),
        };
        let mut peers = BTreeMap::new();
        for peer in &settings.peer_gateways {
            let (branch, url) = peer.split_once('=').ok_or_else(|| {
                eyre::eyre!("--peer-gateway {peer:?}: BRANCH=URL, e.g. 2=https://south.example")
            })?;
            let branch: u32 = branch.trim().parse().map_err(|_| {
                eyre::eyre!("--peer-gateway {peer:?}: {branch:?} is not a branch id")
            })?;
            let url: reqwest::Url = url
                .trim()
                .parse()
                .map_err(|err| eyre::eyre!("--peer-gateway {peer:?}: {err}"))?;
            peers.insert(branch, url);
        }
        let reachable = 1 + current
            .epoch
            .branches()
            .filter(|b| *b != settings.branch_id && peers.contains_key(b))
            .count();
        if reachable < usize::from(current.epoch.threshold) {
            tracing::warn!(
                reachable,
                threshold = current.epoch.threshold,
                "fewer branches' gateways are known (--peer-gateway) than the uniqueness \
                 threshold: members can't be submitted until more are"
            );
        }
        let nonzero = |n: u32| NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        Ok(Some(Self {
            current,
            previous,
            peers,
            signer: signer.clone(),
            http: reqwest::Client::builder()
                .timeout(peer::TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            per_operator: RateLimiter::keyed(Quota::per_hour(nonzero(
                settings.uniqueness_checks_per_operator_per_hour,
            ))),
            per_branch: RateLimiter::keyed(Quota::per_minute(nonzero(
                settings.uniqueness_evaluations_per_branch_per_minute,
            ))),
            clock: Default::default(),
        }))
    }

    /// The keyring of `epoch`, if this gateway holds a share of it.
    fn keyring(&self, epoch: u32) -> Option<&Keyring> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.epoch.epoch == epoch)
    }

    /// Takes `documents` from `operator`'s hourly allowance, or says when to come back.
    fn admit_operator(&self, operator: Address, documents: usize) -> ApiResult<()> {
        let n = NonZeroU32::new(u32::try_from(documents).unwrap_or(u32::MAX))
            .unwrap_or(NonZeroU32::MIN);
        match self.per_operator.check_key_n(&operator, n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(ApiError::too_many(
                "rate_limited",
                format!(
                    "{operator} checked too many identity documents in the last hour; every check \
                     is in the access log. Try again later"
                ),
                not_until.wait_time_from(self.clock.now()),
            )),
            Err(_) => Err(ApiError::bad_request(format!(
                "{documents} documents at once are more than an operator may check in an hour"
            ))),
        }
    }

    /// The keys of `documents` (type, normalized number) under the current epoch, or the
    /// previous one, keyed with `t` branches. `who` is the person it is done for, logged here
    /// and at each evaluating branch.
    pub async fn keys(
        &self,
        state: &AppState,
        documents: &[(String, String)],
        previous: bool,
        purpose: Purpose,
        who: Address,
    ) -> ApiResult<Vec<B256>> {
        let keyring = if previous {
            match &self.previous {
                Some(k) => k,
                None => return Ok(Vec::new()),
            }
        } else {
            &self.current
        };
        let mut keys = Vec::with_capacity(documents.len());
        for chunk in documents.chunks(MAX_BATCH) {
            let blinded = chunk
                .iter()
                .map(|(kind, number)| Blinded::new(document::input(kind, number)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|err| ApiError::internal("blinding documents", err))?;
            let elements: Vec<[u8; 32]> = blinded.iter().map(Blinded::element).collect();
            let evaluations =
                peer::evaluations(self, state, keyring, &elements, purpose, who).await?;
            let combined =
                timebank_uniqueness::threshold::combine(&keyring.epoch, &blinded, &evaluations)
                    .map_err(|err| {
                        ApiError::unavailable(
                            "keying identity documents",
                            format!("{err} (uniqueness epoch {})", keyring.epoch.epoch),
                        )
                    })?;
            for (branch, err) in &combined.refused {
                tracing::error!(
                    branch, error = %err,
                    "a branch's uniqueness evaluation did not verify: it was not used"
                );
            }
            keys.extend(combined.keys.into_iter().map(B256::from));
        }
        Ok(keys)
    }

    /// The key of one document (the current epoch), rate-limited for `operator` and logged.
    async fn key_for(
        &self,
        state: &AppState,
        caller: &Caller,
        account: Address,
        member_id: u64,
        document: &(String, String),
        purpose: Purpose,
    ) -> ApiResult<B256> {
        self.admit_operator(caller.address, 1)?;
        log(state, caller, account, member_id, purpose, 1).await?;
        let keys = self
            .keys(
                state,
                std::slice::from_ref(document),
                false,
                purpose,
                caller.address,
            )
            .await?;
        keys.into_iter()
            .next()
            .ok_or_else(|| ApiError::internal("keying a document", "no key came back"))
    }

    /// Before an operator signs a submission: refuses (409) a person who already holds a
    /// membership (under the current epoch or, during a rotation, the previous one), naming it
    /// but never the key. Each check is rate-limited and written to the access log.
    pub async fn check_submission(
        &self,
        state: &AppState,
        caller: &Caller,
        account: Address,
        document: &(String, String),
    ) -> ApiResult<()> {
        let registry = IdentityRegistry::new(
            state.deployment.contracts.identity_registry,
            &state.provider,
        );
        let current = self
            .key_for(state, caller, account, 0, document, Purpose::Check)
            .await?;
        let previous = self
            .keys(
                state,
                std::slice::from_ref(document),
                true,
                Purpose::Check,
                caller.address,
            )
            .await?;
        for key in std::iter::once(current).chain(previous) {
            let holder: U48 = registry
                .memberOfKey(key)
                .call()
                .await
                .map_err(|err| ApiError::unavailable("the node", err))?;
            if !holder.is_zero() {
                let branch = state
                    .store
                    .member_by_id(holder.to())
                    .await?
                    .map(|m| m.home_branch);
                return Err(ApiError::conflict(
                    "duplicate_member",
                    format!(
                        "this person is already member {holder}{}: one person, one membership \
                         (a closed membership is released by a supervisor)",
                        branch.map_or(String::new(), |b| format!(" of branch {b}"))
                    ),
                ));
            }
        }
        Ok(())
    }

    /// After a submission relayed for `caller` landed: opens the package it published, keys
    /// the document and binds the key on chain. A failure is logged and left to the approval,
    /// which binds the key when none is.
    pub async fn bind_submitted(&self, state: &AppState, caller: &Caller, data: &[u8]) {
        let bound = async {
            let call = IdentityRegistry::submitMemberCall::abi_decode(data)
                .map_err(|err| ApiError::internal("decoding a relayed submission", err))?;
            let document = open_document(state, &call.encryptedData, call.commitment)?;
            let key = self
                .key_for(state, caller, call.account, 0, &document, Purpose::Bind)
                .await?;
            self.bind(state, call.account, key).await
        }
        .await;
        if let Err(err) = bound {
            tracing::warn!(
                error = %err.message(),
                "the submission's uniqueness key was not bound; the approval binds it"
            );
        }
    }

    /// Before an approval of `account` is relayed for `caller`: keys the member's current
    /// profile; binds the key when none is bound; refuses (409) when the key bound differs
    /// from the document's (a submission made around this gateway with another document's
    /// key, or a profile changed since).
    pub async fn check_approval(
        &self,
        state: &AppState,
        caller: &Caller,
        account: Address,
    ) -> ApiResult<()> {
        let registry = IdentityRegistry::new(
            state.deployment.contracts.identity_registry,
            &state.provider,
        );
        let member = registry
            .member(account)
            .call()
            .await
            .map_err(|err| ApiError::unavailable("the node", err))?;
        if member.memberId.is_zero() {
            return Err(ApiError::not_found(format!("{account} is not a member")));
        }
        let member_id: u64 = member.memberId.to();
        // The member's current profile, as the chain has it: the index may trail the chain by a
        // block or two right after the submission.
        let mut package = None;
        for _ in 0..PROFILE_WAIT_TRIES {
            package = state
                .store
                .profile_package(member_id)
                .await?
                .filter(|(version, _, _)| *version >= u64::from(member.profileVersion));
            if package.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let (_, commitment, package) = package.ok_or_else(|| {
            ApiError::unavailable(
                "the member's profile",
                format!("the branch's index has not reached {account}'s profile yet"),
            )
        })?;
        let document = open_document(state, &package, commitment)?;
        let key = self
            .key_for(
                state,
                caller,
                account,
                member_id,
                &document,
                Purpose::Approve,
            )
            .await?;
        let bound = registry
            .uniquenessKeyOf(account)
            .call()
            .await
            .map_err(|err| ApiError::unavailable("the node", err))?;
        if bound.is_zero() {
            return self.bind(state, account, key).await;
        }
        if bound != key {
            return Err(ApiError::conflict(
                "uniqueness_key_mismatch",
                format!(
                    "member {}'s uniqueness key on chain is not the key of the identity document \
                     in their profile: the submission did not come through this branch's \
                     gateway, or the profile changed since. Reject it and submit the person \
                     again",
                    member_id
                ),
            ));
        }
        Ok(())
    }

    /// Binds `key` to the Pending member `account` from the relayer (the branch's gateway
    /// role), and waits for it to land.
    async fn bind(&self, state: &AppState, account: Address, key: B256) -> ApiResult<()> {
        let relayer = self.signer.address();
        let registry = IdentityRegistry::new(
            state.deployment.contracts.identity_registry,
            &state.provider,
        );
        let call = registry.bindUniquenessKey(account, key);
        // Refused (a duplicate, an expired submission, no gateway role): said before a nonce is
        // spent.
        call.clone().from(relayer).call().await.map_err(|err| {
            let reason = err
                .as_revert_data()
                .map(|data| timebank_bindings::describe_revert(&data))
                .unwrap_or_else(|| err.to_string());
            if reason.contains("DuplicateMember") {
                ApiError::conflict(
                    "duplicate_member",
                    format!("this person already holds a membership: {reason}"),
                )
            } else {
                ApiError::unprocessable(
                    "reverted",
                    format!("the registry refuses the uniqueness key: {reason}"),
                )
            }
        })?;
        let receipt = crate::relay::send_own(
            state,
            relayer,
            call.into_transaction_request(),
            150_000,
            "binding the uniqueness key",
        )
        .await?;
        if !receipt.status() {
            return Err(ApiError::unprocessable(
                "reverted",
                "the registry refused the uniqueness key when it was included",
            ));
        }
        tracing::info!(%account, tx_hash = %receipt.transaction_hash, "uniqueness key bound");
        Ok(())
    }
}

/// Opens a profile package with this branch's key and reads its identity document.
fn open_document(
    state: &AppState,
    package: &[u8],
    commitment: B256,
) -> ApiResult<(String, String)> {
    let keys: &BranchKeys = state.branch_key.as_ref().ok_or_else(|| {
        ApiError::unavailable(
            "keying identity documents",
            "this gateway has no branch key (--branch-key-file) to open profiles",
        )
    })?;
    let canonical = keys.open(
        package,
        commitment,
        &crate::members::kid(state.branch_id.into()),
    )?;
    let profile: serde_json::Value = serde_json::from_slice(&canonical)
        .map_err(|err| ApiError::internal("reading a decrypted profile", err))?;
    document(&profile).map_err(|err| {
        ApiError::unprocessable(
            "invalid_document",
            format!("the sealed profile's identity document: {err}"),
        )
    })
}

/// Writes a keying of documents done for `caller` to the access log.
async fn log(
    state: &AppState,
    caller: &Caller,
    account: Address,
    member_id: u64,
    purpose: Purpose,
    documents: usize,
) -> ApiResult<()> {
    state
        .store
        .record_access(&AccessRecord {
            at: unix_now(),
            reader: caller.address,
            reader_roles: caller.roles_text(),
            account,
            member_id,
            profile_version: 0,
            reason: format!(
                "uniqueness {}: {documents} identity document(s) keyed",
                purpose.as_str()
            ),
            gateway_branch: state.branch_id.into(),
        })
        .await?;
    Ok(())
}

/// Members' uniqueness keys checked against their identity documents.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UniquenessAudit {
    /// Members looked at (every branch's).
    pub members: u64,
    /// Whose profile this gateway opened (each read is in the access log).
    pub opened: u64,
    /// Members whose documents give one key: suspected duplicates (registered before keys, or
    /// across a rotation done without the previous epoch).
    pub shared: Vec<Vec<KeyedMember>>,
    /// Members whose key on chain is not their document's key under the current epoch: to be
    /// given `key` (after a rotation, or registered before keys).
    pub stale: Vec<KeyedMember>,
    /// Members whose profile this gateway cannot open or that names no valid document.
    pub unreadable: Vec<KeyedMember>,
}

/// A member in the uniqueness audit.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct KeyedMember {
    /// The wallet.
    #[schema(value_type = String)]
    pub account: Address,
    /// The member id.
    pub member_id: u64,
    /// The home branch.
    pub home_branch: u64,
    /// The document's key under the current epoch, for a member to be rekeyed (stale).
    #[schema(value_type = Option<String>)]
    pub key: Option<B256>,
    /// Why it is listed (stale, unreadable).
    pub why: Option<String>,
}
