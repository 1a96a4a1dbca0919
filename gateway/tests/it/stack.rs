//! The stack the gateway tests (and `examples/api_target.rs`) run against: a chain after
//! `Chain::scenario`, an indexer following it, a gateway serving it over TCP.
#![allow(dead_code)]

use alloy::{
    primitives::Address,
    providers::{Provider, ProviderBuilder},
    signers::{Signer, local::PrivateKeySigner},
};
use std::{path::PathBuf, sync::Arc};
use timebank_gateway::{AppState, Settings, privacy::KeyPair};
use timebank_testkit::{Chain, anvil, fresh_database, index_to_head, send};

/// A chain after `Chain::scenario`, an indexer following it, a gateway serving it.
pub struct Stack {
    pub chain: Chain,
    pub base: String,
    pub domain: String,
    pub http: reqwest::Client,
    pub keys: Vec<PrivateKeySigner>,
    /// Holds the auditor role only.
    pub auditor: Address,
    /// Holds the partner role only (the scenario's partner is also an operator).
    pub partner: Address,
    /// North's gateway.
    pub north: Gateway,
    /// North's database.
    pub url: String,
    /// North's indexer.
    indexer: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    /// South's gateway as north's uniqueness peer (on a database of its own, not indexed).
    pub south_peer: Gateway,
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.indexer.abort();
        self.north.server.abort();
        self.south_peer.server.abort();
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Changes a test gateway's settings from the defaults.
pub type Configure<'a> = &'a dyn Fn(&mut Settings);

impl Stack {
    /// On SQLite.
    pub async fn start() -> Self {
        Self::start_on(false).await.expect("SQLite is always there")
    }

    /// On SQLite, with north's gateway configured by `configure`.
    pub async fn start_with(configure: impl Fn(&mut Settings)) -> Self {
        Self::start_configured(false, &configure)
            .await
            .expect("SQLite is always there")
    }

    /// On SQLite, or on PostgreSQL when the test server is configured (`None` otherwise).
    pub async fn start_on(postgres: bool) -> Option<Self> {
        Self::start_configured(postgres, &|_| {}).await
    }

    /// On SQLite, or on PostgreSQL when the test server is configured (`None` otherwise), with
    /// north's gateway configured by `configure`.
    pub async fn start_on_with(postgres: bool, configure: impl Fn(&mut Settings)) -> Option<Self> {
        Self::start_configured(postgres, &configure).await
    }

    async fn start_configured(postgres: bool, configure: Configure<'_>) -> Option<Self> {
        let chain = Chain::start_with(anvil().args(["--accounts", "13"])).await;
        chain.scenario().await;
        let keys: Vec<PrivateKeySigner> = chain
            .anvil
            .keys()
            .iter()
            .map(|k| PrivateKeySigner::from(k.clone()))
            .collect();
        let (auditor, partner) = (keys[10].address(), keys[11].address());
        let access = chain.access();
        send!(access.grantRole(timebank_bindings::roles::AUDITOR, auditor));
        send!(access.grantRole(timebank_bindings::roles::PARTNER, partner));
        // Real data-package keys for both branches; this gateway is north's and holds its key.
        let dir = tempfile::tempdir().unwrap();
        let (north_key, south_key) = (KeyPair::generate(), KeyPair::generate());
        chain.rotate_branch_key(1, north_key.public.into()).await;
        chain.rotate_branch_key(2, south_key.public.into()).await;
        let key_file = dir.path().join("north.key");
        write_secret(&key_file, &north_key.secret_hex());
        write_secret(&dir.path().join("south.key"), &south_key.secret_hex());
        // The gateways' relayer (one key for both branches here) holds both branches' gateway
        // roles: it binds members' uniqueness keys and signs evaluation requests.
        for branch in [1, 2] {
            send!(access.grantRole(
                timebank_bindings::roles::gateway(branch),
                keys[12].address()
            ));
        }
        // The uniqueness key, dealt 2 of 3 (epoch 1); south's gateway evaluates for north.
        deal_uniqueness(dir.path(), 1);
        let south_peer = spawn_peer(&chain, &keys[12], dir.path(), 2, &|_| {}).await;
        let url = fresh_database(postgres, dir.path()).await?;
        let (store, indexer) = spawn_indexer(&chain, &url).await;
        let peers = vec![format!("2={}/", south_peer.base)];
        let north = spawn_gateway(
            &chain,
            &keys[12],
            1,
            &key_file,
            store,
            &|s: &mut Settings| {
                s.peer_gateways = peers.clone();
                configure(s);
            },
        )
        .await;
        Some(Self {
            base: north.base.clone(),
            domain: north.domain.clone(),
            chain,
            http: reqwest::Client::new(),
            keys,
            auditor,
            partner,
            north,
            url,
            indexer,
            _dir: dir,
            tasks: Vec::new(),
            south_peer,
        })
    }

    /// The stack's scratch directory.
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Stops north's indexer (its gateway keeps serving from what was indexed).
    pub fn stop_indexer(&self) {
        self.indexer.abort();
    }

    /// Another gateway of north, on north's database (a replica behind a load balancer, or
    /// the gateway after a restart), configured by `configure`.
    pub async fn north_replica(&self, configure: impl Fn(&mut Settings)) -> Gateway {
        let store = timebank_indexer::Store::connect(&self.url).await.unwrap();
        let key_file = self._dir.path().join("north.key");
        let peers = vec![format!("2={}/", self.south_peer.base)];
        spawn_gateway(
            &self.chain,
            &self.keys[12],
            1,
            &key_file,
            store,
            &|s: &mut Settings| {
                s.peer_gateways = peers.clone();
                configure(s);
            },
        )
        .await
    }

    /// A gateway of `branch` that only evaluates for other branches (on a fresh database of its
    /// own, which no indexer follows), configured by `configure`.
    pub async fn peer(&self, branch: u32, configure: impl Fn(&mut Settings)) -> Gateway {
        spawn_peer(
            &self.chain,
            &self.keys[12],
            self._dir.path(),
            branch,
            &configure,
        )
        .await
    }

    /// South's gateway, with its own indexer and database (PostgreSQL when `postgres` and the
    /// test server is configured), on the same chain.
    pub async fn south_gateway(&mut self, postgres: bool) -> Option<Gateway> {
        let url = fresh_database(postgres, self._dir.path()).await?;
        let key_file = self._dir.path().join("south.key");
        let relayer = self.keys[12].clone();
        let (store, indexer) = spawn_indexer(&self.chain, &url).await;
        self.tasks.push(indexer);
        let peers = vec![format!("1={}/", self.north.base)];
        Some(
            spawn_gateway(
                &self.chain,
                &relayer,
                2,
                &key_file,
                store,
                &|s: &mut Settings| {
                    s.peer_gateways = peers.clone();
                },
            )
            .await,
        )
    }

    /// A session of `address` at `gateway`, signed in with the gateway's client library.
    pub async fn session_at(
        &self,
        gateway: &Gateway,
        address: Address,
    ) -> timebank_client::Session {
        timebank_client::Gateway::new(&gateway.base, self.chain.deployment.clone())
            .unwrap()
            .sign_in(self.key(address))
            .await
            .unwrap_or_else(|err| panic!("signing in as {address}: {err}"))
    }

    /// Signs in as `address` at `gateway`; the session token.
    pub async fn sign_in_to(&self, gateway: &Gateway, address: Address) -> String {
        self.session_at(gateway, address)
            .await
            .token()
            .expect("a session token")
            .to_owned()
    }

    /// The anvil key of `address`.
    pub fn key(&self, address: Address) -> &PrivateKeySigner {
        self.keys
            .iter()
            .find(|k| k.address() == address)
            .expect("an anvil account")
    }

    /// An EIP-4361 message for `address` with `nonce`, valid for `valid_secs` from now.
    pub fn siwe_message(
        &self,
        address: Address,
        nonce: &str,
        chain_id: u64,
        domain: &str,
    ) -> String {
        let now = time::OffsetDateTime::now_utc();
        let fmt = |t: time::OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        format!(
            "{domain} wants you to sign in with your Ethereum account:\n{}\n\nSign in to timebank.\n\n\
             URI: http://{domain}\nVersion: 1\nChain ID: {chain_id}\nNonce: {nonce}\n\
             Issued At: {}\nExpiration Time: {}",
            address.to_checksum(None),
            fmt(now),
            fmt(now + time::Duration::minutes(10)),
        )
    }

    pub async fn nonce(&self) -> String {
        let r: serde_json::Value = self
            .http
            .post(format!("{}/v1/auth/nonce", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["nonce"].as_str().unwrap().to_owned()
    }

    /// Signs `message` with `key` and posts it to the login endpoint.
    pub async fn login(&self, key: &PrivateKeySigner, message: &str) -> reqwest::Response {
        let signature = key.sign_message(message.as_bytes()).await.unwrap();
        self.http
            .post(format!("{}/v1/auth/login", self.base))
            .json(&serde_json::json!({
                "message": message,
                "signature": alloy::hex::encode_prefixed(signature.as_bytes()),
            }))
            .send()
            .await
            .unwrap()
    }

    /// Signs in as `address` and returns the session token.
    pub async fn sign_in(&self, address: Address) -> String {
        let nonce = self.nonce().await;
        let message = self.siwe_message(
            address,
            &nonce,
            self.chain.deployment.chain_id,
            &self.domain,
        );
        let response = self.login(self.key(address), &message).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        let body: serde_json::Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// Posts `body` as JSON with the session `token`.
    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &impl serde::Serialize,
    ) -> reqwest::Response {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }
}

impl Stack {
    /// Waits until the index has every block up to the chain's head.
    pub async fn caught_up(&self) {
        self.caught_up_at(&self.north).await;
    }

    /// Waits until `gateway`'s index has every block up to the chain's head (`/ready` is open to
    /// anyone).
    pub async fn caught_up_at(&self, gateway: &Gateway) {
        let head = self.chain.provider.get_block_number().await.unwrap();
        for _ in 0..400 {
            let ready: serde_json::Value = self
                .http
                .get(format!("{}/ready", gateway.base))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if ready["indexedBlock"].as_u64().is_some_and(|n| n >= head) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("{} did not reach block {head}", gateway.base);
    }
}

/// A branch's gateway, serving until it is dropped.
pub struct Gateway {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// What sign-in messages must name.
    pub domain: String,
    /// What its handlers share.
    pub state: Arc<AppState>,
    server: tokio::task::JoinHandle<()>,
}

impl Gateway {
    /// Stops serving (its background work, webhook deliveries included, stops with it).
    pub fn stop(&self) {
        self.server.abort();
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Indexes `chain` into `url` to the head, then keeps following it (as it does next to a
/// real gateway) on the returned task.
async fn spawn_indexer(
    chain: &Chain,
    url: &str,
) -> (timebank_indexer::Store, tokio::task::JoinHandle<()>) {
    let store = index_to_head(chain, url).await;
    let mut follow = timebank_testkit::settings(chain, url.to_owned());
    follow.stop_at_head = false;
    let (follow_store, deployment) = (store.clone(), chain.deployment.clone());
    let provider = ProviderBuilder::new().connect_http(chain.anvil.endpoint_url());
    let task = tokio::spawn(async move {
        timebank_indexer::run(
            provider,
            follow_store,
            &follow,
            &deployment,
            std::future::pending(),
        )
        .await
        .unwrap();
    });
    (store, task)
}

/// Serves branch `branch_id`'s gateway over `store`, with `relayer` paying for relayed
/// transactions, configured by `configure`.
async fn spawn_gateway(
    chain: &Chain,
    relayer: &PrivateKeySigner,
    branch_id: u32,
    key_file: &std::path::Path,
    store: timebank_indexer::Store,
    configure: Configure<'_>,
) -> Gateway {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let dir = key_file
        .parent()
        .expect("key files in the stack's directory");
    let mut settings = Settings {
        branch_key_file: Some(key_file.to_path_buf()),
        uniqueness_share_file: Some(dir.join(format!("uniqueness-share-1-{branch_id}.json"))),
        uniqueness_public_file: Some(dir.join("uniqueness-public-1.json")),
        ..Settings::new(
            addr,
            branch_id,
            &chain.anvil.endpoint(),
            PathBuf::from("deployment.json"),
            "",
        )
    };
    configure(&mut settings);
    // The relayer pays for relayed transactions; it holds the branches' gateway roles only.
    let provider = ProviderBuilder::new()
        .wallet(alloy::network::EthereumWallet::from(relayer.clone()))
        .connect_http(settings.rpc_url.parse().unwrap())
        .erased();
    let state = Arc::new(
        AppState::new(
            &settings,
            store,
            chain.deployment.clone(),
            provider,
            Some(relayer),
        )
        .await
        .unwrap(),
    );
    let serving = Arc::clone(&state);
    let server = tokio::spawn(async move {
        timebank_gateway::serve(listener, serving, &settings, std::future::pending())
            .await
            .unwrap();
    });
    Gateway {
        base: format!("http://{addr}"),
        domain: addr.to_string(),
        state,
        server,
    }
}

/// Deals the uniqueness key of `epoch`, 2 of 3 to branches 1, 2 and 3, into `dir`
/// (`uniqueness-share-EPOCH-BRANCH.json`, `uniqueness-public-EPOCH.json`).
pub fn deal_uniqueness(dir: &std::path::Path, epoch: u32) {
    let (shares, public) = timebank_uniqueness::threshold::deal(epoch, 2, &[1, 2, 3]).unwrap();
    for share in &shares {
        write_secret(
            &dir.join(format!("uniqueness-share-{epoch}-{}.json", share.branch)),
            &serde_json::to_string(share).unwrap(),
        );
    }
    std::fs::write(
        dir.join(format!("uniqueness-public-{epoch}.json")),
        serde_json::to_string(&public).unwrap(),
    )
    .unwrap();
}

/// A gateway of `branch` that evaluates for the others, on a fresh SQLite database.
async fn spawn_peer(
    chain: &Chain,
    relayer: &PrivateKeySigner,
    dir: &std::path::Path,
    branch: u32,
    configure: Configure<'_>,
) -> Gateway {
    // A database of its own (the stack's directory holds north's index).
    let own = tempfile::tempdir_in(dir).unwrap().keep();
    let url = fresh_database(false, &own).await.unwrap();
    let store = timebank_indexer::Store::connect(&url).await.unwrap();
    let key_file = dir.join(if branch == 2 {
        "south.key"
    } else {
        "north.key"
    });
    spawn_gateway(chain, relayer, branch, &key_file, store, configure).await
}

/// Asserts an error answer's status and shape, and that its message mentions `needle`.
pub async fn assert_error(response: reqwest::Response, status: u16, needle: &str) {
    let got = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    let body: timebank_gateway::ErrorBody =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not the error shape ({e}): {text}"));
    assert!(
        body.message.to_lowercase().contains(&needle.to_lowercase()),
        "{needle:?} not in {:?}",
        body.message
    );
}

/// Writes a key file only its owner may read, as the gateway requires.
pub fn write_secret(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}
