//! `make bench`'s platform figures: what the benchmark binaries share.

pub mod payments;
pub mod procs;

/// The `q`-quantile (0..=1) of `sorted`, none of an empty sample.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    sorted.get((last as f64 * q).round() as usize).copied()
}

/// Prints each figure as `BENCH NAME VALUE UNIT`, the unit read from the name's ending
/// (`_rps`, `_per_s`, `_ms`, `_s`, `_pct`, `_mib`, `_blocks`; `_vs_` a ratio; else a count).
pub fn print_bench_lines(figures: &serde_json::Value) {
    for (name, value) in figures.as_object().into_iter().flatten() {
        let value = value.as_f64().unwrap_or(f64::NAN);
        let unit = if name.ends_with("_rps") {
            "req/s"
        } else if name.ends_with("_per_s") {
            "payments/s"
        } else if name.ends_with("_ms") || name.contains("_ms_per_") {
            "ms"
        } else if name.ends_with("_s") {
            "s"
        } else if name.ends_with("_pct") || name.contains("_pct_") {
            "%"
        } else if name.contains("_mib") {
            "MiB"
        } else if name.ends_with("_blocks") {
            "blocks"
        } else if name.contains("_vs_") {
            "x"
        } else {
            "count"
        };
        let digits = if value.abs() < 10.0 { 3 } else { 1 };
        println!("BENCH {name} {value:.digits$} {unit}");
    }
}
