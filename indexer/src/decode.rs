//! Logs of the timebank contracts, decoded once into their contract's generated event enum
//! (what the projections match on, exhaustively) and, for the event log, into a JSON object of
//! their fields and the accounts they name, generically from the ABI.

use crate::{Deployment, Error, Result};
use alloy::{
    dyn_abi::{DynSolEvent, DynSolValue, Specifier},
    json_abi::{Event as AbiEvent, JsonAbi, Param},
    primitives::{Address, B256, LogData},
    sol_types::SolEventInterface,
};
use serde_json::{Map, Value};
use std::collections::HashMap;
use timebank_bindings::{
    CredentialRegistry as CR, IdentityRegistry as IR, ServiceLedger as SL, SupervisionDesk as SD,
    TimeCoin as TC, TimebankAccess as TA, TimebankForwarder as TF, TimebankTimelock as TT,
};

/// A log, decoded against the generated event enum of the contract that emitted it.
#[derive(Debug, Clone)]
#[allow(missing_docs)]
pub enum Event {
    Access(TA::TimebankAccessEvents),
    Identity(IR::IdentityRegistryEvents),
    Credentials(CR::CredentialRegistryEvents),
    Coin(TC::TimeCoinEvents),
    Ledger(SL::ServiceLedgerEvents),
    Desk(SD::SupervisionDeskEvents),
    Forwarder(TF::TimebankForwarderEvents),
    Timelock(TT::TimebankTimelockEvents),
}

/// The indexed contracts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Contract {
    Access,
    Identity,
    Credentials,
    Coin,
    Ledger,
    Desk,
    Forwarder,
    Timelock,
}

impl Contract {
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "TimebankAccess" => Self::Access,
            "IdentityRegistry" => Self::Identity,
            "CredentialRegistry" => Self::Credentials,
            "TimeCoin" => Self::Coin,
            "ServiceLedger" => Self::Ledger,
            "SupervisionDesk" => Self::Desk,
            "TimebankForwarder" => Self::Forwarder,
            "TimebankTimelock" => Self::Timelock,
            _ => return None,
        })
    }

    fn decode(self, topics: &[B256], data: &[u8]) -> alloy::sol_types::Result<Event> {
        Ok(match self {
            Self::Access => Event::Access(SolEventInterface::decode_raw_log(topics, data)?),
            Self::Identity => Event::Identity(SolEventInterface::decode_raw_log(topics, data)?),
            Self::Credentials => {
                Event::Credentials(SolEventInterface::decode_raw_log(topics, data)?)
            }
            Self::Coin => Event::Coin(SolEventInterface::decode_raw_log(topics, data)?),
            Self::Ledger => Event::Ledger(SolEventInterface::decode_raw_log(topics, data)?),
            Self::Desk => Event::Desk(SolEventInterface::decode_raw_log(topics, data)?),
            Self::Forwarder => Event::Forwarder(SolEventInterface::decode_raw_log(topics, data)?),
            Self::Timelock => Event::Timelock(SolEventInterface::decode_raw_log(topics, data)?),
        })
    }
}

/// A decoded log.
#[derive(Debug, Clone)]
pub struct DecodedLog {
    /// The contract's name, e.g. `TimeCoin`.
    pub contract: &'static str,
    /// The event's name, e.g. `Transfer`; `unknown` for a topic the ABI does not have.
    pub name: String,
    /// The typed event; `None` for a topic the ABI does not have.
    pub event: Option<Event>,
    /// The event's fields by name; numbers as decimal strings, bytes as 0x-hex.
    pub fields: Map<String, Value>,
    /// Every address among the fields, in order, without repeats.
    pub accounts: Vec<Address>,
}

/// Decodes the logs of one deployment.
#[derive(Debug, Clone)]
pub struct Decoder {
    contracts: HashMap<Address, (&'static str, Contract, HashMap<B256, Known>)>,
    /// Addresses as checksummed text, computed once each (a keccak256 per address): payments
    /// name the same few accounts over and over.
    checksums: std::sync::Arc<std::sync::Mutex<HashMap<Address, Value>>>,
}

/// An event of an ABI, with its types resolved once.
#[derive(Debug, Clone)]
struct Known {
    abi: AbiEvent,
    resolved: DynSolEvent,
}

/// Checksummed addresses remembered at most (a bound on memory).
const MAX_CHECKSUMS: usize = 65_536;

impl Decoder {
    /// Builds a decoder for the contracts of `deployment`, from the ABIs compiled into the
    /// bindings.
    pub fn new(deployment: &Deployment) -> Result<Self> {
        let mut abis = HashMap::new();
        for (name, json) in timebank_bindings::ABIS {
            let abi: JsonAbi = serde_json::from_str(json).map_err(|err| Error::Decode {
                what: format!("the {name} ABI"),
                reason: err.to_string(),
            })?;
            abis.insert(*name, abi);
        }
        let mut contracts = HashMap::new();
        for (name, address) in deployment.indexed() {
            let abi = abis.get(name).ok_or_else(|| Error::Decode {
                what: format!("the {name} ABI"),
                reason: "not in the bindings".into(),
            })?;
            let events = abi
                .events()
                .map(|e| {
                    let resolved = e.resolve().map_err(|err| Error::Decode {
                        what: format!("the {name}.{} event", e.name),
                        reason: err.to_string(),
                    })?;
                    Ok((
                        e.selector(),
                        Known {
                            abi: e.clone(),
                            resolved,
                        },
                    ))
                })
                .collect::<Result<_>>()?;
            let contract = Contract::named(name).ok_or_else(|| Error::Decode {
                what: format!("the {name} contract"),
                reason: "not one the indexer knows".into(),
            })?;
            contracts.insert(address, (name, contract, events));
        }
        Ok(Self {
            contracts,
            checksums: std::sync::Arc::default(),
        })
    }

    /// The contract at `address`, if it is one of ours.
    pub fn contract(&self, address: &Address) -> Option<&'static str> {
        self.contracts.get(address).map(|(name, _, _)| *name)
    }

    /// The addresses to ask the node for logs of.
    pub fn addresses(&self) -> Vec<Address> {
        let mut all: Vec<_> = self.contracts.keys().copied().collect();
        all.sort();
        all
    }

    /// Decodes a log of one of our contracts; `None` for any other address.
    pub fn decode(&self, address: &Address, data: &LogData) -> Result<Option<DecodedLog>> {
        let Some((contract, kind, events)) = self.contracts.get(address) else {
            return Ok(None);
        };
        let Some(Known {
            abi: event,
            resolved,
        }) = data.topics().first().and_then(|t| events.get(t))
        else {
            return Ok(Some(DecodedLog {
                contract,
                name: "unknown".into(),
                event: None,
                fields: Map::new(),
                accounts: Vec::new(),
            }));
        };
        let typed = kind
            .decode(data.topics(), &data.data)
            .map_err(|err| Error::Decode {
                what: format!("{contract}.{} at {address}", event.name),
                reason: err.to_string(),
            })?;
        let decoded = resolved
            .decode_log_data(data)
            .map_err(|err| Error::Decode {
                what: format!("{contract}.{} at {address}", event.name),
                reason: err.to_string(),
            })?;
        let (mut indexed, mut body) = (decoded.indexed.into_iter(), decoded.body.into_iter());
        let mut fields = Map::new();
        let mut accounts = Vec::new();
        for input in &event.inputs {
            let value = if input.indexed {
                indexed.next()
            } else {
                body.next()
            };
            let value = value.ok_or_else(|| Error::Decode {
                what: format!("{contract}.{}", event.name),
                reason: format!("field {} is missing", input.name),
            })?;
            collect_accounts(&value, &mut accounts);
            fields.insert(input.name.clone(), self.to_json(&value, &input.components));
        }
        Ok(Some(DecodedLog {
            contract,
            name: event.name.clone(),
            event: Some(typed),
            fields,
            accounts,
        }))
    }
}

fn collect_accounts(value: &DynSolValue, out: &mut Vec<Address>) {
    match value {
        DynSolValue::Address(a) if !a.is_zero() && !out.contains(a) => out.push(*a),
        DynSolValue::Tuple(items) | DynSolValue::Array(items) | DynSolValue::FixedArray(items) => {
            items.iter().for_each(|v| collect_accounts(v, out))
        }
        _ => {}
    }
}

impl Decoder {
    /// JSON for an ABI value: integers as decimal strings (they exceed JSON's safe range), bytes
    /// and hashes as 0x-hex, addresses checksummed, tuples as objects when the ABI names their
    /// components.
    fn to_json(&self, value: &DynSolValue, components: &[Param]) -> Value {
        match value {
            DynSolValue::Address(a) => self.checksum(*a),
            other => to_json(other, components, &|a| self.checksum(a)),
        }
    }

    fn checksum(&self, address: Address) -> Value {
        let mut known = self
            .checksums
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(text) = known.get(&address) {
            return text.clone();
        }
        if known.len() >= MAX_CHECKSUMS {
            known.clear();
        }
        let text = Value::String(address.to_checksum(None));
        known.insert(address, text.clone());
        text
    }
}

/// JSON for an ABI value, with `address` writing addresses.
fn to_json(value: &DynSolValue, components: &[Param], address: &dyn Fn(Address) -> Value) -> Value {
    match value {
        DynSolValue::Bool(b) => Value::Bool(*b),
        DynSolValue::Int(i, _) => Value::String(i.to_string()),
        DynSolValue::Uint(u, _) => Value::String(u.to_string()),
        DynSolValue::FixedBytes(word, size) => {
            Value::String(alloy::primitives::hex::encode_prefixed(&word[..*size]))
        }
        DynSolValue::Address(a) => address(*a),
        DynSolValue::Function(f) => Value::String(f.to_string()),
        DynSolValue::Bytes(b) => Value::String(alloy::primitives::hex::encode_prefixed(b)),
        DynSolValue::String(s) => Value::String(s.clone()),
        DynSolValue::Tuple(items) if components.len() == items.len() => Value::Object(
            components
                .iter()
                .zip(items)
                .map(|(p, v)| (p.name.clone(), to_json(v, &p.components, address)))
                .collect(),
        ),
        DynSolValue::Tuple(items) | DynSolValue::Array(items) | DynSolValue::FixedArray(items) => {
            Value::Array(
                items
                    .iter()
                    .map(|v| to_json(v, components, address))
                    .collect(),
            )
        }
        // Only built from EIP-712 type strings, never by decoding a log.
        DynSolValue::CustomStruct {
            prop_names, tuple, ..
        } => Value::Object(
            prop_names
                .iter()
                .zip(tuple)
                .map(|(name, v)| (name.clone(), to_json(v, &[], address)))
                .collect(),
        ),
    }
}
