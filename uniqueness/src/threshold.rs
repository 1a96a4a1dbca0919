//! The threshold VOPRF: a key ceremony that deals shares of a key nobody keeps, a branch's
//! evaluation of blinded documents under its share (with RFC 9497's DLEQ proof against the
//! share's public key), and a requester's blinding, check and combination.
//!
//! The suite is RFC 9497's ristretto255-SHA512 in VOPRF mode, through the `voprf` crate: it
//! hashes documents to the group, blinds, evaluates with a batch proof and checks that proof.
//! What RFC 9497 leaves to a single server is done here across branches: the key `k` is
//! `f(0)` of a random polynomial of degree `t - 1`; branch `i` holds `f(i)` and publishes
//! `f(i)·G`; `t` partial evaluations `f(i)·B` combine as `Σ λ_i f(i)·B = k·B` (Lagrange at 0),
//! which unblinds and finalizes exactly as RFC 9497's single-server protocol would under `k`
//! (`the_threshold_output_is_rfc_9497s_output_under_the_whole_key`).

use curve25519_dalek::{RistrettoPoint, Scalar, ristretto::CompressedRistretto};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};
use std::collections::BTreeMap;
use voprf::{BlindedElement, EvaluationElement, Proof, Ristretto255, VoprfClient, VoprfServer};
use zeroize::Zeroize;

/// The most documents one evaluation carries.
pub const MAX_BATCH: usize = 256;

/// What went wrong in the threshold protocol.
#[derive(Debug, thiserror::Error)]
pub enum ThresholdError {
    /// A file, a point or a scalar that is not what it must be.
    #[error("{0}")]
    Malformed(String),
    /// A branch that holds no share in this epoch.
    #[error("branch {branch} holds no share of uniqueness epoch {epoch}")]
    UnknownBranch {
        /// The branch.
        branch: u32,
        /// The epoch.
        epoch: u32,
    },
    /// A branch's evaluation whose proof does not hold: it did not use its published share.
    #[error("branch {0}'s evaluation does not prove it used its share: it is ignored")]
    BadProof(u32),
    /// Fewer valid evaluations than the threshold.
    #[error("{have} of the {need} branches needed evaluated the document")]
    TooFew {
        /// Valid evaluations.
        have: usize,
        /// The threshold.
        need: usize,
    },
}

type Result<T, E = ThresholdError> = std::result::Result<T, E>;

fn malformed(what: impl Into<String>) -> ThresholdError {
    ThresholdError::Malformed(what.into())
}

fn point(bytes: &[u8], what: &str) -> Result<RistrettoPoint> {
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| malformed(format!("{what} is not 32 bytes")))?;
    CompressedRistretto(bytes)
        .decompress()
        .ok_or_else(|| malformed(format!("{what} is not a ristretto255 point")))
}

fn hex32(text: &str, what: &str) -> Result<[u8; 32]> {
    hex::decode(text.trim().trim_start_matches("0x"))
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| malformed(format!("{what} is not 32 bytes of hex")))
}

/// A branch's share file, as the key ceremony writes it (readable by the gateway's user only).
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShareFile {
    /// Which key this is a share of (a rotation deals a new epoch).
    pub epoch: u32,
    /// The branch that holds it (its evaluation point).
    pub branch: u32,
    /// How many branches' evaluations make a key.
    pub threshold: u16,
    /// The share, 32 bytes of hex (a ristretto255 scalar, little-endian).
    pub share: String,
}

impl std::fmt::Debug for ShareFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShareFile")
            .field("epoch", &self.epoch)
            .field("branch", &self.branch)
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}

impl Drop for ShareFile {
    fn drop(&mut self) {
        self.share.zeroize();
    }
}

/// An epoch's public facts, as the key ceremony writes them (every gateway has a copy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PublicFile {
    /// The epoch.
    pub epoch: u32,
    /// How many branches' evaluations make a key.
    pub threshold: u16,
    /// Each branch's share's public key `s_i·G` (32 bytes of hex), by branch.
    pub public_keys: BTreeMap<u32, String>,
}

/// An epoch: its threshold and each branch's share's public key.
#[derive(Debug, Clone)]
pub struct Epoch {
    /// The epoch.
    pub epoch: u32,
    /// How many branches' evaluations make a key.
    pub threshold: u16,
    public_keys: BTreeMap<u32, RistrettoPoint>,
}

impl Epoch {
    /// Reads an epoch's public file.
    pub fn new(file: &PublicFile) -> Result<Self> {
        let threshold = usize::from(file.threshold);
        if threshold == 0 || threshold > file.public_keys.len() {
            return Err(malformed(format!(
                "uniqueness epoch {}: a threshold of {} with {} branches",
                file.epoch,
                file.threshold,
                file.public_keys.len()
            )));
        }
        let public_keys = file
            .public_keys
            .iter()
            .map(|(branch, key)| {
                if *branch == 0 {
                    return Err(malformed("branch 0 can't hold a share"));
                }
                let what = format!("branch {branch}'s public key");
                Ok((*branch, point(&hex32(key, &what)?, &what)?))
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            epoch: file.epoch,
            threshold: file.threshold,
            public_keys,
        })
    }

    /// The branches that hold a share.
    pub fn branches(&self) -> impl Iterator<Item = u32> + '_ {
        self.public_keys.keys().copied()
    }

    fn public_key(&self, branch: u32) -> Result<RistrettoPoint> {
        self.public_keys
            .get(&branch)
            .copied()
            .ok_or(ThresholdError::UnknownBranch {
                branch,
                epoch: self.epoch,
            })
    }
}

/// A branch's share of an epoch's key. Its `Debug` shows no secret; it is wiped when dropped.
pub struct Share {
    /// The epoch.
    pub epoch: u32,
    /// The branch that holds it.
    pub branch: u32,
    server: VoprfServer<Ristretto255>,
}

impl std::fmt::Debug for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Share")
            .field("epoch", &self.epoch)
            .field("branch", &self.branch)
            .finish_non_exhaustive()
    }
}

impl Share {
    /// Reads a share file, checked against its epoch's public file: a share whose public key is
    /// not the one the ceremony published for its branch is refused.
    pub fn new(file: &ShareFile, epoch: &Epoch) -> Result<Self> {
        if file.epoch != epoch.epoch || file.threshold != epoch.threshold {
            return Err(malformed(format!(
                "the share is of epoch {} (threshold {}), the public file of epoch {} \
                 (threshold {})",
                file.epoch, file.threshold, epoch.epoch, epoch.threshold
            )));
        }
        let mut bytes = hex32(&file.share, "the share")?;
        let server = VoprfServer::<Ristretto255>::new_with_key(&bytes);
        bytes.zeroize();
        let server = server.map_err(|_| malformed("the share is not a ristretto255 scalar"))?;
        if epoch.public_key(file.branch)? != server.get_public_key() {
            return Err(malformed(format!(
                "the share is not branch {}'s of epoch {}: its public key differs from the \
                 ceremony's",
                file.branch, file.epoch
            )));
        }
        Ok(Self {
            epoch: file.epoch,
            branch: file.branch,
            server,
        })
    }

    /// Evaluates blinded documents (at most [`MAX_BATCH`]) under this share, with one proof.
    pub fn evaluate(&self, elements: &[[u8; 32]]) -> Result<Evaluation> {
        if elements.is_empty() || elements.len() > MAX_BATCH {
            return Err(malformed(format!(
                "an evaluation carries 1 to {MAX_BATCH} blinded documents, not {}",
                elements.len()
            )));
        }
        let blinded = elements
            .iter()
            .map(|e| {
                BlindedElement::<Ristretto255>::deserialize(e)
                    .map_err(|_| malformed("a blinded document is not a ristretto255 point"))
            })
            .collect::<Result<Vec<_>>>()?;
        let evaluated = self
            .server
            .batch_blind_evaluate(&mut OsRng, &blinded)
            .map_err(|err| malformed(format!("evaluating: {err}")))?;
        Ok(Evaluation {
            elements: evaluated
                .messages
                .iter()
                .map(|m| m.serialize().into())
                .collect(),
            proof: evaluated.proof.serialize().to_vec(),
        })
    }
}

/// A branch's evaluation of a batch of blinded documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// `s_i·B` for each blinded `B`, in order.
    pub elements: Vec<[u8; 32]>,
    /// The batch's DLEQ proof (64 bytes).
    pub proof: Vec<u8>,
}

/// A document blinded for evaluation: only its holder can unblind the result.
pub struct Blinded {
    input: Vec<u8>,
    client: VoprfClient<Ristretto255>,
    blind: Scalar,
    element: [u8; 32],
}

impl std::fmt::Debug for Blinded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blinded")
            .field("element", &hex::encode(self.element))
            .finish_non_exhaustive()
    }
}

impl Drop for Blinded {
    fn drop(&mut self) {
        self.input.zeroize();
        self.blind.zeroize();
    }
}

impl Blinded {
    /// Blinds a PRF input (see [`crate::document::input`]) with a fresh random blind.
    pub fn new(input: Vec<u8>) -> Result<Self> {
        let blinded = VoprfClient::<Ristretto255>::blind(&input, &mut OsRng)
            .map_err(|err| malformed(format!("blinding: {err}")))?;
        // The client's serialization is its blind then its blinded element (voprf's
        // `VoprfClient::serialize`): the blind is what unblinds the combined evaluation.
        let state = blinded.state.serialize();
        let blind: [u8; 32] = state[..32]
            .try_into()
            .map_err(|_| malformed("the blind is not 32 bytes"))?;
        let blind = Option::<Scalar>::from(Scalar::from_canonical_bytes(blind))
            .ok_or_else(|| malformed("the blind is not a canonical scalar"))?;
        Ok(Self {
            input,
            client: blinded.state,
            blind,
            element: blinded.message.serialize().into(),
        })
    }

    /// The blinded element sent to the branches.
    pub fn element(&self) -> [u8; 32] {
        self.element
    }
}

/// Keys combined from enough valid evaluations, and which branches' evaluations were refused.
#[derive(Debug)]
pub struct Combined {
    /// One key per blinded document, in order.
    pub keys: Vec<[u8; 32]>,
    /// The branches whose evaluation was used.
    pub used: Vec<u32>,
    /// Branches whose evaluation did not verify (their proof failed or the answer was malformed).
    pub refused: Vec<(u32, ThresholdError)>,
}

/// Checks each branch's evaluation of `blinded` against its public key, combines the first
/// `threshold` valid ones and unblinds: one key per document. Fails with
/// [`ThresholdError::TooFew`] when fewer than the threshold verify.
pub fn combine(
    epoch: &Epoch,
    blinded: &[Blinded],
    evaluations: &[(u32, Evaluation)],
) -> Result<Combined> {
    let need = usize::from(epoch.threshold);
    let clients: Vec<&VoprfClient<Ristretto255>> = blinded.iter().map(|b| &b.client).collect();
    let inputs: Vec<&[u8]> = blinded.iter().map(|b| b.input.as_slice()).collect();
    let mut valid: Vec<(u32, Vec<RistrettoPoint>)> = Vec::with_capacity(need);
    let mut refused = Vec::new();
    for (branch, evaluation) in evaluations {
        if valid.len() == need {
            break;
        }
        if valid.iter().any(|(b, _)| b == branch) {
            continue;
        }
        match verify(epoch, *branch, &clients, &inputs, evaluation) {
            Ok(points) => valid.push((*branch, points)),
            Err(err) => refused.push((*branch, err)),
        }
    }
    if valid.len() < need {
        return Err(ThresholdError::TooFew {
            have: valid.len(),
            need,
        });
    }
    let xs: Vec<Scalar> = valid.iter().map(|(b, _)| Scalar::from(*b)).collect();
    let lambdas: Vec<Scalar> = (0..xs.len())
        .map(|i| {
            let (mut num, mut den) = (Scalar::ONE, Scalar::ONE);
            for (j, xj) in xs.iter().enumerate() {
                if i != j {
                    num *= xj;
                    den *= xj - xs[i];
                }
            }
            num * den.invert()
        })
        .collect();
    let keys = blinded
        .iter()
        .enumerate()
        .map(|(n, b)| {
            let combined: RistrettoPoint = valid
                .iter()
                .zip(&lambdas)
                .map(|((_, points), lambda)| points[n] * lambda)
                .sum();
            finalize(&b.input, combined * b.blind.invert())
        })
        .collect();
    Ok(Combined {
        keys,
        used: valid.into_iter().map(|(b, _)| b).collect(),
        refused,
    })
}

fn verify(
    epoch: &Epoch,
    branch: u32,
    clients: &[&VoprfClient<Ristretto255>],
    inputs: &[&[u8]],
    evaluation: &Evaluation,
) -> Result<Vec<RistrettoPoint>> {
    let public_key = epoch.public_key(branch)?;
    if evaluation.elements.len() != clients.len() {
        return Err(malformed(format!(
            "branch {branch} evaluated {} documents of {}",
            evaluation.elements.len(),
            clients.len()
        )));
    }
    let messages = evaluation
        .elements
        .iter()
        .map(|e| EvaluationElement::<Ristretto255>::deserialize(e))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| {
            malformed(format!(
                "branch {branch}'s evaluation is not group elements"
            ))
        })?;
    let proof = Proof::<Ristretto255>::deserialize(&evaluation.proof)
        .map_err(|_| malformed(format!("branch {branch}'s proof is malformed")))?;
    let clients: Vec<VoprfClient<Ristretto255>> = clients.iter().map(|c| (*c).clone()).collect();
    // RFC 9497's check of the batch's DLEQ proof against the branch's public key: the outputs
    // it would give under the share alone are of no use and dropped.
    let inputs = inputs.to_vec();
    VoprfClient::batch_finalize(&inputs, &clients, &messages, &proof, public_key)
        .map_err(|_| ThresholdError::BadProof(branch))?
        .for_each(drop);
    evaluation
        .elements
        .iter()
        .map(|e| point(e, "an evaluated element"))
        .collect()
}

/// RFC 9497's Finalize of an unblinded element, truncated to the key's 32 bytes.
fn finalize(input: &[u8], unblinded: RistrettoPoint) -> [u8; 32] {
    let output = Sha512::new()
        .chain_update((input.len() as u16).to_be_bytes())
        .chain_update(input)
        .chain_update(32u16.to_be_bytes())
        .chain_update(unblinded.compress().as_bytes())
        .chain_update(b"Finalize")
        .finalize();
    let mut key = [0u8; 32];
    key.copy_from_slice(&output[..32]);
    key
}

/// The key ceremony: deals `threshold`-of-`branches` shares of a fresh random key for
/// `epoch`, and the epoch's public file. The key exists only inside this call.
pub fn deal(epoch: u32, threshold: u16, branches: &[u32]) -> Result<(Vec<ShareFile>, PublicFile)> {
    let mut sorted = branches.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != branches.len() || sorted.contains(&0) {
        return Err(malformed(
            "the branches must be distinct and non-zero (each is its share's evaluation point)",
        ));
    }
    if threshold == 0 || usize::from(threshold) > branches.len() {
        return Err(malformed(format!(
            "a threshold of {threshold} with {} branches",
            branches.len()
        )));
    }
    let mut coefficients: Vec<Scalar> =
        (0..threshold).map(|_| Scalar::random(&mut OsRng)).collect();
    let mut shares = Vec::with_capacity(branches.len());
    let mut public_keys = BTreeMap::new();
    for &branch in branches {
        let x = Scalar::from(branch);
        // Horner: f(x) = a0 + x(a1 + x(a2 + ...)).
        let mut y = coefficients
            .iter()
            .rev()
            .fold(Scalar::ZERO, |acc, a| acc * x + a);
        let public = RistrettoPoint::mul_base(&y);
        public_keys.insert(branch, hex::encode(public.compress().as_bytes()));
        shares.push(ShareFile {
            epoch,
            branch,
            threshold,
            share: hex::encode(y.as_bytes()),
        });
        y.zeroize();
    }
    coefficients.zeroize();
    Ok((
        shares,
        PublicFile {
            epoch,
            threshold,
            public_keys,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::input;

    fn ceremony(threshold: u16, branches: &[u32]) -> (Epoch, Vec<Share>) {
        let (files, public) = deal(7, threshold, branches).unwrap();
        let epoch = Epoch::new(&public).unwrap();
        let shares = files
            .iter()
            .map(|f| Share::new(f, &epoch).unwrap())
            .collect();
        (epoch, shares)
    }

    fn key_with(epoch: &Epoch, shares: &[&Share], document: &[u8]) -> Result<[u8; 32]> {
        let blinded = [Blinded::new(document.to_vec()).unwrap()];
        let element = [blinded[0].element()];
        let evaluations: Vec<_> = shares
            .iter()
            .map(|s| (s.branch, s.evaluate(&element).unwrap()))
            .collect();
        Ok(combine(epoch, &blinded, &evaluations)?.keys[0])
    }

    #[test]
    fn any_threshold_of_branches_gives_one_key_and_fewer_give_none() {
        let (epoch, shares) = ceremony(3, &[1, 2, 3, 4, 5]);
        let doc = input("cn_resident_id", "11010519491231002X");
        let first = key_with(&epoch, &[&shares[0], &shares[1], &shares[2]], &doc).unwrap();
        for subset in [[4usize, 2, 0], [1, 3, 4], [4, 3, 2]] {
            let chosen: Vec<&Share> = subset.iter().map(|i| &shares[*i]).collect();
            assert_eq!(key_with(&epoch, &chosen, &doc).unwrap(), first);
        }
        // Blinding is fresh each time, yet the key is the same; another document, another key.
        let other = input("cn_resident_id", "110105194912310029");
        assert_ne!(
            key_with(&epoch, &[&shares[0], &shares[1], &shares[2]], &other).unwrap(),
            first
        );
        assert!(matches!(
            key_with(&epoch, &[&shares[0], &shares[1]], &doc),
            Err(ThresholdError::TooFew { have: 2, need: 3 })
        ));
        // One share twice is one share.
        assert!(matches!(
            key_with(&epoch, &[&shares[0], &shares[0], &shares[1]], &doc),
            Err(ThresholdError::TooFew { have: 2, need: 3 })
        ));
    }

    #[test]
    fn the_threshold_output_is_rfc_9497s_output_under_the_whole_key() {
        let (files, public) = deal(1, 2, &[3, 8]).unwrap();
        let epoch = Epoch::new(&public).unwrap();
        // Rebuild the key the ceremony never kept, from two shares (Lagrange at 0).
        let s: Vec<Scalar> = files
            .iter()
            .map(|f| Scalar::from_canonical_bytes(hex32(&f.share, "share").unwrap()).unwrap())
            .collect();
        let (x3, x8) = (Scalar::from(3u32), Scalar::from(8u32));
        let k = s[0] * x8 * (x8 - x3).invert() + s[1] * x3 * (x3 - x8).invert();
        let whole = VoprfServer::<Ristretto255>::new_with_key(k.as_bytes()).unwrap();
        let doc = input("passport", "E12345678");
        let expected = whole.evaluate(&doc).unwrap();
        let shares: Vec<Share> = files
            .iter()
            .map(|f| Share::new(f, &epoch).unwrap())
            .collect();
        let got = key_with(&epoch, &[&shares[1], &shares[0]], &doc).unwrap();
        assert_eq!(got[..], expected[..32]);
    }

    #[test]
    fn a_branch_that_evaluates_with_another_scalar_is_caught_and_skipped() {
        let (epoch, shares) = ceremony(2, &[1, 2, 3]);
        let doc = input("passport", "E12345678");
        let honest = key_with(&epoch, &[&shares[0], &shares[1]], &doc).unwrap();
        // Branch 3 answers with a key of its own (its proof is for that key's public key).
        let liar = VoprfServer::<Ristretto255>::new(&mut OsRng).unwrap();
        let blinded = [Blinded::new(doc.clone()).unwrap()];
        let b = BlindedElement::<Ristretto255>::deserialize(&blinded[0].element()).unwrap();
        let lie = liar.batch_blind_evaluate(&mut OsRng, &vec![b]).unwrap();
        let lie = Evaluation {
            elements: lie.messages.iter().map(|m| m.serialize().into()).collect(),
            proof: lie.proof.serialize().to_vec(),
        };
        let element = [blinded[0].element()];
        let evaluations = vec![
            (3, lie),
            (1, shares[0].evaluate(&element).unwrap()),
            (2, shares[1].evaluate(&element).unwrap()),
        ];
        let combined = combine(&epoch, &blinded, &evaluations).unwrap();
        assert_eq!(combined.keys[0], honest);
        assert_eq!(combined.used, vec![1, 2]);
        assert!(matches!(
            combined.refused[..],
            [(3, ThresholdError::BadProof(3))]
        ));
        // An evaluation claimed by a branch the epoch does not know is refused too.
        let stranger = vec![(9, shares[0].evaluate(&element).unwrap())];
        assert!(combine(&epoch, &blinded, &stranger).is_err());
    }

    #[test]
    fn a_share_or_public_file_that_does_not_match_is_refused() {
        let (files, public) = deal(2, 2, &[1, 2]).unwrap();
        let epoch = Epoch::new(&public).unwrap();
        let mut swapped = files[0].clone();
        swapped.branch = 2;
        assert!(
            Share::new(&swapped, &epoch)
                .unwrap_err()
                .to_string()
                .contains("not branch 2's")
        );
        let mut later = files[0].clone();
        later.epoch = 3;
        assert!(Share::new(&later, &epoch).is_err());
        assert!(deal(1, 3, &[1, 2]).is_err());
        assert!(deal(1, 2, &[1, 1, 2]).is_err());
        assert!(deal(1, 1, &[0, 2]).is_err());
        assert!(format!("{:?}", files[0]).find(&files[0].share).is_none());
        let elements = vec![[0u8; 32]; MAX_BATCH + 1];
        let share = Share::new(&files[0], &epoch).unwrap();
        assert!(share.evaluate(&elements).is_err());
        assert!(share.evaluate(&[[0xffu8; 32]]).is_err());
    }
}
