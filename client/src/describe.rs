//! A contract call in words, decoded from its own bytes: what a person is about to sign.

use crate::labels::label_of;
use alloy::{
    dyn_abi::{DynSolValue, JsonAbiExt},
    json_abi::{Function, JsonAbi, Param},
    primitives::{Address, B256, U256, keccak256},
};
use timebank_bindings::{HOUR, deploy::Addresses, types};

/// A call, described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// The contract's name, or its address when it is none of the deployment's.
    pub contract: String,
    /// The function.
    pub function: String,
    /// Each argument's name and value in words.
    pub arguments: Vec<(String, String)>,
}

impl Description {
    /// On one line: `Contract.function(name: value, ...)`.
    pub fn inline(&self) -> String {
        let args: Vec<String> = self
            .arguments
            .iter()
            .map(|(n, v)| format!("{n}: {v}"))
            .collect();
        format!("{}.{}({})", self.contract, self.function, args.join(", "))
    }
}

impl std::fmt::Display for Description {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}.{}", self.contract, self.function)?;
        for (name, value) in &self.arguments {
            writeln!(f, "  {name}: {value}")?;
        }
        Ok(())
    }
}

/// Describes the call `data` to `to`; `texts` are the texts whose hashes it may carry, shown
/// beside them. `None` when the call is none of the deployment's contracts' functions.
pub fn describe(c: &Addresses, to: Address, data: &[u8], texts: &[String]) -> Option<Description> {
    let name = c.name_of(to)?;
    let (_, json) = timebank_bindings::ABIS.iter().find(|(n, _)| *n == name)?;
    let abi: JsonAbi = serde_json::from_str(json).ok()?;
    let selector: [u8; 4] = data.get(..4)?.try_into().ok()?;
    let function: &Function = abi.functions().find(|f| f.selector() == selector)?;
    let values = function.abi_decode_input(&data[4..]).ok()?;
    // A governed call: the call it carries, in words, and the wait in days.
    let target = function
        .inputs
        .iter()
        .zip(&values)
        .find_map(|(p, v)| (p.name == "target").then(|| v.as_address()).flatten());
    let arguments = function
        .inputs
        .iter()
        .zip(&values)
        .map(|(param, value)| {
            let text = match (name, param.name.as_str(), value, target) {
                ("TimebankTimelock", "data" | "payload", DynSolValue::Bytes(inner), Some(to)) => {
                    describe(c, to, inner, texts)
                        .map_or_else(|| format!("{} bytes", inner.len()), |d| d.inline())
                }
                ("TimebankTimelock", "delay", DynSolValue::Uint(secs, _), _) => {
                    let secs = secs.saturating_to::<u64>();
                    format!("{secs} s ({:.1} days)", secs as f64 / 86_400.0)
                }
                _ => words(param, value, texts),
            };
            (param.name.clone(), text)
        })
        .collect();
    Some(Description {
        contract: name.to_owned(),
        function: function.name.clone(),
        arguments,
    })
}

/// One argument in words: amounts in hours, enums by name, hashes with their text if known.
fn words(param: &Param, value: &DynSolValue, texts: &[String]) -> String {
    let internal = param
        .internal_type
        .as_ref()
        .map(|t| t.to_string())
        .unwrap_or_default();
    match value {
        DynSolValue::Address(a) => a.to_checksum(None),
        DynSolValue::Uint(v, _) if internal.starts_with("enum ") => {
            let enum_name = internal.rsplit('.').next().unwrap_or_default();
            let small = u8::try_from(*v).unwrap_or(u8::MAX);
            match (types::name_of(enum_name, small), label_of(enum_name, small)) {
                (Some(name), Some(label)) => format!("{label} [{name}]"),
                _ => v.to_string(),
            }
        }
        DynSolValue::Uint(v, _) if is_amount(&param.name) => hours(*v),
        DynSolValue::Uint(v, _) => v.to_string(),
        DynSolValue::FixedBytes(word, 32) => {
            let hash = B256::from(*word);
            match texts.iter().find(|t| keccak256(t.as_bytes()) == hash) {
                Some(text) => format!("{text:?} (hash {hash})"),
                None => hash.to_string(),
            }
        }
        DynSolValue::Bytes(b) => format!("{} bytes", b.len()),
        DynSolValue::Tuple(items) | DynSolValue::CustomStruct { tuple: items, .. }
            if items.len() == param.components.len() =>
        {
            let fields: Vec<String> = param
                .components
                .iter()
                .zip(items)
                .map(|(p, v)| format!("{}: {}", p.name, words(p, v, texts)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        other => format!("{other:?}"),
    }
}

fn is_amount(name: &str) -> bool {
    matches!(name, "amount" | "value" | "hoursCap" | "limit")
}

/// TIME base units as hours, e.g. `2.5 h`.
pub fn hours(v: U256) -> String {
    let hour = U256::from(HOUR);
    let whole = v / hour;
    let rest = v % hour;
    if rest.is_zero() {
        return format!("{whole} h");
    }
    let fraction = format!("{:018}", rest.to::<u128>());
    format!("{whole}.{} h", fraction.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;
    use timebank_bindings::types::Purpose;

    #[test]
    fn a_payment_reads_in_words() {
        let c = Addresses {
            forwarder: Address::repeat_byte(1),
            timelock: Address::repeat_byte(2),
            access: Address::repeat_byte(3),
            identity_registry: Address::repeat_byte(4),
            credential_registry: Address::repeat_byte(5),
            time_coin: Address::repeat_byte(6),
            service_ledger: Address::repeat_byte(7),
            supervision_desk: Address::repeat_byte(8),
        };
        let action = Action::Pay {
            to: Address::repeat_byte(9),
            hours: "2.5".into(),
            purpose: Purpose::Gift,
            reference: Some("for the garden".into()),
        };
        let call = action.call(&c).unwrap();
        let d = describe(&c, call.to, &call.data, &call.texts).unwrap();
        assert_eq!(d.contract, "TimeCoin");
        assert_eq!(d.function, "pay");
        let args: std::collections::HashMap<_, _> = d.arguments.into_iter().collect();
        assert_eq!(args["amount"], "2.5 h");
        assert_eq!(args["purpose"], "赠与 (gift) [gift]");
        assert!(args["ref"].starts_with("\"for the garden\""));
        assert_eq!(hours(U256::from(3) * U256::from(HOUR)), "3 h");
    }
}
