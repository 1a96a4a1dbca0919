//! `loadgen URL`: GETs `URL` from `--connections` concurrent keep-alive connections for
//! `--seconds` (after a short warm-up) and prints one JSON line: requests, errors, requests per
//! second, p50 and p99 latency. Run as its own process, like wrk or oha, so that the server's
//! figures are measured from outside it.

use clap::Parser;
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
#[command(name = "loadgen", about = "HTTP GET load from a separate process")]
struct Args {
    /// What to GET.
    url: String,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// How long to measure.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Before measuring.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// `Name: value` headers.
    #[arg(long)]
    header: Vec<String>,
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let args = Args::parse();
    let mut headers = reqwest::header::HeaderMap::new();
    for h in &args.header {
        let (name, value) = h
            .split_once(':')
            .ok_or_else(|| eyre::eyre!("--header {h:?} is not `Name: value`"))?;
        headers.insert(
            reqwest::header::HeaderName::from_bytes(name.trim().as_bytes())?,
            value.trim().parse()?,
        );
    }
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(args.connections)
        .build()?;
    let started = Instant::now();
    let warm = started + Duration::from_secs_f64(args.warmup);
    let end = warm + Duration::from_secs_f64(args.seconds);
    let mut tasks = Vec::new();
    for _ in 0..args.connections {
        let (client, url) = (client.clone(), args.url.clone());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0u64);
            loop {
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                let ok = match client.get(&url).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if t0 >= warm {
                    if ok {
                        latencies.push(t0.elapsed());
                    } else {
                        errors += 1;
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let (mut all, mut errors) = (Vec::new(), 0);
    for t in tasks {
        let (l, e) = t.await?;
        all.extend(l);
        errors += e;
    }
    all.sort();
    let q = |p: f64| {
        all.get(((all.len().max(1) - 1) as f64 * p).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{}",
        serde_json::json!({
            "requests": all.len(),
            "errors": errors,
            "rps": all.len() as f64 / args.seconds,
            "p50_ms": q(0.5),
            "p99_ms": q(0.99),
        })
    );
    Ok(())
}
