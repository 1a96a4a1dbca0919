//! End-to-end monitored payments: fresh member wallets, each signing TimeCoin payments
//! (ERC-2771 forward requests, EIP-712) that the branch gateway checks against the monitor,
//! simulates, relays and answers once mined; counted when the branch's indexer has the block.
//! While they run, the indexer's lag behind the chain's head is sampled.

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, U256, keccak256},
    providers::{Provider, ProviderBuilder, ext::AnvilApi},
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use eyre::{WrapErr, ensure};
use futures::{StreamExt, stream};
use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};
use timebank_bindings::{
    HOUR, IdentityRegistry, ServiceLedger, TimeCoin, TimebankAccess,
    forward::{self, ForwardRequest},
    types::Purpose,
};
use timebank_client::{Gateway, Session, api::SignedRequest};
use timebank_indexer::{Deployment, Store};

/// Coins each member starts with, and what one payment moves (far below every rule's threshold:
/// the rules run on every payment, and none of them fires).
const FUNDS: u128 = 5 * HOUR;
const PAYMENT: u128 = HOUR / 100;

/// What the payment load measured.
#[derive(Debug)]
pub struct Figures {
    /// Payments relayed, mined and indexed.
    pub payments: usize,
    /// From the first request sent to the last payment's block in the indexer.
    pub seconds: f64,
    /// Relay answers (request to mined receipt), sorted.
    pub relay_ms: Vec<f64>,
    /// Per block: from the chain having it to the indexer having it, sorted.
    pub lag_ms: Vec<f64>,
    /// The largest gap seen between the chain's head and the indexer's, in blocks.
    pub max_lag_blocks: u64,
}

/// The payers: `count` fresh wallets registered at `branch` by its two operators (one submits,
/// the other approves) and rewarded `FUNDS` through an activity there. Set up directly on the
/// chain by the platform's admin and the operators, many transactions a block; not part of any
/// figure.
pub async fn members(
    rpc: &str,
    deployment: &Deployment,
    admin: &PrivateKeySigner,
    [op1, op2]: [&PrivateKeySigner; 2],
    branch: u32,
    count: usize,
) -> eyre::Result<Vec<PrivateKeySigner>> {
    let payers: Vec<PrivateKeySigner> = (0..count).map(|_| PrivateKeySigner::random()).collect();
    let mut wallet = EthereumWallet::from(admin.clone());
    for signer in [op1, op2].into_iter().chain(&payers) {
        wallet.register_signer(signer.clone());
    }
    let provider = ProviderBuilder::new()
        .wallet(wallet)
        .connect_http(rpc.parse()?);
    let identity = IdentityRegistry::new(deployment.contracts.identity_registry, &provider);
    let ledger = ServiceLedger::new(deployment.contracts.service_ledger, &provider);
    let (admin, op1, op2) = (admin.address(), op1.address(), op2.address());

    TimebankAccess::new(deployment.contracts.access, &provider)
        .grantRole(timebank_bindings::roles::gateway(branch), admin)
        .from(admin)
        .send()
        .await?
        .get_receipt()
        .await?;
    ledger
        .setMintQuota(branch, u128::MAX / 2)
        .from(admin)
        .send()
        .await?
        .get_receipt()
        .await?;
    let receipt = ledger
        .createActivity(branch, 0, FUNDS, 0, keccak256("bench payments"))
        .from(op1)
        .send()
        .await?
        .get_receipt()
        .await?;
    let activity = receipt
        .decoded_log::<ServiceLedger::ActivityCreated>()
        .map(|log| log.data.activityId)
        .ok_or_else(|| eyre::eyre!("creating the bench's activity failed"))?;
    for p in &payers {
        provider
            .anvil_set_balance(p.address(), U256::from(10u128.pow(18)))
            .await?;
    }

    // Each step for every payer in one block.
    provider.anvil_set_auto_mine(false).await?;
    let result = async {
        let gas = 500_000;
        let steps: [&dyn Fn(Address) -> (Address, Address, alloy::primitives::Bytes); 7] = [
            &|p| {
                let call = IdentityRegistry::submitMemberCall {
                    account: p,
                    branchId: branch,
                    commitment: keccak256(p),
                    encryptedData: vec![1u8; 64].into(),
                };
                (op1, *identity.address(), call.abi_encode().into())
            },
            // The admin's key stands for the branch's gateway, which binds the person's key.
            &|p| {
                let call = IdentityRegistry::bindUniquenessKeyCall {
                    account: p,
                    key: keccak256([p.as_slice(), b"person"].concat()),
                };
                (admin, *identity.address(), call.abi_encode().into())
            },
            &|p| {
                let call = IdentityRegistry::approveMemberCall { account: p };
                (op2, *identity.address(), call.abi_encode().into())
            },
            &|p| {
                let call = ServiceLedger::joinActivityCall {
                    activityId: activity,
                };
                (p, *ledger.address(), call.abi_encode().into())
            },
            &|p| {
                let call = ServiceLedger::recordHoursCall {
                    activityId: activity,
                    volunteer: p,
                    amount: FUNDS,
                };
                (op1, *ledger.address(), call.abi_encode().into())
            },
            &|p| {
                let call = ServiceLedger::confirmHoursCall {
                    activityId: activity,
                    amount: FUNDS,
                };
                (p, *ledger.address(), call.abi_encode().into())
            },
            &|p| {
                let call = ServiceLedger::settleCall {
                    activityId: activity,
                    volunteer: p,
                };
                (op1, *ledger.address(), call.abi_encode().into())
            },
        ];
        for (i, step) in steps.iter().enumerate() {
            let mut pending = Vec::new();
            for p in &payers {
                let (from, to, input) = step(p.address());
                let tx = alloy::rpc::types::TransactionRequest::default()
                    .from(from)
                    .to(to)
                    .input(input.into())
                    .gas_limit(gas);
                pending.push(*provider.send_transaction(tx).await?.tx_hash());
            }
            // As many blocks as the pool needs.
            while !pending.is_empty() {
                provider.evm_mine(None).await?;
                let mut left = Vec::new();
                for hash in pending {
                    match provider.get_transaction_receipt(hash).await? {
                        Some(receipt) => ensure!(
                            receipt.status(),
                            "setting up the payers, step {i}: {hash} reverted"
                        ),
                        None => left.push(hash),
                    }
                }
                pending = left;
            }
        }
        Ok::<_, eyre::Report>(())
    }
    .await;
    provider.anvil_set_auto_mine(true).await?;
    result?;
    Ok(payers)
}

/// Signs `payers` in at the gateway `base` (Sign-In with Ethereum, 16 at a time): the sessions
/// their payments go through, one per payer in order.
pub async fn sign_in(
    base: &str,
    deployment: &Deployment,
    payers: &[PrivateKeySigner],
) -> eyre::Result<Vec<Session>> {
    let gateway = Gateway::new(base, deployment.clone())?;
    stream::iter(payers)
        .map(|p| gateway.sign_in(p))
        .buffered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .wrap_err("signing the payers in")
}

/// Each payer pays the next payer `per_payer` times in a row through its session (a member's
/// forward requests carry consecutive nonces, so one member has one payment in flight); all
/// payers at once. Returns when the indexer at `index` has every payment's block.
pub async fn run(
    rpc: &str,
    deployment: &Deployment,
    index: &Store,
    payers: &[PrivateKeySigner],
    sessions: Vec<Session>,
    per_payer: usize,
    block_time: Option<Duration>,
) -> eyre::Result<Figures> {
    ensure!(sessions.len() == payers.len(), "a session per payer");
    let provider = ProviderBuilder::new().connect_http(rpc.parse()?);
    let payments = Payments::new(&provider, deployment, payers, 1).await?;

    // The lag sampler: when each block is first seen on the chain and in the index.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let sampler = {
        let (provider, index, mut stop_rx) = (provider.clone(), index.clone(), stop_rx.clone());
        tokio::spawn(async move {
            let mut seen_chain = BTreeMap::<u64, Instant>::new();
            let mut seen_index = BTreeMap::<u64, Instant>::new();
            let mut max_gap = 0u64;
            loop {
                let chain = provider.get_block_number().await.unwrap_or_default();
                let indexed = index.head().await.ok().flatten().map_or(0, |h| h.number);
                let now = Instant::now();
                let from = seen_chain.last_key_value().map_or(chain, |(n, _)| n + 1);
                for n in from..=chain {
                    seen_chain.insert(n, now);
                }
                let from = seen_index.last_key_value().map_or(indexed, |(n, _)| n + 1);
                for n in from..=indexed {
                    seen_index.insert(n, now);
                }
                max_gap = max_gap.max(chain.saturating_sub(indexed));
                tokio::select! {
                    _ = stop_rx.changed() => break,
                    () = tokio::time::sleep(Duration::from_millis(5)) => {}
                }
            }
            let first = seen_chain.keys().next().copied().unwrap_or_default();
            let mut lag: Vec<f64> = seen_chain
                .iter()
                .filter(|(n, _)| **n > first)
                .filter_map(|(n, at)| {
                    seen_index
                        .get(n)
                        .map(|got| got.saturating_duration_since(*at).as_secs_f64() * 1000.0)
                })
                .collect();
            lag.sort_by(f64::total_cmp);
            (lag, max_gap)
        })
    };

    let miner = Miner::start(&provider, block_time, stop_rx.clone());

    let started = Instant::now();
    let lanes = sessions.into_iter().enumerate().map(|(i, session)| {
        let payments = &payments;
        async move {
            let mut answers = Vec::with_capacity(per_payer);
            for nonce in 0..per_payer as u64 {
                let (payer, _, request) = payments.signed(i, nonce).await?;
                let sent = Instant::now();
                let relayed: serde_json::Value = session
                    .post("/v1/relay", &request)
                    .await
                    .wrap_err_with(|| format!("{payer}'s payment {nonce}"))?;
                ensure!(
                    relayed["success"] == true,
                    "{payer}'s payment {nonce} failed: {relayed}"
                );
                let block = relayed["blockNumber"].as_u64().unwrap_or_default();
                answers.push((sent.elapsed().as_secs_f64() * 1000.0, block));
            }
            Ok::<_, eyre::Report>(answers)
        }
    });
    let mut relay_ms = Vec::new();
    let mut last_block = 0;
    for lane in futures::future::join_all(lanes).await {
        for (ms, block) in lane? {
            relay_ms.push(ms);
            last_block = last_block.max(block);
        }
    }
    // Visible in the indexer.
    while index.head().await?.map_or(0, |h| h.number) < last_block {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    relay_ms.sort_by(f64::total_cmp);
    let _ = stop_tx.send(true);
    let (lag_ms, max_lag_blocks) = sampler.await?;
    miner.stop().await?;
    Ok(Figures {
        payments: relay_ms.len(),
        seconds,
        relay_ms,
        lag_ms,
        max_lag_blocks,
    })
}

/// The payments of a load: payer i gifts payer i + `step` (a chain, never straight back: no
/// round trip), each a forward request the payer signs.
pub struct Payments<'a> {
    payers: &'a [PrivateKeySigner],
    step: usize,
    domain: alloy::sol_types::Eip712Domain,
    coin: Address,
    deadline: u64,
}

impl<'a> Payments<'a> {
    /// Payments among `payers`, each to the payer `step` places on (round to the first).
    pub async fn new<P: Provider>(
        provider: &P,
        deployment: &Deployment,
        payers: &'a [PrivateKeySigner],
        step: usize,
    ) -> eyre::Result<Self> {
        let now = provider
            .get_block(alloy::eips::BlockId::latest())
            .await?
            .map(|b| b.header.timestamp)
            .unwrap_or_default();
        Ok(Self {
            payers,
            step,
            domain: forward::domain(deployment.chain_id, deployment.contracts.forwarder),
            coin: deployment.contracts.time_coin,
            deadline: now + 3_600,
        })
    }

    /// Payer `i`'s payment with forwarder nonce `nonce`, and it signed.
    pub async fn signed(
        &self,
        i: usize,
        nonce: u64,
    ) -> eyre::Result<(Address, ForwardRequest, SignedRequest)> {
        let payer = &self.payers[i];
        let data = TimeCoin::payCall {
            to: self.payers[(i + self.step) % self.payers.len()].address(),
            amount: U256::from(PAYMENT),
            purpose: Purpose::Gift as u8,
            r#ref: B256::ZERO,
        }
        .abi_encode()
        .into();
        let request = ForwardRequest::call(
            payer.address(),
            self.coin,
            data,
            forward::DEFAULT_GAS,
            nonce,
            self.deadline,
        );
        let signed = SignedRequest::sign(payer, &self.domain, &request).await?;
        Ok((payer.address(), request, signed))
    }
}

/// Mines a block every period while a load runs (as a QBFT chain makes them); with no period,
/// anvil mines one per transaction.
pub struct Miner(Option<tokio::task::JoinHandle<alloy::transports::TransportResult<()>>>);

impl Miner {
    /// Mines every `period` until `stop` turns.
    pub fn start<P: Provider + Clone + 'static>(
        provider: &P,
        period: Option<Duration>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> Self {
        Self(period.map(|period| {
            let provider = provider.clone();
            tokio::spawn(async move {
                provider.anvil_set_auto_mine(false).await?;
                let mut ticks = tokio::time::interval(period);
                loop {
                    tokio::select! {
                        _ = stop.changed() => break,
                        _ = ticks.tick() => provider.evm_mine(None).await.map(drop)?,
                    }
                }
                provider.anvil_set_auto_mine(true).await
            })
        }))
    }

    /// Waits for the miner to see the stop signal and turn automining back on.
    pub async fn stop(self) -> eyre::Result<()> {
        if let Some(miner) = self.0 {
            miner.await??;
        }
        Ok(())
    }
}

/// What the same payments cost the chain alone.
#[derive(Debug)]
pub struct Direct {
    /// Payments mined.
    pub payments: usize,
    /// From the first transaction sent to the last payment's receipt.
    pub seconds: f64,
}

/// The same payers' next payments sent straight to the chain, under the same block period: each
/// payer signs its forward request as before and `relayer` (one account, like a branch
/// gateway's) submits it to the forwarder, one payment in flight per payer; no gateway checks,
/// no simulation, no indexer. Forwarder nonces start at `first_nonce`.
pub async fn run_direct(
    rpc: &str,
    deployment: &Deployment,
    relayer: PrivateKeySigner,
    payers: &[PrivateKeySigner],
    per_payer: usize,
    first_nonce: u64,
    block_time: Option<Duration>,
) -> eyre::Result<Direct> {
    let relayer_address = relayer.address();
    // Receipts are watched by one poller every 5 ms, so that the baseline is not held back by
    // alloy's default 250 ms on a local node.
    let client = alloy::rpc::client::RpcClient::new_http(rpc.parse()?)
        .with_poll_interval(Duration::from_millis(5));
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(relayer))
        .with_cached_nonce_management()
        .connect_client(client);
    let payments = Payments::new(&provider, deployment, payers, 1).await?;
    let fees = provider.estimate_eip1559_fees().await?;
    let forwarder =
        timebank_bindings::TimebankForwarder::new(deployment.contracts.forwarder, &provider);

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let miner = Miner::start(&provider, block_time, stop_rx);
    let started = Instant::now();
    let lanes = (0..payers.len()).map(|i| {
        let (payments, forwarder) = (&payments, &forwarder);
        async move {
            for nonce in first_nonce..first_nonce + per_payer as u64 {
                let (payer, request, signed) = payments.signed(i, nonce).await?;
                let receipt = forwarder
                    .execute(request.with_signature(signed.signature))
                    .from(relayer_address)
                    .gas(signed.gas + forward::FORWARDER_GAS)
                    .max_fee_per_gas(fees.max_fee_per_gas)
                    .max_priority_fee_per_gas(fees.max_priority_fee_per_gas)
                    .send()
                    .await?
                    .get_receipt()
                    .await?;
                let success = receipt.status()
                    && receipt
                        .decoded_log::<timebank_bindings::TimebankForwarder::ExecutedForwardRequest>()
                        .is_some_and(|log| log.data.success);
                ensure!(success, "{payer}'s direct payment {nonce} failed");
            }
            Ok::<_, eyre::Report>(per_payer)
        }
    });
    let mut paid = 0;
    for lane in futures::future::join_all(lanes).await {
        paid += lane?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = stop_tx.send(true);
    miner.stop().await?;
    Ok(Direct {
        payments: paid,
        seconds,
    })
}
