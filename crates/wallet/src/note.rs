//! Encrypted openings of outputs (docs/spec/wallet.md §Notes): a payment
//! tells its recipient what the output's commitments hide.

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, KeyInit, Nonce};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};
use zkvm::{Anchor, Commitment, Contract, Data, PortableItem, Predicate, Value};

use crate::address::check_point;
use crate::keys::{canonical_scalar, ViewKey};
use crate::{Address, WalletError};

/// The current (only) note version, its first byte.
pub const NOTE_VERSION: u8 = 1;

/// Largest memo a note carries, in bytes.
pub const MAX_MEMO: usize = 512;

/// Bytes of an opening without memo: quantity, flavor, two blindings.
pub(crate) const OPENING_BYTES: usize = 8 + 32 + 32 + 32;

/// Bytes of the AEAD tag.
const TAG_BYTES: usize = 16;

/// Smallest note: version, `R`, an opening without memo, the tag.
pub const MIN_NOTE_BYTES: usize = 1 + 32 + OPENING_BYTES + TAG_BYTES;

/// Largest note: with a memo of [`MAX_MEMO`] bytes.
pub const MAX_NOTE_BYTES: usize = MIN_NOTE_BYTES + MAX_MEMO;

/// What an output's value commitments hide, and a memo
/// (docs/spec/wallet.md §Notes): `qty·B + qty_blinding·B2` and
/// `flavor·B + flavor_blinding·B2`. Zeroized on drop; `Debug` shows
/// nothing secret.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct NoteOpening {
    /// The quantity.
    pub qty: u64,
    /// The flavor.
    pub flavor: Scalar,
    /// The quantity commitment's blinding factor.
    pub qty_blinding: Scalar,
    /// The flavor commitment's blinding factor.
    pub flavor_blinding: Scalar,
    /// A memo from the payer, at most [`MAX_MEMO`] bytes.
    pub memo: Vec<u8>,
}

impl NoteOpening {
    /// An opening of `qty` of `flavor` with fresh random blindings.
    pub fn random<R: RngCore + CryptoRng>(qty: u64, flavor: Scalar, rng: &mut R) -> NoteOpening {
        NoteOpening {
            qty,
            flavor,
            qty_blinding: Scalar::random(rng),
            flavor_blinding: Scalar::random(rng),
            memo: Vec::new(),
        }
    }

    /// The value with open commitments (what the prover needs).
    pub fn value(&self) -> Value {
        Value {
            qty: Commitment::blinded_with_factor(self.qty, self.qty_blinding),
            flv: Commitment::blinded_with_factor(self.flavor, self.flavor_blinding),
        }
    }

    /// Whether this opens `value`'s two commitments.
    pub fn opens(&self, value: &Value) -> bool {
        let mine = self.value();
        mine.qty.to_point() == value.qty.to_point() && mine.flv.to_point() == value.flv.to_point()
    }

    /// `LE64 qty || flavor || qty_blinding || flavor_blinding || memo`:
    /// the plaintext of a note (docs/spec/wallet.md §Notes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(OPENING_BYTES + self.memo.len());
        out.extend_from_slice(&self.qty.to_le_bytes());
        out.extend_from_slice(self.flavor.as_bytes());
        out.extend_from_slice(self.qty_blinding.as_bytes());
        out.extend_from_slice(self.flavor_blinding.as_bytes());
        out.extend_from_slice(&self.memo);
        out
    }

    /// Strict decoding of [`NoteOpening::to_bytes`]: canonical scalars, a
    /// memo of at most [`MAX_MEMO`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<NoteOpening, WalletError> {
        if bytes.len() < OPENING_BYTES {
            return Err(WalletError::NoteOpening("too short"));
        }
        let memo = &bytes[OPENING_BYTES..];
        if memo.len() > MAX_MEMO {
            return Err(WalletError::MemoTooLong {
                max: MAX_MEMO,
                got: memo.len(),
            });
        }
        let mut qty = [0u8; 8];
        qty.copy_from_slice(&bytes[..8]);
        let scalar = |at: usize| {
            let mut b = [0u8; 32];
            b.copy_from_slice(&bytes[at..at + 32]);
            canonical_scalar(b).ok_or(WalletError::NoteOpening("non-canonical scalar"))
        };
        Ok(NoteOpening {
            qty: u64::from_le_bytes(qty),
            flavor: scalar(8)?,
            qty_blinding: scalar(40)?,
            flavor_blinding: scalar(72)?,
            memo: memo.to_vec(),
        })
    }
}

impl core::fmt::Debug for NoteOpening {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NoteOpening").finish_non_exhaustive()
    }
}

/// An opening encrypted to a recipient (docs/spec/wallet.md §Notes):
/// `version (0x01) || R (32) || ciphertext`, the ciphertext being the
/// ChaCha20-Poly1305 encryption of the [`NoteOpening`] bytes (tag
/// included). Stored as the second payload item of an output, a string.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct EncryptedNote {
    ephemeral: CompressedRistretto,
    ciphertext: Vec<u8>,
}

impl EncryptedNote {
    /// Encrypts `opening` to `encryption_key` for an output locked by
    /// `predicate` (docs/spec/wallet.md §Notes): a fresh `r`, `R = r·B`,
    /// the shared point `r·E`, then a key and nonce from
    /// `Transcript("ZkVM.wallet.note")` over `R`, the shared point and the
    /// predicate.
    pub fn seal<R: RngCore + CryptoRng>(
        opening: &NoteOpening,
        encryption_key: &RistrettoPoint,
        predicate: &CompressedRistretto,
        rng: &mut R,
    ) -> Result<EncryptedNote, WalletError> {
        if opening.memo.len() > MAX_MEMO {
            return Err(WalletError::MemoTooLong {
                max: MAX_MEMO,
                got: opening.memo.len(),
            });
        }
        let mut r = Scalar::random(rng);
        let ephemeral = (&r * RISTRETTO_BASEPOINT_TABLE).compress();
        let shared = (r * encryption_key).compress();
        r.zeroize();
        let (cipher, nonce) = note_cipher(&ephemeral, &shared, predicate);
        let plaintext = Zeroizing::new(opening.to_bytes());
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plaintext,
                    aad: &[NOTE_VERSION],
                },
            )
            .map_err(|_| WalletError::NoteOpening("encryption failed"))?;
        Ok(EncryptedNote {
            ephemeral,
            ciphertext,
        })
    }

    /// Decrypts with the view key for an output locked by `predicate`;
    /// `NoteDecryption` if the note is not for this key and predicate.
    pub fn open(
        &self,
        view: &ViewKey,
        predicate: &CompressedRistretto,
    ) -> Result<NoteOpening, WalletError> {
        let r = check_point(&self.ephemeral, "note ephemeral key")?;
        let shared = (view.as_scalar() * r).compress();
        let (cipher, nonce) = note_cipher(&self.ephemeral, &shared, predicate);
        let plaintext = Zeroizing::new(
            cipher
                .decrypt(
                    &nonce,
                    Payload {
                        msg: &self.ciphertext,
                        aad: &[NOTE_VERSION],
                    },
                )
                .map_err(|_| WalletError::NoteDecryption)?,
        );
        NoteOpening::from_bytes(&plaintext)
    }

    /// The ephemeral key `R`.
    pub fn ephemeral_key(&self) -> CompressedRistretto {
        self.ephemeral
    }

    /// The encoding: `0x01 || R || ciphertext`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(33 + self.ciphertext.len());
        out.push(NOTE_VERSION);
        out.extend_from_slice(self.ephemeral.as_bytes());
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// Strict decoding: the length ([`MIN_NOTE_BYTES`] to
    /// [`MAX_NOTE_BYTES`]), the version, and `R` a canonical point other
    /// than the identity. Whatever decodes re-encodes to the same bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<EncryptedNote, WalletError> {
        if !(MIN_NOTE_BYTES..=MAX_NOTE_BYTES).contains(&bytes.len()) {
            return Err(WalletError::NoteLength {
                min: MIN_NOTE_BYTES,
                max: MAX_NOTE_BYTES,
                got: bytes.len(),
            });
        }
        if bytes[0] != NOTE_VERSION {
            return Err(WalletError::NoteVersion(bytes[0]));
        }
        let mut r = [0u8; 32];
        r.copy_from_slice(&bytes[1..33]);
        let ephemeral = CompressedRistretto(r);
        check_point(&ephemeral, "note ephemeral key")?;
        Ok(EncryptedNote {
            ephemeral,
            ciphertext: bytes[33..].to_vec(),
        })
    }
}

/// `T = Transcript("ZkVM.wallet.note")`, messages `"R"`, `"shared"`,
/// `"predicate"`; 32 challenge bytes `"key"`, then 12 `"nonce"`
/// (docs/spec/wallet.md §Notes).
fn note_cipher(
    ephemeral: &CompressedRistretto,
    shared: &CompressedRistretto,
    predicate: &CompressedRistretto,
) -> (ChaCha20Poly1305, Nonce) {
    let mut t = Transcript::new(b"ZkVM.wallet.note");
    t.append_message(b"R", ephemeral.as_bytes());
    t.append_message(b"shared", shared.as_bytes());
    t.append_message(b"predicate", predicate.as_bytes());
    let mut key = Zeroizing::new([0u8; 32]);
    t.challenge_bytes(b"key", key.as_mut());
    let mut nonce = [0u8; 12];
    t.challenge_bytes(b"nonce", &mut nonce);
    (
        ChaCha20Poly1305::new(Key::from_slice(key.as_ref())),
        *Nonce::from_slice(&nonce),
    )
}

/// An output paying `opening` to `to` on `anchor`: predicate `to`'s
/// predicate, payload `[value, note]` with the note encrypted to `to`
/// (docs/spec/wallet.md §Notes, §Genesis funding). The value's
/// commitments are open (the returned contract's ID is the output's).
pub fn output_to(
    to: &Address,
    opening: &NoteOpening,
    anchor: Anchor,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Contract, WalletError> {
    let note = EncryptedNote::seal(opening, to.encryption_point(), &to.predicate(), rng)?;
    Ok(Contract {
        anchor,
        predicate: Predicate::opaque(to.predicate()),
        payload: vec![
            PortableItem::Value(opening.value()),
            PortableItem::String(Data::Opaque(note.to_bytes())),
        ],
    })
}

/// An output of `qty` of `flavor` to `to` on `anchor`, with fresh
/// blindings and an encrypted note (docs/spec/wallet.md §Genesis
/// funding): how a network's genesis funds a wallet.
pub fn pay_to(
    to: &Address,
    qty: u64,
    flavor: Scalar,
    anchor: Anchor,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<Contract, WalletError> {
    let opening = NoteOpening::random(qty, flavor, rng);
    output_to(to, &opening, anchor, rng)
}

/// The anchor of the `index`-th genesis output of the network named
/// `network` (docs/spec/wallet.md §Genesis funding):
/// `Transcript("ZkVM.wallet.genesis-anchor")`, messages `"network"` and
/// `"index"` (LE64), 32 challenge bytes `"anchor"`.
pub fn genesis_anchor(network: &[u8], index: u64) -> Anchor {
    let mut t = Transcript::new(b"ZkVM.wallet.genesis-anchor");
    t.append_message(b"network", network);
    t.append_message(b"index", &index.to_le_bytes());
    let mut a = [0u8; 32];
    t.challenge_bytes(b"anchor", &mut a);
    Anchor::from_bytes(a)
}

/// If `output` is of the form the wallet pays (`[value, note]`), its
/// value and note (docs/spec/wallet.md §Scanning).
pub(crate) fn value_and_note(output: &Contract) -> Option<(&Value, EncryptedNote)> {
    match output.payload.as_slice() {
        [PortableItem::Value(v), PortableItem::String(Data::Opaque(note))] => {
            Some((v, EncryptedNote::from_bytes(note).ok()?))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::keys::{Keys, Seed};
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn keys(n: u8) -> Keys {
        Keys::new(Seed::from_bytes([n; 64]))
    }

    fn opening(memo: &[u8]) -> NoteOpening {
        let mut o = NoteOpening::random(1234, Scalar::from(99u64), &mut StdRng::seed_from_u64(1));
        o.memo = memo.to_vec();
        o
    }

    #[test]
    fn the_recipient_decrypts_and_nobody_else() {
        let mut rng = StdRng::seed_from_u64(2);
        let bob = keys(1);
        let eve = keys(2);
        let to = bob.address(0);
        let o = opening(b"thanks for lunch");
        let note =
            EncryptedNote::seal(&o, to.encryption_point(), &to.predicate(), &mut rng).unwrap();
        let bytes = note.to_bytes();
        assert_eq!(bytes.len(), MIN_NOTE_BYTES + 16);
        let back = EncryptedNote::from_bytes(&bytes).unwrap();
        assert_eq!(back, note);
        assert_eq!(back.open(bob.view_key(), &to.predicate()).unwrap(), o);
        // Another view key, or the note moved to another output's predicate.
        assert!(matches!(
            back.open(eve.view_key(), &to.predicate()),
            Err(WalletError::NoteDecryption)
        ));
        assert!(matches!(
            back.open(bob.view_key(), &bob.receiving_point(1)),
            Err(WalletError::NoteDecryption)
        ));
        // Any flipped bit of the ciphertext.
        for i in [33, 60, bytes.len() - 1] {
            let mut t = bytes.clone();
            t[i] ^= 1;
            let n = EncryptedNote::from_bytes(&t).unwrap();
            assert!(matches!(
                n.open(bob.view_key(), &to.predicate()),
                Err(WalletError::NoteDecryption)
            ));
        }
    }

    #[test]
    fn the_opening_opens_the_output() {
        let mut rng = StdRng::seed_from_u64(3);
        let bob = keys(1);
        let out = pay_to(
            &bob.address(4),
            77,
            Scalar::ZERO,
            genesis_anchor(b"t", 0),
            &mut rng,
        )
        .unwrap();
        let (value, note) = value_and_note(&out).unwrap();
        let o = note.open(bob.view_key(), &bob.receiving_point(4)).unwrap();
        assert_eq!((o.qty, o.flavor), (77, Scalar::ZERO));
        assert!(o.opens(value));
        let mut other = o.clone();
        other.qty = 78;
        assert!(!other.opens(value));
    }

    #[test]
    fn decoder_rejections() {
        let mut rng = StdRng::seed_from_u64(4);
        let to = keys(1).address(0);
        let bytes = EncryptedNote::seal(
            &opening(b""),
            to.encryption_point(),
            &to.predicate(),
            &mut rng,
        )
        .unwrap()
        .to_bytes();
        assert_eq!(bytes.len(), MIN_NOTE_BYTES);
        assert!(matches!(
            EncryptedNote::from_bytes(&bytes[..bytes.len() - 1]),
            Err(WalletError::NoteLength { .. })
        ));
        assert!(matches!(
            EncryptedNote::from_bytes(&vec![1; MAX_NOTE_BYTES + 1]),
            Err(WalletError::NoteLength { .. })
        ));
        let mut v = bytes.clone();
        v[0] = 2;
        assert!(matches!(
            EncryptedNote::from_bytes(&v),
            Err(WalletError::NoteVersion(2))
        ));
        let mut id = bytes.clone();
        id[1..33].fill(0);
        assert!(matches!(
            EncryptedNote::from_bytes(&id),
            Err(WalletError::InvalidPoint(_))
        ));
        let mut nc = bytes.clone();
        nc[1..33].fill(0xff);
        assert!(matches!(
            EncryptedNote::from_bytes(&nc),
            Err(WalletError::InvalidPoint(_))
        ));
        assert!(matches!(
            EncryptedNote::seal(
                &opening(&[0; MAX_MEMO + 1]),
                to.encryption_point(),
                &to.predicate(),
                &mut rng
            ),
            Err(WalletError::MemoTooLong { .. })
        ));
    }

    #[test]
    fn opening_decoder_rejections() {
        let o = opening(b"m");
        let bytes = o.to_bytes();
        assert_eq!(NoteOpening::from_bytes(&bytes).unwrap(), o);
        assert!(NoteOpening::from_bytes(&bytes[..OPENING_BYTES - 1]).is_err());
        let mut nc = bytes.clone();
        nc[8..40].fill(0xff);
        assert!(matches!(
            NoteOpening::from_bytes(&nc),
            Err(WalletError::NoteOpening("non-canonical scalar"))
        ));
        let mut long = bytes[..OPENING_BYTES].to_vec();
        long.extend_from_slice(&[0; MAX_MEMO + 1]);
        assert!(matches!(
            NoteOpening::from_bytes(&long),
            Err(WalletError::MemoTooLong { .. })
        ));
    }

    #[test]
    fn genesis_anchors_differ_by_network_and_index() {
        assert_ne!(genesis_anchor(b"a", 0), genesis_anchor(b"a", 1));
        assert_ne!(genesis_anchor(b"a", 0), genesis_anchor(b"b", 0));
        assert_eq!(genesis_anchor(b"a", 0), genesis_anchor(b"a", 0));
    }

    proptest! {
        #[test]
        fn notes_round_trip(qty: u64, f: [u8; 32], memo in proptest::collection::vec(any::<u8>(), 0..=MAX_MEMO), seed: u64) {
            let mut rng = StdRng::seed_from_u64(seed);
            let bob = keys(9);
            let to = bob.address(2);
            let mut o = NoteOpening::random(qty, Scalar::from_bytes_mod_order(f), &mut rng);
            o.memo = memo;
            let note = EncryptedNote::seal(&o, to.encryption_point(), &to.predicate(), &mut rng).unwrap();
            let bytes = note.to_bytes();
            let back = EncryptedNote::from_bytes(&bytes).unwrap();
            prop_assert_eq!(back.to_bytes(), bytes);
            prop_assert_eq!(back.open(bob.view_key(), &to.predicate()).unwrap(), o);
        }

        #[test]
        fn decoding_arbitrary_bytes_never_panics_and_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..700)) {
            if let Ok(note) = EncryptedNote::from_bytes(&bytes) {
                prop_assert_eq!(note.to_bytes(), bytes.clone());
                let _ = note.open(keys(1).view_key(), &keys(1).receiving_point(0));
            }
            if let Ok(o) = NoteOpening::from_bytes(&bytes) {
                prop_assert_eq!(o.to_bytes(), bytes);
            }
        }
    }
}
