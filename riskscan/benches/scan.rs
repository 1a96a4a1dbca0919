//! `make bench-riskscan`: the detectors over 1,000,000 payments among 10,000 accounts across
//! 90 days (ordinary payments with patterns among them), in memory and read from a SQLite
//! index; and blocks of 500 payments from the index to their findings stored. BENCH lines.

use alloy::primitives::{Address, B256};
use std::time::Instant;
use timebank_bindings::types::Purpose;
use timebank_indexer::{Store, query::risk::ScanPayment};
use timebank_riskscan::{Config, Engine, agent};

const PAYMENTS: usize = 1_000_000;
const ACCOUNTS: u64 = 10_000;
const PER_BLOCK: usize = 500;
const START: u64 = 1_700_000_000;
const SPAN: u64 = 90 * 86_400;

/// A small deterministic generator (xorshift64*): the same history every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn account(i: u64) -> Address {
    Address::left_padding_from(&(i + 1).to_be_bytes())
}

/// Ordinary payments (services of 1–3 h, small gifts), with one account in a thousand making a
/// pattern now and then: gifts in the band below the threshold, a cycle of three.
fn history() -> Vec<ScanPayment> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::with_capacity(PAYMENTS);
    let mut i = 0;
    while out.len() < PAYMENTS {
        let time = START + (i as u64) * SPAN / PAYMENTS as u64;
        let block = 1 + (i / PER_BLOCK) as u64;
        let mut push = |from: u64, to: u64, micro: u64, purpose: Purpose| {
            out.push(ScanPayment {
                block_number: block,
                log_index: out.len() as u64 % PER_BLOCK as u64,
                time,
                sender: account(from),
                recipient: account(to),
                micro,
                purpose,
            });
        };
        let from = rng.below(ACCOUNTS);
        let to = (from + 1 + rng.below(ACCOUNTS - 1)) % ACCOUNTS;
        match rng.below(1000) {
            0 => {
                let (a, b, c) = (from, to, (to + 7) % ACCOUNTS);
                push(a, b, 5_000_000, Purpose::Gift);
                push(b, c, 4_800_000, Purpose::Gift);
                push(c, a, 4_700_000, Purpose::Gift);
            }
            1 => push(from, to, 9_000_000, Purpose::Gift),
            n if n < 300 => push(from, to, 100_000 + rng.below(900_000), Purpose::Gift),
            _ => push(
                from,
                to,
                1_000_000 + rng.below(2_000_000),
                Purpose::ServicePayment,
            ),
        }
        i += 1;
    }
    out.truncate(PAYMENTS);
    // Chain order: log indexes run within a block.
    for (n, p) in out.iter_mut().enumerate() {
        p.block_number = 1 + (n / PER_BLOCK) as u64;
        p.log_index = (n % PER_BLOCK) as u64;
    }
    out
}

async fn write(store: &Store, payments: &[ScanPayment]) {
    let hex = |b: &[u8]| alloy::primitives::hex::encode(b);
    for chunk in payments.chunks(2_000) {
        let values: Vec<String> = chunk
            .iter()
            .map(|p| {
                format!(
                    "({}, X'{}', {}, X'{}', {}, 'TimeCoin', X'{}', 'Transfer', X'', X'', X'{}', \
                     X'{}', '{}', {}, {}, X'{}', '0', '0')",
                    p.block_number,
                    hex(B256::with_last_byte(1).as_slice()),
                    p.time,
                    hex(B256::left_padding_from(&p.block_number.to_be_bytes()).as_slice()),
                    p.log_index,
                    hex(Address::with_last_byte(6).as_slice()),
                    hex(p.sender.as_slice()),
                    hex(p.recipient.as_slice()),
                    u128::from(p.micro) * 1_000_000_000_000,
                    p.micro,
                    p.purpose as u8,
                    hex(B256::ZERO.as_slice()),
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO event_log (block_number, block_hash, block_time, tx_hash, log_index, \
             contract, address, event, topics, data, sender, recipient, amount, amount_micro, \
             purpose, ref, sender_balance, recipient_balance) VALUES {}",
            values.join(", ")
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(store.pool())
            .await
            .unwrap();
    }
}

/// Every payment in the index, a page at a time: payments per second.
async fn read_pages(store: &Store, escrow: Address) -> f64 {
    let started = Instant::now();
    let mut read = 0usize;
    let mut after = (0, 0);
    loop {
        let page = store
            .scan_payments(after, u64::MAX >> 1, escrow, 20_000)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = (last.block_number, last.log_index);
        read += page.len();
    }
    read as f64 / started.elapsed().as_secs_f64()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let chain = timebank_testkit::Chain::start().await;
    let (rules, _) = chain.default_rules().await;
    let config = Config::default();
    let payments = history();
    let escrow = Address::repeat_byte(0xee);

    // The detectors alone.
    let mut engine = Engine::new(&config, &rules);
    let mut found = Vec::new();
    let started = Instant::now();
    for p in &payments {
        engine.observe(p, &mut found);
    }
    let engine_rate = PAYMENTS as f64 / started.elapsed().as_secs_f64();
    let mut by: std::collections::BTreeMap<&str, usize> = Default::default();
    for f in &found {
        *by.entry(f.detector).or_default() += 1;
    }
    eprintln!(
        "riskscan bench: {} findings in the history: {by:?}",
        found.len()
    );

    // From a SQLite index: the reader and the detectors overlapped, as the agent runs.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("index.sqlite").display());
    let store = Store::connect(&url).await.unwrap();
    write(&store, &payments).await;
    // The same rows read alone, no detectors (a first pass warms the cache for both), in a
    // spawned task as the agent's reader is (the thread that blocks on `main` wakes slower).
    let read_all = || {
        let store = store.clone();
        async move {
            tokio::spawn(async move { read_pages(&store, escrow).await })
                .await
                .unwrap()
        }
    };
    read_all().await;
    let read_rate = read_all().await;

    let mut engine = Engine::new(&config, &rules);
    let started = Instant::now();
    let mut history_found = 0;
    let seen = agent::scan_history(&store, &mut engine, escrow, u64::MAX >> 1, |_| {
        history_found += 1;
    })
    .await
    .unwrap();
    let scan_rate = seen as f64 / started.elapsed().as_secs_f64();
    assert_eq!(seen as usize, PAYMENTS);
    assert_eq!(
        history_found,
        found.len(),
        "the same findings from the index"
    );

    // Blocks of 500 from the index to their findings stored: the agent's step per block, on a
    // warm engine (the history before), timed block by block.
    let mut engine = Engine::new(&config, &rules);
    let warm = PAYMENTS - 200 * PER_BLOCK;
    for p in &payments[..warm] {
        engine.observe(p, &mut Vec::new());
    }
    let mut times = Vec::new();
    let mut stored = 0;
    for block in payments[warm..].chunks(PER_BLOCK) {
        let started = Instant::now();
        let before = (block[0].block_number, 0);
        let page = store
            .scan_payments(
                (before.0 - 1, u64::MAX >> 1),
                block[0].block_number,
                escrow,
                PER_BLOCK as i64 + 1,
            )
            .await
            .unwrap();
        let mut found = Vec::new();
        for p in &page {
            engine.observe(p, &mut found);
        }
        for f in &found {
            stored += usize::from(
                store
                    .insert_risk_finding(&f.stored(0))
                    .await
                    .unwrap()
                    .is_some(),
            );
        }
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    eprintln!("riskscan bench: {stored} findings stored from the last 200 blocks");
    println!("BENCH riskscan_engine_payments_per_s {engine_rate:.0} payments/s");
    println!("BENCH riskscan_index_read_payments_per_s {read_rate:.0} payments/s");
    println!("BENCH riskscan_history_scan_payments_per_s {scan_rate:.0} payments/s");
    println!(
        "BENCH riskscan_block_to_findings_p50_ms {:.2} ms",
        percentile(&times, 0.5)
    );
    println!(
        "BENCH riskscan_block_to_findings_p99_ms {:.2} ms",
        percentile(&times, 0.99)
    );
}
