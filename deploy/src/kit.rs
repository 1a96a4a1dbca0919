//! The kit: one reviewed description of the chain and its branches (`branches.toml`), and what
//! each branch's node needs from it — the genesis, its Besu configuration, the static nodes,
//! and the node and account allowlists.

use crate::genesis::{self, Params};
use alloy::{
    primitives::{Address, B256, U256},
    signers::k256::ecdsa::VerifyingKey,
};
use serde::Deserialize;
use std::{collections::BTreeSet, path::Path};

/// `branches.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kit {
    /// The chain id: not anvil's (31337), and not a public chain's.
    pub chain_id: u64,
    /// Seconds between blocks.
    #[serde(default = "one")]
    pub block_period_secs: u64,
    /// Seconds before a QBFT round changes.
    #[serde(default = "four")]
    pub request_timeout_secs: u64,
    /// Blocks between resets of validator votes.
    #[serde(default = "epoch")]
    pub epoch_length: u64,
    /// The block gas limit.
    #[serde(default = "gas_limit")]
    pub gas_limit: u64,
    /// The genesis time (unix seconds; a fixed number so every branch writes the same file).
    #[serde(default)]
    pub timestamp: u64,
    /// The platform admin who deploys the contracts: funded at genesis.
    pub deployer: Address,
    /// Its balance, in ether (gas is free at a zero base fee; the balance pays any priority
    /// fee a wallet insists on).
    #[serde(default = "deployer_ether")]
    pub deployer_ether: u64,
    /// Accounts allowed to send transactions besides the deployer: each branch's gateway
    /// relayer, the risk agent.
    #[serde(default)]
    pub accounts: Vec<Address>,
    /// The branches.
    #[serde(rename = "branch")]
    pub branches: Vec<Branch>,
}

fn one() -> u64 {
    1
}
fn four() -> u64 {
    4
}
fn epoch() -> u64 {
    30_000
}
fn gas_limit() -> u64 {
    100_000_000
}
fn deployer_ether() -> u64 {
    1_000_000
}

/// One branch's node.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// Its name (a directory name: letters, digits, `-`).
    pub name: String,
    /// Its node's public key (64 bytes, hex, as `besu public-key export` prints it).
    pub node_public_key: String,
    /// Where other nodes reach it.
    pub host: String,
    /// Where its members reach its gateway and console (`https://...`): sign-in messages must
    /// name it.
    pub public_url: String,
    /// Its P2P port.
    #[serde(default = "p2p_port")]
    pub p2p_port: u16,
    /// Its JSON-RPC port (the branch's own services only).
    #[serde(default = "rpc_port")]
    pub rpc_port: u16,
    /// Whether its node validates (at least four validators tolerate one fault).
    #[serde(default = "yes")]
    pub validator: bool,
    /// It joined the running chain: the genesis stays as it was (its node, if it validates, is
    /// voted in by the validators), and the branch gets its files.
    #[serde(default)]
    pub joined: bool,
}

fn p2p_port() -> u16 {
    30303
}
fn rpc_port() -> u16 {
    8545
}
fn yes() -> bool {
    true
}

/// A checked branch: its key, address and enode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The branch's name.
    pub name: String,
    /// The node's public key (64 bytes).
    pub public_key: Vec<u8>,
    /// Its address: the validator's address in QBFT.
    pub address: Address,
    /// `enode://KEY@HOST:PORT`.
    pub enode: String,
    /// Whether it validates.
    pub validator: bool,
    /// Whether it joined after the genesis (not among the genesis validators).
    pub joined: bool,
    /// Its ports.
    pub p2p_port: u16,
    /// JSON-RPC.
    pub rpc_port: u16,
    /// Its gateway's public URL.
    pub public_url: url::Url,
}

/// A node's address from its 64-byte public key, refusing a key that is not a point of
/// secp256k1.
pub fn node(b: &Branch) -> eyre::Result<Node> {
    let hex = b.node_public_key.trim().trim_start_matches("0x");
    let key = alloy::primitives::hex::decode(hex)
        .map_err(|err| eyre::eyre!("branch {}: node_public_key is not hex: {err}", b.name))?;
    eyre::ensure!(
        key.len() == 64,
        "branch {}: node_public_key is {} bytes; a node's public key is 64 (besu public-key export)",
        b.name,
        key.len()
    );
    VerifyingKey::from_sec1_bytes(&[&[4u8][..], &key].concat()).map_err(|_| {
        eyre::eyre!(
            "branch {}: node_public_key is not a secp256k1 public key",
            b.name
        )
    })?;
    let public_url = url::Url::parse(&b.public_url)
        .ok()
        .filter(|u| u.scheme() == "https" && u.host_str().is_some())
        .ok_or_else(|| {
            eyre::eyre!(
                "branch {}: public_url {:?} is not an https:// URL (where members reach the branch's console)",
                b.name,
                b.public_url
            )
        })?;
    Ok(Node {
        name: b.name.clone(),
        public_url,
        address: Address::from_raw_public_key(&key),
        enode: format!("enode://{hex}@{}:{}", b.host, b.p2p_port),
        public_key: key,
        validator: b.validator,
        joined: b.joined,
        p2p_port: b.p2p_port,
        rpc_port: b.rpc_port,
    })
}

impl Kit {
    /// Reads and checks `path`.
    pub fn load(path: &Path) -> eyre::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| eyre::eyre!("cannot read {}: {err}", path.display()))?;
        let kit: Self =
            toml::from_str(&text).map_err(|err| eyre::eyre!("{}: {err}", path.display()))?;
        kit.nodes()?;
        Ok(kit)
    }

    /// The branches' nodes, checked: a chain id that is neither anvil's nor mainnet's, unique
    /// names, keys and ports per host, at least one validator.
    pub fn nodes(&self) -> eyre::Result<Vec<Node>> {
        eyre::ensure!(
            self.chain_id != timebank_bindings::deploy::DEV_CHAIN_ID && self.chain_id != 1,
            "chain_id {} is {}: a branch network needs its own",
            self.chain_id,
            if self.chain_id == 1 {
                "Ethereum mainnet's"
            } else {
                "anvil's (the development chain)"
            }
        );
        eyre::ensure!(
            self.block_period_secs >= 1,
            "block_period_secs must be at least 1"
        );
        eyre::ensure!(
            self.request_timeout_secs > self.block_period_secs,
            "request_timeout_secs ({}) must be longer than block_period_secs ({})",
            self.request_timeout_secs,
            self.block_period_secs
        );
        let nodes = self
            .branches
            .iter()
            .map(node)
            .collect::<eyre::Result<Vec<_>>>()?;
        let mut names = BTreeSet::new();
        let mut keys = BTreeSet::new();
        let mut places = BTreeSet::new();
        for (n, b) in nodes.iter().zip(&self.branches) {
            eyre::ensure!(
                !n.name.is_empty()
                    && n.name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "branch name {:?}: letters, digits and - only",
                n.name
            );
            eyre::ensure!(
                names.insert(n.name.clone()),
                "two branches are called {}",
                n.name
            );
            eyre::ensure!(
                keys.insert(n.address),
                "branches {} and another share a node key",
                n.name
            );
            eyre::ensure!(
                places.insert((b.host.clone(), b.p2p_port)),
                "two nodes listen at {}:{}",
                b.host,
                b.p2p_port
            );
        }
        eyre::ensure!(
            nodes.iter().any(|n| n.validator && !n.joined),
            "no branch validates: a QBFT chain needs validators (four tolerate one fault)"
        );
        Ok(nodes)
    }

    /// The genesis parameters.
    pub fn params(&self) -> eyre::Result<Params> {
        Ok(Params {
            chain_id: self.chain_id,
            validators: self
                .nodes()?
                .iter()
                .filter(|n| n.validator && !n.joined)
                .map(|n| n.address)
                .collect(),
            block_period_secs: self.block_period_secs,
            request_timeout_secs: self.request_timeout_secs,
            epoch_length: self.epoch_length,
            gas_limit: self.gas_limit,
            alloc: vec![(
                self.deployer,
                U256::from(self.deployer_ether) * U256::from(10u64).pow(U256::from(18)),
            )],
            timestamp: self.timestamp,
        })
    }

    /// Writes the kit into `out`: `genesis.json`, `static-nodes.json`,
    /// `permissions_config.toml` (shared by every node) and `<branch>/config.toml`. Returns
    /// the files written.
    pub fn write(&self, out: &Path) -> eyre::Result<Vec<std::path::PathBuf>> {
        let nodes = self.nodes()?;
        let mut written = Vec::new();
        let mut put = |path: std::path::PathBuf, text: String| -> eyre::Result<()> {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, text)
                .map_err(|err| eyre::eyre!("cannot write {}: {err}", path.display()))?;
            written.push(path);
            Ok(())
        };
        put(
            out.join("genesis.json"),
            serde_json::to_string_pretty(&genesis::genesis(&self.params()?))? + "\n",
        )?;
        let enodes: Vec<&str> = nodes.iter().map(|n| n.enode.as_str()).collect();
        put(
            out.join("static-nodes.json"),
            serde_json::to_string_pretty(&enodes)? + "\n",
        )?;
        let mut accounts: Vec<String> = std::iter::once(self.deployer)
            .chain(self.accounts.iter().copied())
            .map(|a| a.to_checksum(None))
            .collect();
        accounts.dedup();
        let mut permissions = toml::Table::new();
        permissions.insert("nodes-allowlist".into(), enodes.clone().into());
        permissions.insert("accounts-allowlist".into(), accounts.into());
        put(
            out.join("permissions_config.toml"),
            "# Which nodes may connect and which accounts may send transactions: the same file \
             at every branch (timebank-kit).\n"
                .to_owned()
                + &toml::to_string(&permissions)?,
        )?;
        for (i, n) in nodes.iter().enumerate() {
            put(out.join(&n.name).join("config.toml"), node_config(n))?;
            put(out.join(&n.name).join("branch.env"), branch_env(&nodes, i)?)?;
        }
        Ok(written)
    }
}

/// A branch node's Besu configuration (`besu --config-file`): its key and data where the
/// service user alone reads them, the shared files, JSON-RPC on 127.0.0.1 with only the APIs
/// the branch's own services call ([`SERVICE_RPC_APIS`]), administration on the node user's
/// socket only, peers from the static list only, both allowlists on, gas free.
pub fn node_config(n: &Node) -> String {
    format!(
        r#"# Branch {name}'s node ({role}), address {address}. Written by timebank-kit; see docs/deploy.md.
data-path = "/var/lib/timebank/besu"
genesis-file = "/etc/timebank/genesis.json"
node-private-key-file = "/etc/timebank/keys/node.key"
p2p-host = "0.0.0.0"
p2p-port = {p2p}
discovery-enabled = false
static-nodes-file = "/etc/timebank/static-nodes.json"
permissions-nodes-config-file-enabled = true
permissions-accounts-config-file-enabled = true
permissions-nodes-config-file = "/etc/timebank/permissions_config.toml"
permissions-accounts-config-file = "/etc/timebank/permissions_config.toml"
rpc-http-enabled = true
rpc-http-host = "127.0.0.1"
rpc-http-port = {rpc}
rpc-http-api = {service_apis}
host-allowlist = ["localhost", "127.0.0.1"]
rpc-ws-enabled = true
rpc-ws-host = "127.0.0.1"
rpc-ws-port = {ws}
rpc-ws-api = {service_apis}
# The branch IT person's administration (validator votes, allowlist reloads) over a socket in
# the node's data directory, which only the node's user opens (its unit's UMask is 0077).
Xrpc-ipc-enabled = true
Xrpc-ipc-path = "/var/lib/timebank/besu/besu.ipc"
Xrpc-ipc-api = {admin_apis}
min-gas-price = 0
sync-mode = "FULL"
metrics-enabled = true
metrics-host = "127.0.0.1"
metrics-port = 9545
"#,
        name = n.name,
        role = if n.validator {
            "validator"
        } else {
            "not a validator"
        },
        address = n.address.to_checksum(None),
        p2p = n.p2p_port,
        rpc = n.rpc_port,
        ws = n.rpc_port + 1,
        service_apis = toml_list(SERVICE_RPC_APIS),
        admin_apis = toml_list(ADMIN_RPC_APIS),
    )
}

/// The JSON-RPC APIs the branch's indexer, gateway and risk agent call on their node over
/// HTTP and WebSocket (`eth_*`; the agent's `net_peerCount`): nothing that administers the node
/// (`ADMIN`, `QBFT`, `PERM`), shows its pending transactions (`TXPOOL`) or traces (`DEBUG`).
pub const SERVICE_RPC_APIS: &[&str] = &["ETH", "NET"];

/// The APIs on the node's own socket, for its administrator: validator votes (`QBFT`), the
/// allowlists (`PERM`), peers (`ADMIN`).
pub const ADMIN_RPC_APIS: &[&str] = &["ETH", "NET", "QBFT", "PERM", "ADMIN"];

/// A TOML array of strings (JSON's spelling is TOML's).
fn toml_list(items: &[&str]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

/// A branch's services' settings (`/etc/timebank/branch.env`, read by the systemd units in
/// `deploy/systemd`): branch `id` (branches are added on chain in the description's order, the
/// first is 1), its own node, where the deployment file and the console are, and where each
/// service's metrics are served (on 127.0.0.1 only, for the branch's Prometheus). Secrets are
/// never here: each unit names its own passwordless database role, keys are credentials. The
/// other branches' gateways are the peers this one keys identity documents with.
pub fn branch_env(nodes: &[Node], index: usize) -> eyre::Result<String> {
    let n = &nodes[index];
    let id = u32::try_from(index + 1)?;
    let mut peers = Vec::new();
    for (i, peer) in nodes.iter().enumerate() {
        if i != index {
            peers.push(format!("{}={}", i + 1, peer.public_url));
        }
    }
    Ok(format!(
        r#"# Branch {name}'s services (timebank-kit; see docs/deploy.md). No secrets here.
TIMEBANK_BRANCH_ID={id}
TIMEBANK_RPC_URL=http://127.0.0.1:{rpc}
TIMEBANK_WS_URL=ws://127.0.0.1:{ws}
TIMEBANK_DEPLOYMENT=/etc/timebank/deployment.json
# QBFT blocks are final: nothing to wait for.
TIMEBANK_CONFIRMATIONS=0
# The gateway behind the branch's TLS reverse proxy, which forwards the client's address.
TIMEBANK_GATEWAY_LISTEN=127.0.0.1:8080
TIMEBANK_CLIENT_IP_HEADER=x-forwarded-for
TIMEBANK_GATEWAY_PUBLIC_URL={url}
TIMEBANK_GATEWAY_DOMAIN={domain}
TIMEBANK_CONSOLE_DIR=/usr/share/timebank/console
TIMEBANK_LOG_JSON=true
TIMEBANK_METRICS_ADDR=127.0.0.1:9101
TIMEBANK_METRICS_LISTEN=127.0.0.1:9102
TIMEBANK_RISKSCAN_METRICS=127.0.0.1:9103
TIMEBANK_RISKSCAN_CONFIG=/etc/timebank/riskscan.toml
# The other branches' gateways, which evaluate this branch's uniqueness keyings with their shares.
TIMEBANK_PEER_GATEWAYS={peers}
"#,
        peers = peers.join(","),
        name = n.name,
        rpc = n.rpc_port,
        ws = n.rpc_port + 1,
        url = n.public_url.as_str().trim_end_matches('/'),
        domain = match n.public_url.port() {
            Some(port) => format!("{}:{port}", n.public_url.host_str().unwrap_or_default()),
            None => n.public_url.host_str().unwrap_or_default().to_owned(),
        },
    ))
}

/// keccak256 of the kit's genesis: every branch compares it before starting its node.
pub fn genesis_digest(kit: &Kit) -> eyre::Result<B256> {
    let text = serde_json::to_string_pretty(&genesis::genesis(&kit.params()?))? + "\n";
    Ok(alloy::primitives::keccak256(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::signers::local::PrivateKeySigner;

    /// A node's public key as `besu public-key export` prints it, from a key.
    fn public_key(signer: &PrivateKeySigner) -> String {
        let point = signer.credential().verifying_key().to_encoded_point(false);
        alloy::primitives::hex::encode_prefixed(&point.as_bytes()[1..])
    }

    fn kit(n: usize) -> Kit {
        let toml = (0..n)
            .map(|i| {
                let signer =
                    PrivateKeySigner::from_bytes(&B256::with_last_byte(i as u8 + 1)).unwrap();
                format!(
                    "[[branch]]\nname = \"b{i}\"\nnode_public_key = \"{}\"\nhost = \"10.0.0.{}\"\npublic_url = \"https://b{i}.timebank.example\"\n",
                    public_key(&signer),
                    i + 1
                )
            })
            .collect::<String>();
        toml::from_str(&format!(
            "chain_id = 20261130\ndeployer = \"0x00000000000000000000000000000000000000de\"\n\
             accounts = [\"0x00000000000000000000000000000000000000aa\"]\n{toml}"
        ))
        .unwrap()
    }

    #[test]
    fn a_nodes_address_is_its_keys_as_an_account_would_be() {
        // Anvil's first development key: its address is well known.
        let signer: PrivateKeySigner =
            "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
                .parse()
                .unwrap();
        let n = node(&Branch {
            name: "north".into(),
            node_public_key: public_key(&signer),
            host: "10.0.1.5".into(),
            public_url: "https://north.timebank.example".into(),
            p2p_port: 30303,
            rpc_port: 8545,
            validator: true,
            joined: false,
        })
        .unwrap();
        assert_eq!(
            n.address,
            alloy::primitives::address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        );
        assert!(n.enode.starts_with("enode://"));
        assert!(n.enode.ends_with("@10.0.1.5:30303"));
        assert_eq!(
            n.enode.len(),
            "enode://".len() + 128 + "@10.0.1.5:30303".len()
        );
    }

    #[test]
    fn eight_branches_make_one_genesis_every_node_agrees_on() {
        let kit = kit(8);
        let dir = tempfile::tempdir().unwrap();
        let written = kit.write(dir.path()).unwrap();
        assert_eq!(
            written.len(),
            3 + 2 * 8,
            "three shared files, two per branch"
        );
        let g: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("genesis.json")).unwrap(),
        )
        .unwrap();
        let extra = alloy::primitives::hex::decode(g["extraData"].as_str().unwrap()).unwrap();
        let validators = genesis::decode_extra_data(&extra).unwrap();
        let addresses: Vec<Address> = kit.nodes().unwrap().iter().map(|n| n.address).collect();
        assert_eq!(validators, addresses, "every branch validates, in order");
        let statics: Vec<String> = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("static-nodes.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(statics.len(), 8);
        let permissions: toml::Table = toml::from_str(
            &std::fs::read_to_string(dir.path().join("permissions_config.toml")).unwrap(),
        )
        .unwrap();
        assert_eq!(permissions["nodes-allowlist"].as_array().unwrap().len(), 8);
        assert_eq!(
            permissions["accounts-allowlist"].as_array().unwrap().len(),
            2,
            "the deployer and the relayer"
        );
        let config: toml::Table =
            toml::from_str(&std::fs::read_to_string(dir.path().join("b3/config.toml")).unwrap())
                .unwrap();
        assert_eq!(
            config["rpc-http-host"].as_str(),
            Some("127.0.0.1"),
            "RPC for the branch only"
        );
        assert_eq!(config["min-gas-price"].as_integer(), Some(0));
        assert_eq!(config["discovery-enabled"].as_bool(), Some(false));
        let env = std::fs::read_to_string(dir.path().join("b3/branch.env")).unwrap();
        assert!(
            env.contains("TIMEBANK_BRANCH_ID=4\n"),
            "the fourth branch: {env}"
        );
        assert!(
            env.contains("TIMEBANK_RPC_URL=http://127.0.0.1:8545\n"),
            "{env}"
        );
        // The same description writes the same genesis, byte for byte.
        assert_eq!(genesis_digest(&kit).unwrap(), genesis_digest(&kit).unwrap());
        let dir2 = tempfile::tempdir().unwrap();
        kit.write(dir2.path()).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("genesis.json")).unwrap(),
            std::fs::read(dir2.path().join("genesis.json")).unwrap()
        );
    }

    #[test]
    fn a_branch_joining_later_leaves_the_genesis_as_it_was() {
        let before = kit(4);
        let mut after = kit(5);
        after.branches[4].joined = true;
        assert_eq!(
            genesis_digest(&before).unwrap(),
            genesis_digest(&after).unwrap()
        );
        let dir = tempfile::tempdir().unwrap();
        after.write(dir.path()).unwrap();
        let statics = std::fs::read_to_string(dir.path().join("static-nodes.json")).unwrap();
        assert_eq!(
            statics.matches("enode://").count(),
            5,
            "the new node is a peer"
        );
        let env = std::fs::read_to_string(dir.path().join("b4/branch.env")).unwrap();
        assert!(env.contains("TIMEBANK_BRANCH_ID=5\n"), "{env}");
        // Not marked as joined, the fifth validator would change the genesis.
        after.branches[4].joined = false;
        assert_ne!(
            genesis_digest(&before).unwrap(),
            genesis_digest(&after).unwrap()
        );
    }

    #[test]
    fn the_example_description_is_valid() {
        let kit = Kit::load(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("branches.example.toml"),
        )
        .unwrap();
        let nodes = kit.nodes().unwrap();
        assert_eq!(nodes.len(), 4, "four validators tolerate one fault");
        // The example's keys are those of private keys 1..4: their addresses are well known.
        assert_eq!(
            nodes[0].address,
            alloy::primitives::address!("7E5F4552091A69125d5DfCb7b8C2659029395Bdf")
        );
        assert_eq!(
            nodes[1].address,
            alloy::primitives::address!("2B5AD5c4795c026514f8317c7a215E218DcCD6cF")
        );
    }

    #[test]
    fn a_wrong_description_is_refused_in_words() {
        let refused = |edit: &dyn Fn(&mut Kit), words: &str| {
            let mut k = kit(4);
            edit(&mut k);
            let err = k.nodes().unwrap_err().to_string();
            assert!(err.contains(words), "{err:?} should say {words:?}");
        };
        refused(&|k| k.chain_id = 31337, "anvil");
        refused(&|k| k.chain_id = 1, "mainnet");
        refused(
            &|k| k.branches[1].name = "b0".into(),
            "two branches are called b0",
        );
        refused(
            &|k| k.branches[2].node_public_key = k.branches[0].node_public_key.clone(),
            "share a node key",
        );
        refused(
            &|k| k.branches[0].node_public_key = "0x1234".into(),
            "2 bytes",
        );
        refused(
            &|k| k.branches[0].node_public_key = format!("0x{}", "11".repeat(64)),
            "not a secp256k1",
        );
        refused(
            &|k| k.branches.iter_mut().for_each(|b| b.validator = false),
            "no branch validates",
        );
        refused(
            &|k| k.request_timeout_secs = 1,
            "longer than block_period_secs",
        );
        refused(&|k| k.branches[3].name = "b 3".into(), "letters, digits");
        refused(
            &|k| {
                k.branches[1].host = k.branches[0].host.clone();
            },
            "two nodes listen",
        );
        refused(
            &|k| k.branches[2].public_url = "http://b2.timebank.example".into(),
            "is not an https:// URL",
        );
        assert!(toml::from_str::<Kit>("chain_id = 5\ndeployer = \"0x00000000000000000000000000000000000000de\"\nbranch = []\nvalidators = 3").is_err(), "an unknown key");
    }
}
