//! A gateway to fuzz: a fresh anvil chain with the test scenario, an indexer following it and a
//! gateway serving it (the gateway tests' stack). Prints `URL=...` and `TOKEN=...` (a
//! supervisor's session) and serves until Ctrl-C or SIGTERM. `make test-api` runs Schemathesis
//! against it.

#[path = "../tests/it/stack.rs"]
mod stack;

use std::io::Write;

#[tokio::main]
async fn main() {
    let stack = stack::Stack::start().await;
    let token = stack.sign_in(stack.chain.supervisor).await;
    println!("URL={}", stack.base);
    println!("TOKEN={token}");
    std::io::stdout().flush().unwrap();
    let mut term =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).unwrap();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
