//! Member data stays private. A profile (a JSON object) is canonicalized (RFC 8785), salted,
//! committed to (`keccak256("timebank.profile.v1" ‖ canonical)`) and sealed in an envelope: a
//! fresh data key encrypts it (ChaCha20-Poly1305), and the data key is wrapped (HPKE, RFC 9180:
//! X25519, HKDF-SHA256, ChaCha20-Poly1305) to every active branch's public key and the
//! supervisors' key. Only the commitment and the package go on chain; every branch's gateway can
//! open the package, and the gateway decides who sees it.

use alloy::primitives::B256;
use chacha20poly1305::{
    ChaCha20Poly1305, KeyInit,
    aead::{Aead, Payload},
};
use hpke::{
    Deserializable, Kem as _, OpModeR, OpModeS, Serializable, aead::ChaCha20Poly1305 as HpkeAead,
    kdf::HkdfSha256, kem::X25519HkdfSha256,
};
use rand::RngCore;
use serde::{Deserialize, Serialize};

pub use timebank_client::profile::{CONTEXT, MAX_PROFILE, REQUIRED_FIELDS, commitment};

/// What went wrong with a profile or a package.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    /// The profile is not acceptable; the message says why.
    #[error("{0}")]
    Profile(String),
    /// The package does not open with this key or is damaged.
    #[error("the data package {0}")]
    Package(String),
}

/// A key pair of a branch (or of the supervisors): X25519.
#[derive(Clone)]
pub struct KeyPair {
    secret: <X25519HkdfSha256 as hpke::Kem>::PrivateKey,
    /// The public key, as published on chain.
    pub public: [u8; 32],
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeyPair {{ public: {} }}",
            alloy::hex::encode(self.public)
        )
    }
}

impl KeyPair {
    /// A fresh key pair.
    pub fn generate() -> Self {
        let (secret, public) = X25519HkdfSha256::gen_keypair(&mut rand::rng());
        Self {
            secret,
            public: public.to_bytes().into(),
        }
    }

    /// From a 32-byte secret (hex, as in a key file).
    pub fn from_secret_hex(text: &str) -> Result<Self, PrivacyError> {
        let bytes = alloy::hex::decode(text.trim())
            .map_err(|err| PrivacyError::Profile(format!("the key is not hex: {err}")))?;
        let secret = <X25519HkdfSha256 as hpke::Kem>::PrivateKey::from_bytes(&bytes)
            .map_err(|_| PrivacyError::Profile("the key is not 32 bytes".into()))?;
        let public = X25519HkdfSha256::sk_to_pk(&secret).to_bytes().into();
        Ok(Self { secret, public })
    }

    /// The secret, hex (for writing a key file).
    pub fn secret_hex(&self) -> String {
        alloy::hex::encode(self.secret.to_bytes())
    }
}

/// Validates `profile`, sets a fresh random `salt` (so that a commitment can't be brute-forced
/// from guessable fields), and returns it with its canonical bytes.
pub fn prepare(profile: serde_json::Value) -> Result<(serde_json::Value, Vec<u8>), PrivacyError> {
    let serde_json::Value::Object(mut fields) = profile else {
        return Err(PrivacyError::Profile(
            "`profile` must be a JSON object".into(),
        ));
    };
    for name in REQUIRED_FIELDS {
        match fields.get(name) {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => {}
            Some(_) => {
                return Err(PrivacyError::Profile(format!(
                    "profile field `{name}` must be a non-empty string"
                )));
            }
            None => {
                return Err(PrivacyError::Profile(format!(
                    "the profile has no `{name}` (required: {})",
                    REQUIRED_FIELDS.join(", ")
                )));
            }
        }
    }
    // Always a fresh 256-bit salt, whatever the caller sent: a salt someone chose (or an empty
    // one) would let anyone who can guess the other fields confirm them against the commitment.
    let mut salt = [0u8; 32];
    rand::rng().fill_bytes(&mut salt);
    fields.insert("salt".into(), alloy::hex::encode(salt).into());
    let profile = serde_json::Value::Object(fields);
    let canonical = canonical(&profile)?;
    Ok((profile, canonical))
}

/// RFC 8785 canonical JSON, bounded in size.
pub fn canonical(profile: &serde_json::Value) -> Result<Vec<u8>, PrivacyError> {
    timebank_client::profile::canonical(profile).map_err(|err| PrivacyError::Profile(err.0))
}

/// The envelope, as stored on chain (JSON).
#[derive(Debug, Serialize, Deserialize)]
struct Package {
    /// Format version.
    v: u8,
    /// ChaCha20-Poly1305 nonce of the content.
    nonce: String,
    /// The canonical profile, encrypted under the data key (AAD: the commitment).
    ciphertext: String,
    /// The data key, wrapped to each recipient.
    recipients: Vec<Recipient>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Recipient {
    /// Who: `branch:<id>` or `supervisors`.
    kid: String,
    /// HPKE encapsulated key.
    enc: String,
    /// The wrapped data key (with its tag).
    key: String,
}

/// Seals `canonical` (committed to by `commitment`) for `recipients` (kid, X25519 public key).
pub fn seal(
    canonical: &[u8],
    commitment: B256,
    recipients: &[(String, [u8; 32])],
) -> Result<Vec<u8>, PrivacyError> {
    let mut rng = rand::rng();
    let mut data_key = [0u8; 32];
    rng.fill_bytes(&mut data_key);
    let mut nonce = [0u8; 12];
    rng.fill_bytes(&mut nonce);
    let ciphertext = ChaCha20Poly1305::new(&data_key.into())
        .encrypt(
            &nonce.into(),
            Payload {
                msg: canonical,
                aad: commitment.as_slice(),
            },
        )
        .map_err(|_| PrivacyError::Package("could not be encrypted".into()))?;
    let mut wrapped = Vec::with_capacity(recipients.len());
    for (kid, public) in recipients {
        let pk = <X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(public)
            .map_err(|_| PrivacyError::Package(format!("recipient {kid} has a bad key")))?;
        let (enc, key) = hpke::single_shot_seal::<HpkeAead, HkdfSha256, X25519HkdfSha256, _>(
            &OpModeS::Base,
            &pk,
            CONTEXT,
            &data_key,
            commitment.as_slice(),
            &mut rng,
        )
        .map_err(|err| PrivacyError::Package(format!("wrapping for {kid} failed: {err}")))?;
        wrapped.push(Recipient {
            kid: kid.clone(),
            enc: alloy::hex::encode(enc.to_bytes()),
            key: alloy::hex::encode(key),
        });
    }
    let package = Package {
        v: 1,
        nonce: alloy::hex::encode(nonce),
        ciphertext: alloy::hex::encode(ciphertext),
        recipients: wrapped,
    };
    serde_json::to_vec(&package).map_err(|err| PrivacyError::Package(err.to_string()))
}

/// A branch's keys: the one its public half is on chain now and, while a rotation settles,
/// the one before it, which still opens the packages sealed before the change.
#[derive(Debug)]
pub struct BranchKeys {
    /// The key on chain.
    pub current: KeyPair,
    /// The key before the last rotation, if the gateway was given it.
    pub previous: Option<KeyPair>,
}

impl BranchKeys {
    /// Opens `package` (addressed to `kid`) with the current key, else with the previous one;
    /// the current key's error if neither opens it.
    pub fn open(
        &self,
        package: &[u8],
        commitment: B256,
        kid: &str,
    ) -> Result<Vec<u8>, PrivacyError> {
        let current = open(package, commitment, kid, &self.current);
        match (&current, &self.previous) {
            (Err(_), Some(previous)) => open(package, commitment, kid, previous).or(current),
            _ => current,
        }
    }
}

/// Opens `package` as recipient `kid` with `key`; checks it against `commitment`. Returns the
/// canonical profile.
pub fn open(
    package: &[u8],
    commitment: B256,
    kid: &str,
    key: &KeyPair,
) -> Result<Vec<u8>, PrivacyError> {
    let package: Package = serde_json::from_slice(package)
        .map_err(|err| PrivacyError::Package(format!("is not a v1 package: {err}")))?;
    if package.v != 1 {
        return Err(PrivacyError::Package(format!(
            "has version {}, this gateway reads 1",
            package.v
        )));
    }
    let hex = |s: &str, what: &str| {
        alloy::hex::decode(s).map_err(|_| PrivacyError::Package(format!("has a bad {what}")))
    };
    let recipient = package
        .recipients
        .iter()
        .find(|r| r.kid == kid)
        .ok_or_else(|| PrivacyError::Package(format!("is not addressed to {kid}")))?;
    let enc =
        <X25519HkdfSha256 as hpke::Kem>::EncappedKey::from_bytes(&hex(&recipient.enc, "enc")?)
            .map_err(|_| PrivacyError::Package("has a bad encapsulated key".into()))?;
    let data_key = hpke::single_shot_open::<HpkeAead, HkdfSha256, X25519HkdfSha256>(
        &OpModeR::Base,
        &key.secret,
        &enc,
        CONTEXT,
        &hex(&recipient.key, "wrapped key")?,
        commitment.as_slice(),
    )
    .map_err(|_| PrivacyError::Package(format!("does not open with {kid}'s key")))?;
    let data_key: [u8; 32] = data_key
        .try_into()
        .map_err(|_| PrivacyError::Package("has a data key of the wrong size".into()))?;
    let nonce: [u8; 12] = hex(&package.nonce, "nonce")?
        .try_into()
        .map_err(|_| PrivacyError::Package("has a nonce of the wrong size".into()))?;
    let canonical = ChaCha20Poly1305::new(&data_key.into())
        .decrypt(
            &nonce.into(),
            Payload {
                msg: &hex(&package.ciphertext, "ciphertext")?,
                aad: commitment.as_slice(),
            },
        )
        .map_err(|_| PrivacyError::Package("content does not decrypt".into()))?;
    if self::commitment(&canonical) != commitment {
        return Err(PrivacyError::Package(
            "content does not match the on-chain commitment".into(),
        ));
    }
    Ok(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> serde_json::Value {
        serde_json::json!({"fullName": "Ada", "dateOfBirth": "1990-01-02", "contact": "ada@example.org"})
    }

    #[test]
    fn sealed_for_two_branches_opens_for_each_and_no_one_else() {
        let (north, south, stranger) = (
            KeyPair::generate(),
            KeyPair::generate(),
            KeyPair::generate(),
        );
        let (_, canonical) = prepare(profile()).unwrap();
        let c = commitment(&canonical);
        let package = seal(
            &canonical,
            c,
            &[
                ("branch:1".into(), north.public),
                ("branch:2".into(), south.public),
            ],
        )
        .unwrap();
        assert_eq!(open(&package, c, "branch:1", &north).unwrap(), canonical);
        assert_eq!(open(&package, c, "branch:2", &south).unwrap(), canonical);
        assert!(open(&package, c, "branch:1", &stranger).is_err());
        assert!(open(&package, c, "branch:3", &north).is_err());
        // Bound to its commitment: another commitment does not open it.
        assert!(open(&package, B256::repeat_byte(1), "branch:1", &north).is_err());
        // The profile's text is not in the package.
        assert!(!String::from_utf8_lossy(&package).contains("Ada"));
    }

    #[test]
    fn after_a_rotation_the_previous_key_opens_what_was_sealed_before() {
        let (old, new) = (KeyPair::generate(), KeyPair::generate());
        let (_, canonical) = prepare(profile()).unwrap();
        let c = commitment(&canonical);
        let sealed_before = seal(&canonical, c, &[("branch-1".into(), old.public)]).unwrap();
        let sealed_after = seal(&canonical, c, &[("branch-1".into(), new.public)]).unwrap();
        let keys = |previous: Option<&KeyPair>| BranchKeys {
            current: KeyPair::from_secret_hex(&new.secret_hex()).unwrap(),
            previous: previous.map(|k| KeyPair::from_secret_hex(&k.secret_hex()).unwrap()),
        };
        let rotated = keys(Some(&old));
        assert_eq!(
            rotated.open(&sealed_before, c, "branch-1").unwrap(),
            canonical
        );
        assert_eq!(
            rotated.open(&sealed_after, c, "branch-1").unwrap(),
            canonical
        );
        // Without the previous key the old profiles stay closed, with the current key's error.
        let err = keys(None).open(&sealed_before, c, "branch-1").unwrap_err();
        assert!(
            err.to_string()
                .contains("does not open with branch-1's key"),
            "{err}"
        );
        // A stranger's key as the "previous" one opens nothing more.
        let stranger = KeyPair::generate();
        assert!(
            keys(Some(&stranger))
                .open(&sealed_before, c, "branch-1")
                .is_err()
        );
    }

    #[test]
    fn canonical_form_ignores_key_order_and_whitespace() {
        let a: serde_json::Value = serde_json::from_str(r#"{"b": 1, "a": "x"}"#).unwrap();
        let b: serde_json::Value = serde_json::from_str(r#"{ "a":"x","b":1 }"#).unwrap();
        assert_eq!(canonical(&a).unwrap(), canonical(&b).unwrap());
        assert_eq!(canonical(&a).unwrap(), br#"{"a":"x","b":1}"#);
    }

    #[test]
    fn profiles_missing_fields_are_refused_and_always_freshly_salted() {
        let err = prepare(serde_json::json!({"fullName": "Ada"})).unwrap_err();
        assert!(err.to_string().contains("dateOfBirth"), "{err}");
        assert!(prepare(serde_json::json!([1])).is_err());
        let (a, _) = prepare(profile()).unwrap();
        let (b, _) = prepare(profile()).unwrap();
        assert_ne!(a["salt"], b["salt"], "fresh salt each time");
        assert_eq!(a["salt"].as_str().unwrap().len(), 64, "256 bits");
        // A salt the caller chose (even an empty one) is replaced.
        let mut chosen = profile();
        chosen["salt"] = "".into();
        let (c, _) = prepare(chosen).unwrap();
        assert_eq!(c["salt"].as_str().unwrap().len(), 64);
        let key = KeyPair::generate();
        assert_eq!(
            KeyPair::from_secret_hex(&key.secret_hex()).unwrap().public,
            key.public
        );
    }
}
