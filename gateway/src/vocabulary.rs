//! The chain's vocabulary at the API's edge: times as ISO 8601, rules by name. (The enums'
//! OpenAPI schemas are `timebank_client::schema`.)

use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// A unix time (a block's timestamp) as ISO 8601 / RFC 3339, UTC.
pub fn iso(unix: u64) -> String {
    i64::try_from(unix)
        .ok()
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The rules named in a `fired` bit set, as owned strings for a JSON answer.
pub fn rule_names(fired: u16) -> Vec<String> {
    timebank_bindings::rule_names(fired)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_iso_8601() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn a_case_for_incoming_volume_names_its_rule() {
        // Bit 8 is rule 3 on the recipient's side; it used to show no rule at all.
        assert_eq!(rule_names(1 << 8), ["volume_in"]);
    }
}
