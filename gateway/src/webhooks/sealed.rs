//! Partners' signing secrets at rest: sealed with ChaCha20-Poly1305 under a key derived (HKDF-
//! SHA256) from the branch's X25519 key file, which the gateway already holds and which is not
//! in the database. A dump or backup of the database holds no `whsec_` secret; whoever has the
//! database and the key file holds the branch's member profiles too, so the secrets add nothing.
//!
//! A sealed secret is `v1.` and the base64 of a random 12-byte nonce and the ciphertext, with
//! the partner's address as associated data (a sealed secret moved to another partner's row
//! does not open). After a rotation of the branch key the previous key file still opens what
//! was sealed under it, and [`SecretBox::reseal`] seals it again under the current one.

use crate::privacy::{BranchKeys, KeyPair};
use alloy::primitives::Address;
use base64::Engine;
use chacha20poly1305::{
    ChaCha20Poly1305, KeyInit,
    aead::{Aead, Payload},
};
use rand::RngCore;

/// What a sealed secret starts with.
const VERSION: &str = "v1.";
/// HKDF's `info`: this key is for partners' secrets and nothing else.
const INFO: &[u8] = b"timebank gateway: partners' webhook secrets v1";

/// The keys that seal and open partners' secrets.
#[derive(Clone)]
pub struct SecretBox {
    current: ChaCha20Poly1305,
    previous: Option<ChaCha20Poly1305>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

/// A stored secret that does not open.
#[derive(Debug, thiserror::Error)]
#[error("a partner's stored secret does not open with this branch key")]
pub struct Unopenable;

fn cipher(key: &KeyPair) -> ChaCha20Poly1305 {
    let secret = alloy::hex::decode(key.secret_hex()).unwrap_or_default();
    let hkdf = hkdf::Hkdf::<sha2::Sha256>::new(None, &secret);
    let mut okm = [0u8; 32];
    // 32 bytes are well within HKDF-SHA256's 8,160.
    let _ = hkdf.expand(INFO, &mut okm);
    ChaCha20Poly1305::new(&okm.into())
}

impl SecretBox {
    /// Keys derived from the branch's key files.
    pub fn new(keys: &BranchKeys) -> Self {
        Self {
            current: cipher(&keys.current),
            previous: keys.previous.as_ref().map(cipher),
        }
    }

    /// `secret` sealed for `partner`'s row.
    pub fn seal(&self, partner: Address, secret: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: secret.as_bytes(),
            aad: partner.as_slice(),
        };
        // Encryption into a Vec fails only past ChaCha20's 256 GiB.
        let sealed = self
            .current
            .encrypt(&nonce.into(), payload)
            .unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        format!(
            "{VERSION}{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    }

    /// The secret in `stored` (sealed for `partner`, or plaintext from before secrets were
    /// sealed).
    pub fn open(&self, partner: Address, stored: &str) -> Result<String, Unopenable> {
        if stored.starts_with("whsec_") {
            return Ok(stored.to_owned());
        }
        std::iter::once(&self.current)
            .chain(&self.previous)
            .find_map(|key| open_with(key, partner, stored))
            .ok_or(Unopenable)
    }

    /// `stored` sealed again under the current key, if it is plaintext or sealed under the
    /// previous one (`None`: already current, or it does not open).
    pub fn reseal(&self, partner: Address, stored: &str) -> Option<String> {
        if open_with(&self.current, partner, stored).is_some() {
            return None;
        }
        self.open(partner, stored)
            .ok()
            .map(|secret| self.seal(partner, &secret))
    }
}

/// `stored` opened with `key` for `partner`, if it does.
fn open_with(key: &ChaCha20Poly1305, partner: Address, stored: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(stored.strip_prefix(VERSION)?)
        .ok()?;
    if bytes.len() <= 12 {
        return None;
    }
    let (nonce, sealed) = bytes.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    let plain = key
        .decrypt(
            &nonce.into(),
            Payload {
                msg: sealed,
                aad: partner.as_slice(),
            },
        )
        .ok()?;
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_opens_for_its_partner_under_the_branch_key_only() {
        let (old, new) = (KeyPair::generate(), KeyPair::generate());
        let partner = Address::repeat_byte(1);
        let before = SecretBox::new(&BranchKeys {
            current: KeyPair::from_secret_hex(&old.secret_hex()).unwrap(),
            previous: None,
        });
        let sealed = before.seal(partner, "whsec_abc");
        assert!(!sealed.contains("whsec_"));
        assert_eq!(before.open(partner, &sealed).unwrap(), "whsec_abc");
        assert!(before.open(Address::repeat_byte(2), &sealed).is_err());
        assert_eq!(before.reseal(partner, &sealed), None);
        // A plaintext secret from before opens, and is sealed again.
        assert_eq!(before.open(partner, "whsec_old").unwrap(), "whsec_old");
        let resealed = before.reseal(partner, "whsec_old").unwrap();
        assert_eq!(before.open(partner, &resealed).unwrap(), "whsec_old");
        // After a rotation of the branch key: opens under the previous key, sealed again under
        // the new one; without the previous key it does not open.
        let after = SecretBox::new(&BranchKeys {
            current: KeyPair::from_secret_hex(&new.secret_hex()).unwrap(),
            previous: Some(old),
        });
        assert_eq!(after.open(partner, &sealed).unwrap(), "whsec_abc");
        let moved = after.reseal(partner, &sealed).unwrap();
        let only_new = SecretBox::new(&BranchKeys {
            current: new,
            previous: None,
        });
        assert!(only_new.open(partner, &sealed).is_err());
        assert_eq!(only_new.open(partner, &moved).unwrap(), "whsec_abc");
    }
}
