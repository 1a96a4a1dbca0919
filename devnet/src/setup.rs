//! The demo platform's first start: the contracts, three branches with their operators and keys,
//! the issuers, partner and auditor; and the data directory's layout.

use alloy::{
    network::EthereumWallet,
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use eyre::{WrapErr, eyre};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use timebank_bindings::{
    CredentialRegistry, HOUR, ServiceLedger, TimeCoin, TimebankAccess, roles, types::CredentialKind,
};
use timebank_gateway::privacy::KeyPair;
use timebank_indexer::Deployment;

/// Anvil accounts (its well-known development mnemonic) and what the demo makes of them.
pub const ACCOUNTS: usize = 21;
const ADMIN: usize = 0;
/// Two operators per branch: the second approves what the first submits.
pub const OPERATORS: [(usize, usize); 3] = [(1, 2), (3, 4), (5, 6)];
/// The supervisor.
pub const SUPERVISOR: usize = 7;
/// Issues identity checks.
pub const ID_ISSUER: usize = 8;
/// Issues the nursing licence and first-aid training certificates.
pub const SKILLS_ISSUER: usize = 9;
/// The partner institution.
pub const PARTNER: usize = 10;
/// The auditor.
pub const AUDITOR: usize = 11;
/// Demo members: two north, two south, one east.
pub const MEMBERS: [(usize, u32); 5] = [(12, 1), (13, 1), (14, 2), (15, 2), (16, 3)];
/// One relayer per branch's gateway.
const RELAYERS: [usize; 3] = [17, 18, 19];
/// The platform's risk agent (`timebank-riskscan`): opens cases as the monitoring agent.
const RISK_AGENT: usize = 20;
/// The branches.
pub const BRANCHES: [(&str, &str); 3] = [
    ("north", "North Region"),
    ("south", "South Region"),
    ("east", "East Region"),
];

/// What `data/accounts.json` says: every demo role's address and (anvil's public) key.
#[derive(Debug, Serialize, Deserialize)]
pub struct Accounts {
    /// A reminder of what these keys are.
    pub warning: String,
    /// Role name → (address, private key).
    pub roles: Vec<(String, Address, String)>,
    /// All keys, by anvil index.
    pub keys: Vec<String>,
}

/// The data directory's layout.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The data directory.
    pub root: PathBuf,
}

impl Paths {
    /// Anvil's saved state.
    pub fn state(&self) -> PathBuf {
        self.root.join("anvil/state.json")
    }
    /// What anvil says of its accounts.
    pub fn anvil_config(&self) -> PathBuf {
        self.root.join("anvil/accounts.json")
    }
    /// The contracts' addresses.
    pub fn deployment(&self) -> PathBuf {
        self.root.join("deployment.json")
    }
    /// The demo accounts.
    pub fn accounts(&self) -> PathBuf {
        self.root.join("accounts.json")
    }
    /// A branch's data-package key.
    pub fn branch_key(&self, branch: u32) -> PathBuf {
        self.root.join(format!("keys/branch-{branch}.key"))
    }
    /// A branch gateway's relayer key.
    pub fn relayer_key(&self, branch: u32) -> PathBuf {
        self.root.join(format!("keys/relayer-{branch}.key"))
    }
    /// The risk agent's key.
    pub fn risk_agent_key(&self) -> PathBuf {
        self.root.join("keys/risk-agent.key")
    }
    /// A branch's share of the uniqueness key (members' blind index), as the key ceremony
    /// deals it.
    pub fn uniqueness_share(&self, branch: u32) -> PathBuf {
        self.root
            .join(format!("keys/uniqueness-share-{branch}.json"))
    }
    /// The uniqueness key's public file: its threshold and each share's public key.
    pub fn uniqueness_public(&self) -> PathBuf {
        self.root.join("keys/uniqueness-public.json")
    }
}

/// Writes a secret readable by its owner only.
fn write_secret(path: &Path, text: &str) -> eyre::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .wrap_err_with(|| format!("writing {}", path.display()))?;
    std::io::Write::write_all(&mut file, text.as_bytes())?;
    Ok(())
}

/// A provider that can send from every anvil account.
pub fn provider(rpc: &str, keys: &[String]) -> eyre::Result<(DynProvider, Vec<Address>)> {
    let signers: Vec<PrivateKeySigner> = keys
        .iter()
        .map(|k| {
            k.parse()
                .map_err(|_| eyre!("a key in the accounts file is not a key"))
        })
        .collect::<eyre::Result<_>>()?;
    let mut wallet = EthereumWallet::new(signers[0].clone());
    for s in &signers[1..] {
        wallet.register_signer(s.clone());
    }
    let provider = ProviderBuilder::new()
        .wallet(wallet)
        .connect_http(rpc.parse().wrap_err("the RPC URL")?)
        .erased();
    Ok((provider, signers.iter().map(|s| s.address()).collect()))
}

/// Sends a call and waits for it; a refusal names the contract's error.
macro_rules! send {
    ($what:expr, $call:expr) => {{
        let refused = |err: alloy::contract::Error| {
            let reason = err
                .as_revert_data()
                .map(|data| timebank_bindings::describe_revert(&data))
                .unwrap_or_else(|| err.to_string());
            eyre::eyre!("{} was refused: {reason}", $what)
        };
        // The estimate plus a margin: an estimate made in the same second as the previous
        // write can be short by the SSTORE of a timestamp that changes when the block is one
        // second later.
        let gas = $call.estimate_gas().await.map_err(refused)?;
        let pending = $call
            .gas(gas + gas / 5 + 20_000)
            .send()
            .await
            .map_err(refused)?;
        let receipt = pending.get_receipt().await?;
        eyre::ensure!(receipt.status(), "{} reverted", $what);
    }};
}

/// Deploys, wires and sets up the demo branches; writes the keys and the deployment file.
pub(crate) async fn first_start(
    paths: &Paths,
    rpc: &str,
    keys: Vec<String>,
) -> eyre::Result<Deployment> {
    let (provider, a) = provider(rpc, &keys)?;
    let admin = a[ADMIN];
    let start_block = provider.get_block_number().await?;
    eprintln!("devnet: deploying the contracts");
    let addresses = timebank_bindings::deploy::deploy_all(&provider, admin).await?;
    let deployment = Deployment::new(
        provider.get_chain_id().await?,
        start_block,
        admin,
        addresses,
    );
    let access = TimebankAccess::new(deployment.contracts.access, &provider);
    let credentials = CredentialRegistry::new(deployment.contracts.credential_registry, &provider);
    let ledger = ServiceLedger::new(deployment.contracts.service_ledger, &provider);
    let (config, actions) =
        timebank_bindings::deploy::default_rules(&provider, deployment.contracts.time_coin).await?;
    eprintln!("devnet: the governor (timelock) sets the monitoring rules and the supervisor");
    timebank_bindings::deploy::govern(
        &provider,
        deployment.contracts.timelock,
        admin,
        &[
            (
                deployment.contracts.time_coin,
                TimeCoin::setMonitorRulesCall { config, actions }
                    .abi_encode()
                    .into(),
            ),
            (
                deployment.contracts.access,
                TimebankAccess::grantRoleCall {
                    role: roles::SUPERVISOR,
                    account: a[SUPERVISOR],
                }
                .abi_encode()
                .into(),
            ),
        ],
    )
    .await?;

    // The uniqueness key, dealt 2 of 3 to the branches: no branch alone can key a document.
    let branch_ids: Vec<u32> = (1..=u32::try_from(BRANCHES.len())?).collect();
    let (shares, public) = timebank_uniqueness::threshold::deal(1, 2, &branch_ids)?;
    for share in &shares {
        write_secret(
            &paths.uniqueness_share(share.branch),
            &serde_json::to_string_pretty(share)?,
        )?;
    }
    std::fs::write(
        paths.uniqueness_public(),
        serde_json::to_string_pretty(&public)?,
    )?;
    for (i, (name, region)) in BRANCHES.iter().enumerate() {
        let branch = u32::try_from(i + 1)?;
        let key = KeyPair::generate();
        write_secret(&paths.branch_key(branch), &key.secret_hex())?;
        send!(
            format!("adding branch {name}"),
            access.addBranch((*name).into(), (*region).into(), key.public.into())
        );
        let (first, second) = OPERATORS[i];
        for op in [first, second] {
            send!(
                "granting an operator",
                access.grantRole(roles::operator(branch), a[op])
            );
        }
        send!(
            "setting a minting quota",
            ledger.setMintQuota(branch, 10_000 * HOUR)
        );
        write_secret(&paths.relayer_key(branch), &keys[RELAYERS[i]])?;
        // The branch gateway's relayer anchors the branch's access log.
        send!(
            "granting a gateway its role",
            access.grantRole(roles::gateway(branch), a[RELAYERS[i]])
        );
    }
    write_secret(&paths.risk_agent_key(), &keys[RISK_AGENT])?;
    for (name, role, who) in [
        ("partner", roles::PARTNER, PARTNER),
        ("auditor", roles::AUDITOR, AUDITOR),
        ("the risk agent", roles::MONITORING_AGENT, RISK_AGENT),
    ] {
        send!(format!("granting {name}"), access.grantRole(role, a[who]));
    }
    for (type_id, (kind, name, issuer)) in [
        (
            CredentialKind::IdentityCheck,
            "government identity check",
            ID_ISSUER,
        ),
        (
            CredentialKind::ProfessionalLicence,
            "nursing licence",
            SKILLS_ISSUER,
        ),
        (
            CredentialKind::TrainingCertificate,
            "first aid",
            SKILLS_ISSUER,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        send!(
            format!("defining {name}"),
            credentials.defineCredentialType(kind.into(), name.into())
        );
        let type_id = u32::try_from(type_id + 1)?;
        send!(
            "granting an issuer",
            access.grantRole(roles::issuer(type_id), a[issuer])
        );
    }

    let mut named = vec![
        ("admin".to_owned(), ADMIN),
        ("supervisor".into(), SUPERVISOR),
    ];
    for (i, (name, _)) in BRANCHES.iter().enumerate() {
        named.push((format!("{name}-operator-1"), OPERATORS[i].0));
        named.push((format!("{name}-operator-2"), OPERATORS[i].1));
    }
    named.extend([
        ("identity-issuer".into(), ID_ISSUER),
        ("skills-issuer".into(), SKILLS_ISSUER),
        ("partner".into(), PARTNER),
        ("auditor".into(), AUDITOR),
    ]);
    for (n, (index, branch)) in MEMBERS.iter().enumerate() {
        named.push((
            format!("member-{}-{}", n + 1, BRANCHES[*branch as usize - 1].0),
            *index,
        ));
    }
    let accounts = Accounts {
        warning: "anvil's well-known development keys: for this local chain only, never for a \
                  real one"
            .into(),
        roles: named
            .into_iter()
            .map(|(name, i)| (name, a[i], keys[i].clone()))
            .collect(),
        keys,
    };
    write_secret(&paths.accounts(), &serde_json::to_string_pretty(&accounts)?)?;
    std::fs::write(
        paths.deployment(),
        serde_json::to_string_pretty(&deployment)?,
    )?;
    Ok(deployment)
}
