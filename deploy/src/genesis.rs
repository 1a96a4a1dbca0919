//! A Besu QBFT genesis: the validators RLP-encoded in `extraData` as Besu expects, the QBFT
//! parameters, forks through Cancun from block 0, a zero base fee (a permissioned chain pays no
//! fees to anyone), and the deployer funded.
//!
//! Besu's QBFT `extraData` is the RLP list `[vanity, validators, vote, round, seals]`: 32 bytes of
//! vanity, the validators' 20-byte addresses, no vote (an empty list), round 0 (the empty
//! string) and no seals (an empty list) in the genesis block. The test vector is Besu's own
//! documented four-validator genesis.

use alloy::primitives::{Address, B256, Bytes, U256};
use alloy_rlp::{Decodable, Encodable, Header};
use serde_json::{Value, json};

/// QBFT's genesis `mixHash` ("ctical byzantine fault tolerance", as Besu documents it).
pub const QBFT_MIX_HASH: B256 =
    alloy::primitives::b256!("63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365");

/// The QBFT `extraData` of a genesis block with `validators`.
pub fn extra_data(validators: &[Address]) -> Bytes {
    let mut payload = Vec::new();
    [0u8; 32].as_slice().encode(&mut payload);
    let list: Vec<&[u8]> = validators.iter().map(|a| a.as_slice()).collect();
    alloy_rlp::encode_list::<&[u8], [u8]>(&list, &mut payload);
    Header {
        list: true,
        payload_length: 0,
    }
    .encode(&mut payload); // no vote
    0u32.encode(&mut payload); // round 0
    Header {
        list: true,
        payload_length: 0,
    }
    .encode(&mut payload); // no seals
    let mut out = Vec::with_capacity(payload.len() + 3);
    Header {
        list: true,
        payload_length: payload.len(),
    }
    .encode(&mut out);
    out.extend_from_slice(&payload);
    out.into()
}

/// The validators of a genesis block's QBFT `extraData`, checking the rest is a genesis's
/// (a 32-byte vanity, no vote, round 0, no seals) and nothing follows.
pub fn decode_extra_data(mut data: &[u8]) -> eyre::Result<Vec<Address>> {
    let outer = Header::decode(&mut data)?;
    eyre::ensure!(outer.list, "extraData is not an RLP list");
    eyre::ensure!(
        data.len() == outer.payload_length,
        "extraData has {} bytes after its list of {}",
        data.len(),
        outer.payload_length
    );
    let vanity = alloy_rlp::Bytes::decode(&mut data)?;
    eyre::ensure!(
        vanity.len() == 32,
        "the vanity is {} bytes, not 32",
        vanity.len()
    );
    let validators = Vec::<Address>::decode(&mut data)?;
    let vote = Header::decode(&mut data)?;
    eyre::ensure!(
        vote.list && vote.payload_length == 0,
        "a genesis has no vote"
    );
    let round = u32::decode(&mut data)?;
    eyre::ensure!(round == 0, "a genesis is round 0, not {round}");
    let seals = Header::decode(&mut data)?;
    eyre::ensure!(
        seals.list && seals.payload_length == 0,
        "a genesis has no seals"
    );
    eyre::ensure!(data.is_empty(), "{} bytes follow the seals", data.len());
    Ok(validators)
}

/// What a genesis needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// The chain id (never anvil's).
    pub chain_id: u64,
    /// The validators, in order.
    pub validators: Vec<Address>,
    /// Seconds between blocks.
    pub block_period_secs: u64,
    /// Seconds before a round changes.
    pub request_timeout_secs: u64,
    /// Blocks between votes' resets.
    pub epoch_length: u64,
    /// The block gas limit.
    pub gas_limit: u64,
    /// Funded accounts (the deployer).
    pub alloc: Vec<(Address, U256)>,
    /// The genesis timestamp (unix seconds).
    pub timestamp: u64,
}

/// The genesis file Besu reads (`--genesis-file`).
pub fn genesis(p: &Params) -> Value {
    let alloc: serde_json::Map<String, Value> = p
        .alloc
        .iter()
        .map(|(a, wei)| {
            (
                format!("{a:x}").trim_start_matches("0x").to_owned(),
                json!({ "balance": format!("{wei:#x}") }),
            )
        })
        .collect();
    json!({
        "config": {
            "chainId": p.chain_id,
            "homesteadBlock": 0, "eip150Block": 0, "eip155Block": 0, "eip158Block": 0,
            "byzantiumBlock": 0, "constantinopleBlock": 0, "petersburgBlock": 0,
            "istanbulBlock": 0, "berlinBlock": 0, "londonBlock": 0,
            "shanghaiTime": 0, "cancunTime": 0,
            "zeroBaseFee": true,
            "qbft": {
                "blockperiodseconds": p.block_period_secs,
                "epochlength": p.epoch_length,
                "requesttimeoutseconds": p.request_timeout_secs,
            },
        },
        "nonce": "0x0",
        "timestamp": format!("{:#x}", p.timestamp),
        "extraData": extra_data(&p.validators).to_string(),
        "gasLimit": format!("{:#x}", p.gas_limit),
        "difficulty": "0x1",
        "mixHash": QBFT_MIX_HASH.to_string(),
        "coinbase": Address::ZERO.to_string(),
        "alloc": alloc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{address, hex};

    /// Besu's documented QBFT genesis (private-networks/how-to/configure/consensus/qbft): four
    /// validators and the `extraData` Besu expects for them.
    const BESU_VALIDATORS: [Address; 4] = [
        address!("64a702e6263b7297a96638cac6ae65e6541f4169"),
        address!("3923390ad55e90c237593b3b0e401f3b08a03185"),
        address!("aefdb9a738c9f433e5b6b212a6d62f6370c2f692"),
        address!("c7eeb9a4e00ce683cf93039b212648e01c6c6b78"),
    ];
    const BESU_EXTRA_DATA: &str = "0xf87aa00000000000000000000000000000000000000000000000000000000000000000f8549464a702e6263b7297a96638cac6ae65e6541f4169943923390ad55e90c237593b3b0e401f3b08a0318594aefdb9a738c9f433e5b6b212a6d62f6370c2f69294c7eeb9a4e00ce683cf93039b212648e01c6c6b78c080c0";

    #[test]
    fn extra_data_is_besus_documented_encoding() {
        assert_eq!(extra_data(&BESU_VALIDATORS).to_string(), BESU_EXTRA_DATA);
        assert_eq!(
            decode_extra_data(&hex::decode(BESU_EXTRA_DATA).unwrap()).unwrap(),
            BESU_VALIDATORS
        );
    }

    #[test]
    fn any_number_of_validators_round_trips() {
        for n in [1usize, 4, 7, 8, 30] {
            let validators: Vec<Address> = (0..n)
                .map(|i| Address::with_last_byte(i as u8 + 1))
                .collect();
            assert_eq!(
                decode_extra_data(&extra_data(&validators)).unwrap(),
                validators
            );
        }
    }

    #[test]
    fn what_is_not_a_genesis_extra_data_is_refused() {
        let good = hex::decode(BESU_EXTRA_DATA).unwrap();
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(
            decode_extra_data(&trailing).is_err(),
            "a byte after the list"
        );
        assert!(
            decode_extra_data(&good[..good.len() - 1]).is_err(),
            "cut short"
        );
        // A vote for a validator: not a genesis.
        let mut voted = good.clone();
        let n = voted.len();
        voted[n - 3] = 0xc1;
        assert!(decode_extra_data(&voted).is_err());
        assert!(decode_extra_data(&[0x80]).is_err(), "not a list");
    }

    #[test]
    fn the_genesis_has_what_besu_documents() {
        let deployer = Address::with_last_byte(0xde);
        let g = genesis(&Params {
            chain_id: 20_261_130,
            validators: BESU_VALIDATORS.to_vec(),
            block_period_secs: 1,
            request_timeout_secs: 4,
            epoch_length: 30_000,
            gas_limit: 100_000_000,
            alloc: vec![(deployer, U256::from(10u128.pow(24)))],
            timestamp: 0,
        });
        assert_eq!(g["config"]["chainId"], 20_261_130);
        assert_eq!(g["config"]["qbft"]["blockperiodseconds"], 1);
        assert_eq!(g["config"]["qbft"]["requesttimeoutseconds"], 4);
        assert_eq!(g["config"]["qbft"]["epochlength"], 30_000);
        assert_eq!(g["config"]["zeroBaseFee"], true);
        assert_eq!(
            g["config"]["cancunTime"], 0,
            "the contracts use Cancun's opcodes"
        );
        assert_eq!(g["extraData"], BESU_EXTRA_DATA);
        assert_eq!(g["difficulty"], "0x1");
        assert_eq!(
            g["mixHash"],
            "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"
        );
        assert_eq!(g["gasLimit"], "0x5f5e100");
        assert_eq!(
            g["alloc"]["00000000000000000000000000000000000000de"]["balance"],
            "0xd3c21bcecceda1000000"
        );
    }
}
