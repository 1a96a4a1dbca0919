//! The branch's service files (`deploy/systemd`, `deploy/monitoring`) against what they drive:
//! systemd's own checker on the units, every setting one a service reads, every key a
//! credential, every metric an alert or the dashboard names one a service exports.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
    process::Command,
};
use timebank_kit::Kit;

fn deploy() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(deploy().join(path)).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn units() -> Vec<(String, String)> {
    let mut units: Vec<(String, String)> = std::fs::read_dir(deploy().join("systemd"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    units.sort();
    assert!(units.len() >= 6, "{units:?}");
    units
}

/// Each service's program and the source of its flags.
const SERVICES: [(&str, &str); 3] = [
    (
        "timebank-indexer",
        include_str!("../../indexer/src/config.rs"),
    ),
    (
        "timebank-gateway",
        include_str!("../../gateway/src/config.rs"),
    ),
    (
        "timebank-riskscan",
        include_str!("../../riskscan/src/main.rs"),
    ),
];

/// The settings the services read from their environment (`env = "..."` in their flags).
fn settings_read() -> BTreeSet<String> {
    SERVICES
        .iter()
        .flat_map(|(_, source)| source.split("env = \"").skip(1))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// The flags a service takes (`--relayer-key-file` for a field `relayer_key_file`).
fn flags_of(binary: &str) -> BTreeSet<String> {
    let (_, source) = SERVICES
        .iter()
        .find(|(name, _)| *name == binary)
        .unwrap_or_else(|| panic!("no flags known for {binary}"));
    source
        .lines()
        .map(str::trim)
        .map(|l| l.strip_prefix("pub ").unwrap_or(l))
        .filter_map(|l| l.split_once(':').map(|(name, _)| name.trim()))
        .filter(|name| name.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .map(|name| name.replace('_', "-"))
        .collect()
}

#[test]
fn systemd_accepts_the_units() {
    let Ok(out) = Command::new("systemd-analyze").arg("--version").output() else {
        panic!(
            "systemd-analyze is missing (Debian: apt-get install systemd): the units can't be checked"
        );
    };
    assert!(out.status.success());
    // A root with the system's own units and the programs the units start (stand-ins: what is
    // checked is the units, not the programs).
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    for dir in [
        "etc/systemd/system",
        "usr/lib/systemd",
        "usr/local/bin",
        "usr/local/lib/timebank",
        "opt/besu/bin",
    ] {
        std::fs::create_dir_all(r.join(dir)).unwrap();
    }
    let copied = Command::new("cp")
        .args(["-r", "/usr/lib/systemd/system"])
        .arg(r.join("usr/lib/systemd"))
        .status()
        .unwrap();
    assert!(copied.success(), "copying the system's units");
    for program in [
        "usr/local/bin/timebank-indexer",
        "usr/local/bin/timebank-gateway",
        "usr/local/bin/timebank-riskscan",
        "usr/local/lib/timebank/branch-db",
        "opt/besu/bin/besu",
    ] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(r.join(program), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(r.join(program), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut paths = Vec::new();
    for (name, text) in units() {
        let path = r.join("etc/systemd/system").join(&name);
        std::fs::write(&path, text).unwrap();
        paths.push(path);
    }
    let verify = |paths: &[std::path::PathBuf]| {
        let out = Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(format!("--root={}", r.display()))
            .args(paths)
            .output()
            .unwrap();
        format!(
            "{}{}{}",
            if out.status.success() { "" } else { "failed\n" },
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    assert_eq!(verify(&paths), "", "systemd-analyze verify");

    // The checker does see mistakes.
    let broken = r.join("etc/systemd/system/timebank-indexer.service");
    let text = std::fs::read_to_string(&broken).unwrap();
    std::fs::write(
        &broken,
        text.replace("NoNewPrivileges=yes", "NoNewPrivileges=perhaps"),
    )
    .unwrap();
    assert!(verify(&[broken]).contains("perhaps"));
}

#[test]
fn every_setting_is_one_a_service_reads_and_keys_are_credentials() {
    let read = settings_read();
    assert!(
        read.contains("TIMEBANK_DATABASE_URL") && read.len() > 30,
        "{read:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let kit = Kit::load(&deploy().join("branches.example.toml")).unwrap();
    kit.write(dir.path()).unwrap();
    let env = std::fs::read_to_string(dir.path().join("south/branch.env")).unwrap();
    assert!(env.contains("TIMEBANK_BRANCH_ID=2\n"), "{env}");
    assert!(
        env.contains("TIMEBANK_GATEWAY_PUBLIC_URL=https://south.timebank.example\n"),
        "{env}"
    );
    assert!(
        env.contains("TIMEBANK_GATEWAY_DOMAIN=south.timebank.example\n"),
        "{env}"
    );
    // The other branches' gateways, with their ids: south keys documents with them.
    assert!(
        env.contains(
            "TIMEBANK_PEER_GATEWAYS=1=https://north.timebank.example/,3=https://east.timebank.example/,"
        ),
        "{env}"
    );
    for line in env.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let (name, _) = line.split_once('=').unwrap();
        assert!(
            read.contains(name),
            "branch.env sets {name}, which no service reads"
        );
        assert!(
            !name.contains("KEY") || name.ends_with("_CONFIG"),
            "a key in branch.env: {name}"
        );
    }
    for (name, text) in units() {
        // The command, its continuation lines included.
        let mut command = String::new();
        for line in text.lines().skip_while(|l| !l.starts_with("ExecStart=")) {
            command.push_str(line.trim_start_matches("ExecStart=").trim_end_matches('\\'));
            command.push(' ');
            if !line.ends_with('\\') {
                break;
            }
        }
        let binary = command.split_whitespace().next().unwrap_or_default();
        let binary = binary.rsplit('/').next().unwrap_or_default();
        if binary.starts_with("timebank-") {
            let flags = flags_of(binary);
            for flag in command
                .split_whitespace()
                .filter_map(|w| w.strip_prefix("--"))
            {
                let flag = flag.split('=').next().unwrap_or_default();
                assert!(flags.contains(flag), "{name}: {binary} takes no --{flag}");
            }
        }
        // Keys reach a service only as credentials: copies only it can read.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            for word in line.split_whitespace().filter(|w| w.contains(".key")) {
                assert!(
                    line.starts_with("LoadCredential=") || word.contains("%d/"),
                    "{name}: a key not passed as a credential: {line}"
                );
            }
        }
        if text.contains("User=timebank-") {
            for hardening in [
                "NoNewPrivileges=yes",
                "ProtectSystem=strict",
                "CapabilityBoundingSet=\n",
                "UMask=0077",
            ] {
                assert!(text.contains(hardening), "{name} lacks {hardening}");
            }
        }
    }
}

/// The metric names an expression uses: words starting with a service's (or Besu's) prefix.
fn metrics_named(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for prefix in [
        "timebank_indexer_",
        "timebank_gateway_",
        "timebank_riskscan_",
    ] {
        for rest in text.split(prefix).skip(1) {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            names.insert(format!("{prefix}{name}"));
        }
    }
    names
}

#[test]
fn alerts_and_the_dashboard_name_only_metrics_the_services_export() {
    let exported: BTreeSet<String> = metrics_named(
        &[
            include_str!("../../indexer/src/telemetry.rs"),
            include_str!("../../gateway/src/lib.rs"),
            include_str!("../../gateway/src/relay/limits.rs"),
            include_str!("../../gateway/src/webhooks.rs"),
            include_str!("../../riskscan/src/metrics.rs"),
        ]
        .concat(),
    );
    assert!(exported.len() >= 20, "{exported:?}");
    let alerts = read("monitoring/alerts.yml");
    let dashboard = read("monitoring/dashboard.json");
    serde_json::from_str::<serde_json::Value>(&dashboard).expect("the dashboard is JSON");
    for (file, text) in [("alerts.yml", &alerts), ("dashboard.json", &dashboard)] {
        let named = metrics_named(text);
        assert!(named.len() >= 10, "{file}: {named:?}");
        for metric in named {
            assert!(
                exported.contains(&metric),
                "{file} names {metric}, which no service exports"
            );
        }
    }
    // Every alert says what is wrong in Chinese and English, and how bad.
    let alerts_count = alerts.matches("- alert:").count();
    assert!(alerts_count >= 15);
    assert_eq!(alerts.matches("summary: \"").count(), alerts_count);
    assert_eq!(
        alerts.matches("severity: page }").count() + alerts.matches("severity: ticket }").count(),
        alerts_count
    );
    // A misspelt name is caught.
    assert!(!exported.contains("timebank_indexer_head_lag_block"));
}

/// The JSON-RPC methods the services name in their source (`"eth_call"`, `"net_peerCount"`);
/// alloy's provider methods they call are all `eth_`.
fn rpc_methods_called() -> BTreeSet<String> {
    let sources = [
        include_str!("../../indexer/src/ingest.rs"),
        include_str!("../../gateway/src/relay/simulate.rs"),
        include_str!("../../riskscan/src/platform.rs"),
    ];
    let mut methods = BTreeSet::from(["eth_sendRawTransaction".to_owned()]);
    for source in sources {
        for quoted in source.split('"').skip(1).step_by(2) {
            if let Some((namespace, name)) = quoted.split_once('_')
                && [
                    "eth", "net", "web3", "admin", "qbft", "txpool", "debug", "perm", "trace",
                ]
                .contains(&namespace)
                && !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric())
            {
                methods.insert(quoted.to_owned());
            }
        }
    }
    methods
}

#[test]
fn the_nodes_rpc_offers_the_services_only_what_they_call() {
    let called = rpc_methods_called();
    assert!(
        called.contains("net_peerCount") && called.contains("eth_call"),
        "{called:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    Kit::load(&deploy().join("branches.example.toml"))
        .unwrap()
        .write(dir.path())
        .unwrap();
    let config: toml::Table =
        toml::from_str(&std::fs::read_to_string(dir.path().join("north/config.toml")).unwrap())
            .unwrap();
    for key in ["rpc-http-api", "rpc-ws-api"] {
        let apis: BTreeSet<String> = config[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key} lists the APIs"))
            .iter()
            .map(|a| a.as_str().unwrap().to_lowercase())
            .collect();
        for method in &called {
            let namespace = method.split('_').next().unwrap();
            assert!(
                apis.contains(namespace),
                "{key} lacks {namespace}, which a service calls ({method})"
            );
        }
        for api in &apis {
            assert!(
                called.iter().any(|m| m.starts_with(&format!("{api}_"))),
                "{key} enables {api}, which no service calls"
            );
        }
        for administering in ["admin", "qbft", "txpool", "debug", "perm", "trace", "miner"] {
            assert!(
                !apis.contains(administering),
                "{key} enables {administering}"
            );
        }
    }
    assert_eq!(config["rpc-http-host"].as_str(), Some("127.0.0.1"));
    assert_eq!(config["rpc-ws-host"].as_str(), Some("127.0.0.1"));
    // Administration only on the socket in the node's own data directory.
    assert!(
        config["Xrpc-ipc-path"]
            .as_str()
            .is_some_and(|p| p.starts_with("/var/lib/timebank/besu/")),
        "{config:?}"
    );
    let besu = read("systemd/timebank-besu.service");
    assert!(besu.contains("User=timebank-node\n") && besu.contains("UMask=0077\n"));
}

/// A unit's setting (`User=` → its value), if it has it.
fn setting<'a>(unit: &'a str, key: &str) -> Option<&'a str> {
    unit.lines().find_map(|l| l.strip_prefix(key))
}

/// One service that is broken into reads only what is its own: each runs as its own user, gets
/// its keys as credentials no other unit loads (systemd's copy is owned by that user, 0400), no
/// unit reads a file of shared secrets, and each signs in to the database as its own role with
/// no password.
#[test]
fn each_service_runs_as_its_own_user_and_only_it_reads_its_credentials() {
    let mut users: BTreeMap<String, String> = BTreeMap::new();
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    for (name, text) in units().iter().filter(|(n, _)| n.ends_with(".service")) {
        let user = setting(text, "User=").unwrap_or_else(|| panic!("{name} names no User="));
        assert!(user.starts_with("timebank-"), "{name} runs as {user}");
        assert_eq!(setting(text, "Group="), Some(user), "{name}'s group");
        if let Some(other) = users.insert(user.to_owned(), name.clone()) {
            panic!("{name} and {other} both run as {user}: each could read the other's secrets");
        }
        assert!(
            text.contains("UMask=0077\n"),
            "{name}: files it makes are its own"
        );
        for line in text.lines() {
            if let Some(file) = line.strip_prefix("EnvironmentFile=") {
                assert_eq!(
                    file, "/etc/timebank/branch.env",
                    "{name} reads {file}: the only shared settings file holds no secret"
                );
            }
            if let Some(credential) = line.strip_prefix("LoadCredential=") {
                let (_, source) = credential.split_once(':').unwrap();
                assert!(
                    source.starts_with("/etc/timebank/keys/"),
                    "{name}: {source}"
                );
                if let Some(other) = keys.insert(source.to_owned(), name.clone()) {
                    panic!("{source} is loaded by {name} and {other}");
                }
            }
            // A state directory shared by two users would be handed to whichever started last.
            assert!(line != "StateDirectory=timebank", "{name}: {line}");
        }
        if user == "timebank-node" {
            continue;
        }
        let database = setting(text, "Environment=TIMEBANK_DATABASE_URL=")
            .unwrap_or_else(|| panic!("{name} names its database role"));
        let url = url::Url::parse(database).unwrap();
        assert_eq!(url.password(), None, "{name}: a password in its unit");
        assert!(
            url.query_pairs().any(|(k, v)| k == "user" && v == user),
            "{name} signs in to the database as {user}: {database}"
        );
        assert!(
            url.query_pairs()
                .any(|(k, v)| k == "host" && v.starts_with('/')),
            "{name}: PostgreSQL's local socket (peer sign-in), not the network: {database}"
        );
    }
    assert_eq!(
        users.len(),
        5,
        "the node, indexer, gateway, risk agent and backup: {users:?}"
    );
    assert_eq!(
        keys.get("/etc/timebank/keys/risk-agent.key")
            .map(String::as_str),
        Some("timebank-riskscan.service"),
        "{keys:?}"
    );
    // Each service's database role is the one `timebank-kit database` grants.
    for service in timebank_kit::database::Service::ALL {
        assert!(users.contains_key(service.user()), "{}", service.user());
    }
    // The deployment guide makes each user.
    let guide = std::fs::read_to_string(deploy().join("../docs/deploy.md")).unwrap();
    for user in users.keys() {
        assert!(
            guide
                .lines()
                .any(|l| l.contains("useradd") && l.contains(user.as_str())),
            "docs/deploy.md makes no user {user}"
        );
    }
}
