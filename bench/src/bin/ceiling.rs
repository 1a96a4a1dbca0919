//! `bench-ceiling PORT`: a bare axum JSON handler, the ceiling the gateway's reads are compared
//! with (same machine, same run, same load generator).

use axum::{Json, Router, routing::get};

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .ok_or_else(|| eyre::eyre!("usage: bench-ceiling PORT"))?
        .parse()?;
    let app = Router::new().route(
        "/json",
        get(|| async {
            Json(serde_json::json!({"status": "active", "homeBranch": 1, "risk": "none"}))
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
