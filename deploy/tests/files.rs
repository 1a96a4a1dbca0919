//! The branch's service files (`deploy/systemd`, `deploy/monitoring`) against what they drive:
//! systemd's own checker on the units, every setting one a service reads, every key a
//! credential, every metric an alert or the dashboard names one a service exports.

use std::{collections::BTreeSet, path::Path, process::Command};
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
        if text.contains("User=timebank\n") {
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
