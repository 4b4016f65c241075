//! Predicates and taproot (docs/spec/zkvm.md §Predicate, §Taproot, §Call
//! proof, §Blinded program).
//!
//! A predicate is a point `P`. It is satisfied either by a signature with
//! `P` as the key (`signtx`, `signid`, `signtag`) or, when
//! `P = X + h(X, M)·B` commits to a Merkle tree of programs with root `M`,
//! by revealing one program with its Merkle path (`call`).

use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use musig::{SecretKey, VerificationKey};
use r1cs::{PedersenGens, TranscriptProtocol, VerificationEquation};

use crate::encoding::{Encodable, Reader, ReaderExt, Writer, WriterExt};
use crate::errors::VMError;
use crate::merkle::{Hash, Hasher, MerkleItem, Path};
use crate::ProgramItem;

/// Label of taproot Merkle trees.
const TAPROOT_LABEL: &[u8] = b"ZkVM.taproot";

/// A predicate: its point, and on the prover the secret that satisfies it.
#[derive(Clone)]
pub struct Predicate {
    point: CompressedRistretto,
    witness: Option<PredicateWitness>,
}

/// What the prover knows about a predicate.
#[derive(Clone)]
pub enum PredicateWitness {
    /// The signing key.
    Key(SecretKey),
    /// A taproot tree, with the inner key's secret if the prover has it.
    Tree(Box<PredicateTree>),
}

impl Predicate {
    /// A predicate known only by its point.
    pub fn opaque(point: CompressedRistretto) -> Self {
        Predicate {
            point,
            witness: None,
        }
    }

    /// The predicate `x·B`, satisfied by signing with `key`.
    pub fn key(key: SecretKey) -> Self {
        Predicate {
            point: *key.verification_key().as_compressed(),
            witness: Some(PredicateWitness::Key(key)),
        }
    }

    /// The predicate committing to `tree`.
    pub fn tree(tree: PredicateTree) -> Self {
        Predicate {
            point: tree.outer_key,
            witness: Some(PredicateWitness::Tree(Box::new(tree))),
        }
    }

    /// The predicate's point.
    pub fn to_point(&self) -> CompressedRistretto {
        self.point
    }

    /// The prover's witness.
    pub fn witness(&self) -> Option<&PredicateWitness> {
        self.witness.as_ref()
    }

    /// The predicate as a verification key, if the point is valid.
    pub fn verification_key(&self) -> Result<VerificationKey, VMError> {
        VerificationKey::from_compressed(self.point).map_err(|_| VMError::InvalidPoint("predicate"))
    }

    /// The secret key that signs for this predicate: the key itself, or a
    /// taproot tree's inner key adjusted by `h` (`x + h`).
    pub fn signing_key(&self) -> Option<SecretKey> {
        match &self.witness {
            Some(PredicateWitness::Key(k)) => Some(k.clone()),
            Some(PredicateWitness::Tree(t)) => t.signing_key(),
            None => None,
        }
    }

    /// The deferred check of a `call`: `0 = -P + X + h(X, M)·B`, where `M`
    /// is the root reached from `program` along the call proof's path.
    pub fn call_equation(
        &self,
        program: &ProgramItem,
        proof: &CallProof,
    ) -> Result<VerificationEquation, VMError> {
        let root = proof.path.compute_root(
            &TaprootLeaf::Program(program.clone()),
            &Hasher::new(TAPROOT_LABEL),
        );
        let h = taproot_factor(&proof.key, &root);
        let p = self
            .point
            .decompress()
            .ok_or(VMError::InvalidPoint("predicate"))?;
        let x = proof
            .key
            .decompress()
            .ok_or(VMError::InvalidPoint("call proof key"))?;
        let mut eq = VerificationEquation::new();
        eq.add_basepoint_term(h);
        eq.add_term(-Scalar::ONE, p);
        eq.add_term(Scalar::ONE, x);
        Ok(eq)
    }
}

/// Predicates are equal when their points are.
impl PartialEq for Predicate {
    fn eq(&self, other: &Self) -> bool {
        self.point == other.point
    }
}

impl Eq for Predicate {}

/// The point only: a witness is secret.
impl core::fmt::Debug for Predicate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Predicate(")?;
        for b in self.point.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        write!(
            f,
            "{})",
            if self.witness.is_some() {
                ", <witness>"
            } else {
                ""
            }
        )
    }
}

/// `h(X, M)`: `Transcript("ZkVM.taproot")`, messages `"key"` = X and
/// `"merkle"` = M, challenge scalar `"h"`.
fn taproot_factor(key: &CompressedRistretto, root: &Hash) -> Scalar {
    let mut t = Transcript::new(b"ZkVM.taproot");
    t.append_message(b"key", key.as_bytes());
    t.append_message(b"merkle", root);
    t.challenge_scalar(b"h")
}

/// A leaf of a taproot tree: a program or the blinding leaf paired with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaprootLeaf {
    /// A program that `call` can run (message `"program"`).
    Program(ProgramItem),
    /// 32 bytes that hide the number of programs (message `"blinding"`).
    Blinding([u8; 32]),
}

impl MerkleItem for TaprootLeaf {
    fn commit(&self, t: &mut Transcript) {
        match self {
            TaprootLeaf::Program(p) => t.append_message(b"program", &p.encode_to_vec()),
            TaprootLeaf::Blinding(b) => t.append_message(b"blinding", b),
        }
    }
}

/// A taproot tree: an inner key `X` and programs, committed into the outer
/// key `P = X + h(X, M)·B`.
#[derive(Clone)]
pub struct PredicateTree {
    leaves: Vec<TaprootLeaf>,
    inner_key: CompressedRistretto,
    inner_secret: Option<SecretKey>,
    factor: Scalar,
    outer_key: CompressedRistretto,
}

impl PredicateTree {
    /// Builds the tree of `programs` under the inner key (`None`: the
    /// unsignable key `B2`, so only the programs can open the predicate).
    ///
    /// Each program gets a blinding leaf derived from `blinding_key`:
    /// `Transcript("ZkVM.taproot-derive-blinding")` with u64 `"n"`, `"key"`,
    /// then `"prog"` for each program; then per program 32 challenge bytes
    /// `"blinding"`. The pair is ordered blinding first when the first byte
    /// is even (the reference's derivation; the spec's prose differs).
    pub fn new(
        inner: Option<SecretKey>,
        programs: Vec<ProgramItem>,
        blinding_key: [u8; 32],
    ) -> Result<Self, VMError> {
        let inner_key = inner
            .as_ref()
            .map(|k| *k.verification_key().as_compressed());
        let mut tree = Self::with_inner_key(inner_key, programs, blinding_key)?;
        tree.inner_secret = inner;
        Ok(tree)
    }

    /// [`PredicateTree::new`] for an inner key whose secret the caller does
    /// not hold (another party's key, or a MuSig aggregated key signed for
    /// interactively): the tree opens with `call`, and its key path needs
    /// the inner key's holders plus the public tweak [`PredicateTree::factor`].
    pub fn with_inner_key(
        inner_key: Option<CompressedRistretto>,
        programs: Vec<ProgramItem>,
        blinding_key: [u8; 32],
    ) -> Result<Self, VMError> {
        let inner_key = inner_key.unwrap_or_else(|| PedersenGens::default().B_blinding.compress());
        let mut t = Transcript::new(b"ZkVM.taproot-derive-blinding");
        t.append_u64(b"n", programs.len() as u64);
        t.append_message(b"key", &blinding_key);
        for p in &programs {
            t.append_message(b"prog", &p.encode_to_vec());
        }
        let mut leaves = Vec::with_capacity(2 * programs.len());
        for p in programs {
            let mut blinding = [0u8; 32];
            t.challenge_bytes(b"blinding", &mut blinding);
            let (b, p) = (TaprootLeaf::Blinding(blinding), TaprootLeaf::Program(p));
            if blinding[0] & 1 == 0 {
                leaves.extend([b, p]);
            } else {
                leaves.extend([p, b]);
            }
        }
        let root = Hasher::new(TAPROOT_LABEL).root(&leaves);
        let factor = taproot_factor(&inner_key, &root);
        let x = inner_key
            .decompress()
            .ok_or(VMError::InvalidPoint("inner key"))?;
        let outer_key = (x + PedersenGens::default().B * factor).compress();
        Ok(PredicateTree {
            leaves,
            inner_key,
            inner_secret: None,
            factor,
            outer_key,
        })
    }

    /// The outer key `P`.
    pub fn outer_key(&self) -> CompressedRistretto {
        self.outer_key
    }

    /// The inner key `X`.
    pub fn inner_key(&self) -> CompressedRistretto {
        self.inner_key
    }

    /// The taproot tweak `h(X, M)`: the outer key is `X + h·B`, so the key
    /// path signs with `x + h`.
    pub fn factor(&self) -> Scalar {
        self.factor
    }

    /// The number of programs.
    pub fn programs(&self) -> usize {
        self.leaves.len() / 2
    }

    /// The secret `x + h` of the outer key, if the inner secret is known.
    pub fn signing_key(&self) -> Option<SecretKey> {
        self.inner_secret.as_ref().map(|k| k.tweak(&self.factor))
    }

    /// The call proof and program of the `index`-th program.
    pub fn call_proof(&self, index: usize) -> Result<(CallProof, ProgramItem), VMError> {
        let pair = index
            .checked_mul(2)
            .and_then(|i| self.leaves.get(i..i.checked_add(2)?))
            .ok_or(VMError::InvalidCallProof("no such program"))?;
        let leaf_index = 2 * index + usize::from(matches!(pair[0], TaprootLeaf::Blinding(_)));
        let TaprootLeaf::Program(program) = &self.leaves[leaf_index] else {
            return Err(VMError::InvalidCallProof("no such program"));
        };
        let path = Path::new(&self.leaves, leaf_index, &Hasher::new(TAPROOT_LABEL))
            .ok_or(VMError::InvalidCallProof("no such program"))?;
        Ok((
            CallProof {
                key: self.inner_key,
                path,
            },
            program.clone(),
        ))
    }
}

/// The argument of `call`: the inner key `X` and the program's Merkle path:
/// `X(32) || LE64(position) || LE32(n) || n × 32 bytes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallProof {
    /// The inner key `X`.
    pub key: CompressedRistretto,
    /// Path from the program's leaf to the root.
    pub path: Path,
}

impl CallProof {
    /// Decodes a call proof spanning all of `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<CallProof, VMError> {
        Reader::read_all(bytes, |r| {
            Ok(CallProof {
                key: r.read_point()?,
                path: Path::decode(r)?,
            })
        })
    }
}

impl Encodable for CallProof {
    fn encode(&self, w: &mut impl Writer) {
        w.write_point(b"key", &self.key);
        self.path.encode(w);
    }

    fn encoded_size(&self) -> usize {
        32 + self.path.encoded_size()
    }
}
