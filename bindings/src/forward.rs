//! The ERC-2771 forward request: every write a person makes through a gateway is one, signed
//! (EIP-712) by their own wallet and relayed by the gateway. Its one definition, used by every
//! signer (the client, the CLI, tests) and by the gateway that checks it.

use crate::timebank_forwarder::ERC2771Forwarder::ForwardRequestData;
use alloy::{
    dyn_abi::TypedData,
    primitives::{Address, Bytes, Signature, U256, aliases::U48},
    sol,
    sol_types::{Eip712Domain, SolStruct, eip712_domain},
};

sol! {
    /// The forwarder's EIP-712 message (OpenZeppelin `ERC2771Forwarder`): what a wallet signs.
    #[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    struct ForwardRequest {
        address from;
        address to;
        uint256 value;
        uint256 gas;
        uint256 nonce;
        uint48 deadline;
        bytes data;
    }
}

/// Gas for the inner call of a request, unless the caller asks for other.
pub const DEFAULT_GAS: u64 = 1_000_000;
/// The most gas a relayed call may ask for.
pub const MAX_GAS: u64 = 5_000_000;
/// Gas a relayer adds for the forwarder's own work around the inner call.
pub const FORWARDER_GAS: u64 = 200_000;
/// How long a prepared request stays valid, in seconds of the chain's clock.
pub const VALIDITY: u64 = 600;

/// The forwarder's EIP-712 domain: `TimebankForwarder`, version `1`, on `chain_id`.
pub fn domain(chain_id: u64, forwarder: Address) -> Eip712Domain {
    eip712_domain! {
        name: "TimebankForwarder",
        version: "1",
        chain_id: chain_id,
        verifying_contract: forwarder,
    }
}

impl ForwardRequest {
    /// A request from `from` to call `to` with `data` (no value: the contracts take none).
    pub fn call(
        from: Address,
        to: Address,
        data: Bytes,
        gas: u64,
        nonce: u64,
        deadline: u64,
    ) -> Self {
        Self {
            from,
            to,
            value: U256::ZERO,
            gas: U256::from(gas),
            nonce: U256::from(nonce),
            deadline: U48::saturating_from(deadline),
            data,
        }
    }

    /// The EIP-712 typed data a wallet signs (`eth_signTypedData_v4`).
    pub fn typed_data(&self, domain: Eip712Domain) -> TypedData {
        TypedData::from_struct(self, Some(domain))
    }

    /// Who signed this request under `domain`, from a 65-byte signature. `None` unless the
    /// signature is canonical as OpenZeppelin's `ECDSA.recover` requires (`v` 27 or 28, `s` in
    /// the lower half of the curve order), which is what the forwarder will check on chain.
    pub fn signer(&self, domain: &Eip712Domain, signature: &[u8]) -> Option<Address> {
        let [.., v] = signature else { return None };
        if signature.len() != 65 || !matches!(v, 27 | 28) {
            return None;
        }
        let signature = Signature::try_from(signature).ok()?;
        // A high s (malleable) is refused, as by OpenZeppelin's ECDSA.
        alloy_consensus::crypto::secp256k1::recover_signer(
            &signature,
            self.eip712_signing_hash(domain),
        )
        .ok()
    }

    /// The forwarder's `execute` argument: this request with its signature.
    pub fn with_signature(&self, signature: Bytes) -> ForwardRequestData {
        ForwardRequestData {
            from: self.from,
            to: self.to,
            value: self.value,
            gas: self.gas,
            deadline: self.deadline,
            data: self.data.clone(),
            signature,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::signers::{SignerSync, local::PrivateKeySigner};

    #[test]
    fn the_typehash_is_openzeppelins() {
        assert_eq!(
            ForwardRequest::eip712_encode_type(),
            "ForwardRequest(address from,address to,uint256 value,uint256 gas,uint256 nonce,\
             uint48 deadline,bytes data)"
        );
    }

    #[test]
    fn the_typed_data_a_wallet_signs_hashes_to_the_request() {
        let request = ForwardRequest::call(
            Address::repeat_byte(1),
            Address::repeat_byte(2),
            vec![1, 2].into(),
            5,
            7,
            9,
        );
        let domain = domain(31_337, Address::repeat_byte(3));
        let typed = request.typed_data(domain.clone());
        assert_eq!(
            typed.eip712_signing_hash().unwrap(),
            request.eip712_signing_hash(&domain)
        );
    }

    #[test]
    fn only_canonical_signatures_recover() {
        let wallet = PrivateKeySigner::random();
        let request = ForwardRequest::call(wallet.address(), Address::ZERO, Bytes::new(), 1, 0, 9);
        let domain = domain(1, Address::ZERO);
        let signature = wallet
            .sign_hash_sync(&request.eip712_signing_hash(&domain))
            .unwrap()
            .as_bytes();
        assert_eq!(request.signer(&domain, &signature), Some(wallet.address()));
        // The same signature with v as 0 or 1, or with the high s, is refused.
        let mut low_v = signature;
        low_v[64] -= 27;
        assert_eq!(request.signer(&domain, &low_v), None);
        let parsed = Signature::try_from(&signature[..]).unwrap();
        let order = U256::from_be_slice(&alloy::hex!(
            "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
        ));
        let high = Signature::new(parsed.r(), order - parsed.s(), !parsed.v());
        assert_eq!(request.signer(&domain, &high.as_bytes()), None);
    }
}
