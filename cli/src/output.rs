//! What the command line prints: tables for people, JSON for scripts.

use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde_json::Value;
use std::time::Duration;

/// Where and how to print.
pub struct Output {
    /// JSON instead of tables.
    pub json: bool,
}

impl Output {
    /// One record as a two-column table.
    pub fn record(&self, value: &Value) {
        if self.json {
            println!("{value}");
            return;
        }
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED);
        if let Some(fields) = value.as_object() {
            for (k, v) in fields {
                table.add_row(vec![k.clone(), cell(v)]);
            }
        }
        println!("{table}");
    }

    /// Rows of `value` (an array of records) with these columns.
    pub fn rows(&self, value: &Value, columns: &[&str]) {
        if self.json {
            println!("{value}");
            return;
        }
        let rows = value.as_array().cloned().unwrap_or_default();
        if rows.is_empty() {
            println!("(none)");
            return;
        }
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_header(columns.to_vec());
        for row in rows {
            table.add_row(columns.iter().map(|c| {
                if *c == "amount" {
                    hours(&row[*c])
                } else {
                    cell(&row[*c])
                }
            }));
        }
        println!("{table}");
    }

    /// A spinner on a terminal, nothing otherwise.
    pub fn spinner(&self, message: &str) -> indicatif::ProgressBar {
        if self.json || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }
}

/// Exact base units (18 decimals) as hours, without trailing zeros.
pub fn hours(amount: &Value) -> String {
    let text = amount.as_str().unwrap_or("0");
    timebank_client::describe::hours(text.parse().unwrap_or_default())
}

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}
