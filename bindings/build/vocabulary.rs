//! The chain's vocabulary read from the compiler's syntax tree: the enums, and the `Roles` and
//! `MonitorRules` constants, generated as Rust.

use std::{fmt::Write as _, path::PathBuf};

/// What the Rust side needs to know of the contracts beyond their ABIs, read from the compiler's
/// syntax tree of `contracts/src`: every enum with its members in order, and the constants of
/// the `Roles` and `MonitorRules` libraries, evaluated.
pub struct Vocabulary {
    /// (name, the contract or file it is declared in, members).
    enums: Vec<(String, String, Vec<String>)>,
    /// Library name to its constants (name, Solidity type, value) in declaration order.
    constants: std::collections::BTreeMap<String, Vec<(String, String, Constant)>>,
}

#[derive(Clone, Copy, Debug)]
enum Constant {
    Int(alloy_primitives::U256),
    Word(alloy_primitives::B256),
}

impl Vocabulary {
    pub fn read<'a>(
        sources: impl Iterator<Item = (&'a PathBuf, &'a foundry_compilers::artifacts::SourceFile)>,
    ) -> Self {
        let mut v = Self {
            enums: Vec::new(),
            constants: Default::default(),
        };
        for (path, source) in sources {
            if !path.starts_with("src") && !path.to_string_lossy().contains("/contracts/src/") {
                continue;
            }
            let ast = source.ast.as_ref().unwrap_or_else(|| {
                panic!("timebank-bindings: no syntax tree for {}", path.display())
            });
            let file = path.file_stem().unwrap().to_string_lossy().into_owned();
            for node in &ast.nodes {
                v.visit(node, &file);
            }
        }
        v.enums.sort_by(|a, b| a.0.cmp(&b.0));
        for pair in v.enums.windows(2) {
            assert!(
                pair[0].0 != pair[1].0,
                "timebank-bindings: two enums named {}",
                pair[0].0
            );
        }
        v
    }

    fn visit(&mut self, node: &foundry_compilers::artifacts::ast::Node, scope: &str) {
        use foundry_compilers::artifacts::ast::NodeType;
        let name = || node.other["name"].as_str().unwrap_or_default().to_owned();
        match node.node_type {
            NodeType::EnumDefinition => {
                let members = node.other["members"]
                    .as_array()
                    .expect("enum members")
                    .iter()
                    .map(|m| m["name"].as_str().expect("member name").to_owned())
                    .collect();
                self.enums.push((name(), scope.to_owned(), members));
            }
            NodeType::ContractDefinition => {
                let contract = name();
                for child in &node.nodes {
                    self.visit(child, &contract);
                }
            }
            // The libraries' internal constants; private ones are their own business.
            NodeType::VariableDeclaration
                if node.other["constant"] == true
                    && node.other["visibility"] != "private"
                    && (scope == "Roles" || scope == "MonitorRules") =>
            {
                let known = self.constants.get(scope).cloned().unwrap_or_default();
                let value = evaluate(&node.other["value"], &known).unwrap_or_else(|| {
                    panic!("timebank-bindings: can't evaluate {scope}.{}", name())
                });
                let ty = node.other["typeDescriptions"]["typeString"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                self.constants
                    .entry(scope.to_owned())
                    .or_default()
                    .push((name(), ty, value));
            }
            _ => {}
        }
    }

    /// `Roles`' constants as `roles::NAME`, and the flat roles by name.
    pub fn roles(&self) -> String {
        let mut out = String::from(
            "/// Role ids, computed at build time from `contracts/src/Roles.sol`.\npub mod roles {\n    \
             use alloy::primitives::{B256, b256};\n    pub use super::derived_roles::*;\n",
        );
        let mut names = Vec::new();
        for (name, _, value) in &self.constants["Roles"] {
            let hash = match *value {
                Constant::Word(hash) => hash,
                Constant::Int(v) => alloy_primitives::B256::from(v),
            };
            writeln!(
                out,
                "    /// `Roles.{name}`.\n    pub const {name}: B256 = b256!(\"{hash:x}\");"
            )
            .unwrap();
            if !name.ends_with("_PREFIX") {
                names.push(name.clone());
            }
        }
        out.push_str("    /// The flat roles by their name in `Roles.sol`.\n    pub const ALL: &[(&str, B256)] = &[\n");
        for name in &names {
            writeln!(out, "        ({name:?}, {name}),").unwrap();
        }
        out.push_str("    ];\n}\n");
        out
    }

    /// `MonitorRules`' rule ids and `fired` bits.
    pub fn rules(&self) -> String {
        let constants = &self.constants["MonitorRules"];
        let int = |name: &str| -> u64 {
            match constants.iter().find(|(n, _, _)| n == name) {
                Some((_, _, Constant::Int(v))) => v.to::<u64>(),
                _ => panic!("timebank-bindings: MonitorRules.{name} is missing"),
            }
        };
        let count = int("RULE_COUNT");
        let mut out = String::from(
            "/// The monitoring rules, read at build time from `contracts/src/monitor/MonitorRules.sol`.\n\
             pub mod rules {\n",
        );
        let mut bits = Vec::new();
        for (name, ty, value) in constants {
            let Constant::Int(v) = value else { continue };
            let v = v.to::<u64>();
            // Rule ids are the uint8 constants besides the count; bits end in `_BIT`.
            if ty == "uint8" && name != "RULE_COUNT" {
                assert!(
                    (1..=count).contains(&v),
                    "MonitorRules.{name} = {v} is not a rule id"
                );
                writeln!(
                    out,
                    "    /// Rule id `MonitorRules.{name}`.\n    pub const {name}: u8 = {v};"
                )
                .unwrap();
                bits.push((1u64 << (v - 1), name.to_lowercase()));
            } else if let Some(stem) = name.strip_suffix("_BIT") {
                assert!(v.is_power_of_two(), "MonitorRules.{name} is not one bit");
                writeln!(out, "    /// The `fired` bit `MonitorRules.{name}`.\n    pub const {name}: u16 = {v};").unwrap();
                bits.push((v, stem.to_lowercase()));
            }
        }
        assert_eq!(
            bits.iter().filter(|(b, _)| *b < (1 << count)).count() as u64,
            count,
            "timebank-bindings: MonitorRules has {count} rules but not as many ids"
        );
        bits.sort();
        writeln!(out, "    /// How many rules there are (`MonitorRules.RULE_COUNT`).\n    pub const COUNT: u8 = {count};").unwrap();
        out.push_str("    /// Every `fired` bit and its rule's name, lowest bit first.\n    pub const BITS: &[(u16, &str)] = &[\n");
        for (bit, name) in &bits {
            writeln!(out, "        ({bit}, {name:?}),").unwrap();
        }
        out.push_str("    ];\n}\n");
        out
    }

    /// Each enum as a Rust enum with its number, name and parsing.
    pub fn enums(&self) -> String {
        let mut out = String::from(
            "/// The contracts' enums, generated at build time from `contracts/src` (names and order\n\
             /// as the compiler read them; see `vocabulary`).\npub mod types {\n    \
             use super::vocabulary::UnknownName;\n",
        );
        for (name, scope, members) in &self.enums {
            let variants: String = members
                .iter()
                .enumerate()
                .map(|(i, m)| format!("        /// `{scope}.{name}.{m}`.\n        {m} = {i},\n"))
                .collect();
            let all: Vec<String> = members.iter().map(|m| format!("Self::{m}")).collect();
            let names: String = members
                .iter()
                .map(|m| format!("            Self::{m} => {:?},\n", snake_case(m)))
                .collect();
            let parse: String = members
                .iter()
                .map(|m| format!("            {:?} => Ok(Self::{m}),\n", snake_case(m)))
                .collect();
            let from_u8: String = members
                .iter()
                .enumerate()
                .map(|(i, m)| format!("            {i} => Ok(Self::{m}),\n"))
                .collect();
            writeln!(
                out,
                r#"    /// `{scope}.{name}`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    #[repr(u8)]
    pub enum {name} {{
{variants}    }}

    impl {name} {{
        /// Every value, in the contract's order.
        pub const ALL: [Self; {count}] = [{all}];
        /// Every value's name, in the contract's order.
        pub const NAMES: [&'static str; {count}] = [{names_list}];

        /// The name in snake_case, as the API and the CLI say it.
        pub const fn as_str(self) -> &'static str {{
            match self {{
{names}            }}
        }}
    }}

    impl TryFrom<u8> for {name} {{
        type Error = UnknownName;

        fn try_from(value: u8) -> Result<Self, Self::Error> {{
            match value {{
{from_u8}            _ => Err(UnknownName::number("{name}", value)),
            }}
        }}
    }}

    impl From<{name}> for u8 {{
        fn from(value: {name}) -> u8 {{
            value as u8
        }}
    }}

    impl std::str::FromStr for {name} {{
        type Err = UnknownName;

        fn from_str(text: &str) -> Result<Self, Self::Err> {{
            match text {{
{parse}            _ => Err(UnknownName::name("{name}", text, &Self::ALL.map(Self::as_str))),
            }}
        }}
    }}

    impl std::fmt::Display for {name} {{
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {{
            f.write_str(self.as_str())
        }}
    }}

    #[cfg(feature = "clap")]
    impl clap::ValueEnum for {name} {{
        fn value_variants<'a>() -> &'a [Self] {{
            &Self::ALL
        }}

        fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {{
            Some(clap::builder::PossibleValue::new(self.as_str()))
        }}
    }}

    impl serde::Serialize for {name} {{
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {{
            s.serialize_str(self.as_str())
        }}
    }}

    impl<'de> serde::Deserialize<'de> for {name} {{
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {{
            let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            text.parse().map_err(serde::de::Error::custom)
        }}
    }}"#,
                count = members.len(),
                all = all.join(", "),
                names_list = members
                    .iter()
                    .map(|m| format!("{:?}", snake_case(m)))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
            .unwrap();
        }
        writeln!(
            out,
            "    /// Every enum the contracts declare, by name.\n    pub const ENUMS: [&str; {}] = [{}];\n",
            self.enums.len(),
            self.enums
                .iter()
                .map(|(name, _, _)| format!("{name:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
        .unwrap();
        out.push_str(
            "    /// The name of value `value` of the enum called `name` (as in an ABI's\n    \
             /// `internalType`), if there is one.\n    \
             pub fn name_of(name: &str, value: u8) -> Option<&'static str> {\n        match name {\n",
        );
        for (name, _, _) in &self.enums {
            writeln!(
                out,
                "            {name:?} => {name}::try_from(value).ok().map({name}::as_str),"
            )
            .unwrap();
        }
        out.push_str("            _ => None,\n        }\n    }\n}\n");
        out
    }
}

/// The value of a constant's initializer: literals, other constants of the same library,
/// `keccak256("...")`, type conversions, parentheses and the integer operators used there.
fn evaluate(expr: &serde_json::Value, known: &[(String, String, Constant)]) -> Option<Constant> {
    use alloy_primitives::{B256, U256, keccak256};
    let int = |c: Constant| match c {
        Constant::Int(v) => Some(v),
        Constant::Word(_) => None,
    };
    match expr["nodeType"].as_str()? {
        "Literal" => {
            let text = expr["value"].as_str()?;
            if expr["kind"] == "string" {
                return Some(Constant::Word(keccak256(text.as_bytes())));
            }
            let text = text.replace('_', "");
            let value: U256 = match text.split_once('e') {
                Some((m, e)) => m.parse::<U256>().ok()? * U256::from(10).pow(e.parse().ok()?),
                None => text.parse().ok()?,
            };
            Some(Constant::Int(value))
        }
        "Identifier" => known
            .iter()
            .find(|(n, _, _)| n == expr["name"].as_str().unwrap_or_default())
            .map(|(_, _, v)| *v),
        "TupleExpression" => evaluate(&expr["components"][0], known),
        "FunctionCall" => {
            let argument = &expr["arguments"][0];
            if expr["expression"]["name"] == "keccak256" {
                let text = argument["value"].as_str()?;
                return Some(Constant::Word(keccak256(text.as_bytes())));
            }
            // A type conversion, `uint16(...)` or `bytes32(...)`.
            match evaluate(argument, known)? {
                Constant::Int(v) if expr["typeDescriptions"]["typeString"] == "bytes32" => {
                    Some(Constant::Word(B256::from(v)))
                }
                other => Some(other),
            }
        }
        "BinaryOperation" => {
            let l = int(evaluate(&expr["leftExpression"], known)?)?;
            let r = int(evaluate(&expr["rightExpression"], known)?)?;
            Some(Constant::Int(match expr["operator"].as_str()? {
                "<<" => l << r.to::<usize>(),
                "|" => l | r,
                "-" => l - r,
                "+" => l + r,
                "*" => l * r,
                _ => return None,
            }))
        }
        _ => None,
    }
}

pub fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}
