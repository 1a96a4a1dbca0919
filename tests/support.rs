//! Support for the end-to-end test: the platform of `make up` on free ports in a temporary
//! directory, with one branch on SQLite and one on PostgreSQL.

use std::time::{Duration, Instant};
use timebank_devnet::{Platform, Up};

/// A free TCP port on the loopback interface.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The platform in `dir`: north on SQLite, south on PostgreSQL when `TIMEBANK_TEST_POSTGRES_URL`
/// names a server (SQLite otherwise), east on SQLite.
pub async fn platform(dir: &std::path::Path) -> eyre::Result<Platform> {
    let south = match timebank_testkit::fresh_database(true, &dir.join("south")).await {
        Some(url) => url,
        None => timebank_testkit::fresh_database(false, &dir.join("south"))
            .await
            .unwrap_or_default(),
    };
    let up = Up {
        data_dir: dir.join("data"),
        host: "127.0.0.1".into(),
        anvil_port: free_port(),
        gateway_ports: vec![0, 0, 0],
        postgres_url: None,
        chain_only: false,
        console_dir: "console/dist".into(),
        branch_databases: vec![
            format!("sqlite://{}", dir.join("north.sqlite").display()),
            south,
            format!("sqlite://{}", dir.join("east.sqlite").display()),
        ],
    };
    std::fs::create_dir_all(dir.join("south"))?;
    // `make up` runs from the repository root (it finds anvil in node_modules).
    std::env::set_current_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))?;
    timebank_devnet::start(up).await
}

/// Polls `check` every 2 ms until it returns `Some`, for at most `within`; returns the value and
/// how long it took.
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, mut check: F) -> (T, Duration)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return (value, started.elapsed());
        }
        assert!(started.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// The `q`-quantile (0..=1) of `samples`, in milliseconds.
pub fn quantile_ms(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
    samples[index].as_secs_f64() * 1000.0
}
