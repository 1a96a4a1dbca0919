//! Logs of the timebank contracts, decoded once into their contract's generated event enum
//! (what the projections match on, exhaustively). The event log keeps each log's raw topics and
//! data; the accounts a log names and its fields as JSON are read from them, generically from
//! the ABI, when they are needed ([`DecodedLog::accounts`], [`fields`]).

use crate::{Deployment, Error, Result};
use alloy::{
    dyn_abi::{DynSolEvent, DynSolValue, Specifier},
    json_abi::{Event as AbiEvent, JsonAbi, Param},
    primitives::{Address, B256, LogData},
    sol_types::SolEventInterface,
};
use serde_json::{Map, Value};
use std::{collections::HashMap, sync::LazyLock};
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
    pub name: &'static str,
    /// The typed event; `None` for a topic the ABI does not have.
    pub event: Option<Event>,
    /// The event's ABI, to find the accounts it names when they are needed.
    known: Option<&'static Known>,
}

impl DecodedLog {
    /// Every address among the log's fields, in order, without repeats.
    pub fn accounts(&self, data: &LogData) -> Result<Vec<Address>> {
        let mut accounts = Vec::new();
        if let Some(known) = self.known {
            for value in known.values(self.contract, data)? {
                collect_accounts(&value, &mut accounts);
            }
        }
        Ok(accounts)
    }
}

/// An event of an ABI, with its types resolved once.
#[derive(Debug)]
struct Known {
    abi: AbiEvent,
    resolved: DynSolEvent,
}

impl Known {
    /// The log's values, in the order of the ABI's inputs.
    fn values(&self, contract: &str, data: &LogData) -> Result<Vec<DynSolValue>> {
        let failed = |reason: String| Error::Decode {
            what: format!("{contract}.{}", self.abi.name),
            reason,
        };
        let decoded = self
            .resolved
            .decode_log_data(data)
            .map_err(|err| failed(err.to_string()))?;
        let (mut indexed, mut body) = (decoded.indexed.into_iter(), decoded.body.into_iter());
        self.abi
            .inputs
            .iter()
            .map(|input| {
                if input.indexed {
                    indexed.next()
                } else {
                    body.next()
                }
                .ok_or_else(|| failed(format!("field {} is missing", input.name)))
            })
            .collect()
    }
}

/// The events of every contract in the bindings, by contract name and topic, read once.
struct Abis(HashMap<&'static str, (Contract, HashMap<B256, Known>)>);

static ABIS: LazyLock<std::result::Result<Abis, String>> = LazyLock::new(Abis::load);

impl Abis {
    fn load() -> std::result::Result<Self, String> {
        let mut contracts = HashMap::new();
        for (name, json) in timebank_bindings::ABIS {
            let Some(contract) = Contract::named(name) else {
                continue;
            };
            let abi: JsonAbi =
                serde_json::from_str(json).map_err(|err| format!("the {name} ABI: {err}"))?;
            let events = abi
                .events()
                .map(|e| {
                    let resolved = e
                        .resolve()
                        .map_err(|err| format!("the {name}.{} event: {err}", e.name))?;
                    Ok((
                        e.selector(),
                        Known {
                            abi: e.clone(),
                            resolved,
                        },
                    ))
                })
                .collect::<std::result::Result<_, String>>()?;
            contracts.insert(*name, (contract, events));
        }
        Ok(Self(contracts))
    }

    fn get() -> Result<&'static Self> {
        ABIS.as_ref().map_err(|reason| Error::Decode {
            what: "the bindings' ABIs".into(),
            reason: reason.clone(),
        })
    }
}

/// Decodes the logs of one deployment.
#[derive(Debug, Clone)]
pub struct Decoder {
    contracts: HashMap<Address, (&'static str, Contract, &'static HashMap<B256, Known>)>,
}

impl Decoder {
    /// Builds a decoder for the contracts of `deployment`, from the ABIs compiled into the
    /// bindings.
    pub fn new(deployment: &Deployment) -> Result<Self> {
        let abis = Abis::get()?;
        let mut contracts = HashMap::new();
        for (name, address) in deployment.indexed() {
            let (contract, events) = abis.0.get(name).ok_or_else(|| Error::Decode {
                what: format!("the {name} contract"),
                reason: "not one the indexer knows".into(),
            })?;
            contracts.insert(address, (name, *contract, events));
        }
        Ok(Self { contracts })
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

    /// Decodes a log of one of our contracts into its typed event; `None` for any other
    /// address.
    pub fn decode(&self, address: &Address, data: &LogData) -> Result<Option<DecodedLog>> {
        let Some((contract, kind, events)) = self.contracts.get(address) else {
            return Ok(None);
        };
        let Some(known) = data.topics().first().and_then(|t| events.get(t)) else {
            return Ok(Some(DecodedLog {
                contract,
                name: "unknown",
                event: None,
                known: None,
            }));
        };
        let typed = kind
            .decode(data.topics(), &data.data)
            .map_err(|err| Error::Decode {
                what: format!("{contract}.{} at {address}", known.abi.name),
                reason: err.to_string(),
            })?;
        Ok(Some(DecodedLog {
            contract,
            name: &known.abi.name,
            event: Some(typed),
            known: Some(known),
        }))
    }
}

/// The fields of a stored log of `contract` as a JSON object by name: integers as decimal
/// strings (they exceed JSON's safe range), bytes and hashes as 0x-hex, addresses checksummed,
/// tuples as objects when the ABI names their components. Empty for an event the ABI does not
/// have.
pub fn fields(contract: &str, data: &LogData) -> Result<Map<String, Value>> {
    let known = Abis::get()?
        .0
        .get(contract)
        .and_then(|(_, events)| data.topics().first().and_then(|t| events.get(t)));
    let Some(known) = known else {
        return Ok(Map::new());
    };
    Ok(known
        .abi
        .inputs
        .iter()
        .zip(known.values(contract, data)?)
        .map(|(input, value)| (input.name.clone(), to_json(&value, &input.components)))
        .collect())
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

/// JSON for an ABI value.
fn to_json(value: &DynSolValue, components: &[Param]) -> Value {
    match value {
        DynSolValue::Bool(b) => Value::Bool(*b),
        DynSolValue::Int(i, _) => Value::String(i.to_string()),
        DynSolValue::Uint(u, _) => Value::String(u.to_string()),
        DynSolValue::FixedBytes(word, size) => {
            Value::String(alloy::primitives::hex::encode_prefixed(&word[..*size]))
        }
        DynSolValue::Address(a) => Value::String(a.to_checksum(None)),
        DynSolValue::Function(f) => Value::String(f.to_string()),
        DynSolValue::Bytes(b) => Value::String(alloy::primitives::hex::encode_prefixed(b)),
        DynSolValue::String(s) => Value::String(s.clone()),
        DynSolValue::Tuple(items) if components.len() == items.len() => Value::Object(
            components
                .iter()
                .zip(items)
                .map(|(p, v)| (p.name.clone(), to_json(v, &p.components)))
                .collect(),
        ),
        DynSolValue::Tuple(items) | DynSolValue::Array(items) | DynSolValue::FixedArray(items) => {
            Value::Array(items.iter().map(|v| to_json(v, components)).collect())
        }
        // Only built from EIP-712 type strings, never by decoding a log.
        DynSolValue::CustomStruct {
            prop_names, tuple, ..
        } => Value::Object(
            prop_names
                .iter()
                .zip(tuple)
                .map(|(name, v)| (name.clone(), to_json(v, &[])))
                .collect(),
        ),
    }
}
