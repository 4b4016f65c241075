//! The seed and the keys derived from it (docs/spec/wallet.md §Seed,
//! §Keys).

use bip39::{Language, Mnemonic};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use musig::SecretKey;
use rand_core::{CryptoRng, RngCore};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};
use zkvm::{Data, Predicate, Value};

use crate::{Address, WalletError};

/// Number of words of a recovery phrase (256 bits of entropy).
pub const MNEMONIC_WORDS: usize = 24;

/// Label of every key derivation transcript (docs/spec/wallet.md §Keys).
const DERIVE_LABEL: &[u8] = b"ZkVM.wallet.derive";

/// The 64-byte BIP39 seed of a recovery phrase (empty passphrase), from
/// which every key of the wallet derives (docs/spec/wallet.md §Seed).
/// Zeroized on drop; `Debug` does not show it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Seed([u8; 64]);

impl Seed {
    /// The seed of a 24-word English phrase (docs/spec/wallet.md §Seed):
    /// BIP39's PBKDF2 with an empty passphrase. Words are separated by
    /// whitespace; the BIP39 checksum must hold.
    pub fn from_phrase(phrase: &str) -> Result<Seed, WalletError> {
        let words = phrase.split_whitespace().count();
        if words != MNEMONIC_WORDS {
            return Err(WalletError::MnemonicLength(words));
        }
        let mnemonic = Mnemonic::parse_in_normalized(Language::English, phrase)
            .map_err(WalletError::InvalidMnemonic)?;
        Ok(Seed(mnemonic.to_seed_normalized("")))
    }

    /// A fresh phrase from 32 random bytes, and its seed.
    pub fn generate<R: RngCore + CryptoRng>(
        rng: &mut R,
    ) -> Result<(Seed, Zeroizing<String>), WalletError> {
        let mut entropy = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(entropy.as_mut());
        let mnemonic = Mnemonic::from_entropy_in(Language::English, entropy.as_ref())
            .map_err(WalletError::InvalidMnemonic)?;
        let phrase = Zeroizing::new(mnemonic.to_string());
        Ok((Seed(mnemonic.to_seed_normalized("")), phrase))
    }

    /// The seed's bytes.
    pub fn from_bytes(bytes: [u8; 64]) -> Seed {
        Seed(bytes)
    }

    /// The seed's bytes (secret).
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }
}

impl ConstantTimeEq for Seed {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0.ct_eq(&other.0)
    }
}

impl core::fmt::Debug for Seed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Seed").finish_non_exhaustive()
    }
}

/// The view key: decrypts the notes of payments to the wallet
/// (docs/spec/wallet.md §Keys, §Notes). Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ViewKey(Scalar);

impl ViewKey {
    /// A view key from its scalar.
    pub fn from_scalar(v: Scalar) -> ViewKey {
        ViewKey(v)
    }

    /// The secret scalar.
    pub fn as_scalar(&self) -> &Scalar {
        &self.0
    }

    /// The encryption key `v·B` that addresses carry.
    pub fn encryption_point(&self) -> RistrettoPoint {
        &self.0 * RISTRETTO_BASEPOINT_TABLE
    }
}

impl core::fmt::Debug for ViewKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ViewKey").finish_non_exhaustive()
    }
}

/// A wallet's keys: receiving keys by index, one issuance key, one view
/// key, all derived from the [`Seed`] (docs/spec/wallet.md §Keys).
#[derive(Clone)]
pub struct Keys {
    seed: Seed,
    view: ViewKey,
    encryption: RistrettoPoint,
    issuance: SecretKey,
}

impl Keys {
    /// Derives the keys of `seed`.
    pub fn new(seed: Seed) -> Keys {
        let view = ViewKey(derive_scalar(&seed, b"view", None));
        let issuance = SecretKey::from_scalar(derive_scalar(&seed, b"issue", None));
        let encryption = view.encryption_point();
        Keys {
            seed,
            view,
            encryption,
            issuance,
        }
    }

    /// The seed.
    pub fn seed(&self) -> &Seed {
        &self.seed
    }

    /// The receiving (spend) key of address `index`.
    pub fn spend_key(&self, index: u32) -> SecretKey {
        SecretKey::from_scalar(derive_scalar(&self.seed, b"spend", Some(index)))
    }

    /// The predicate point of address `index`: its spend key times `B`.
    pub fn receiving_point(&self, index: u32) -> CompressedRistretto {
        *self.spend_key(index).verification_key().as_compressed()
    }

    /// The view key.
    pub fn view_key(&self) -> &ViewKey {
        &self.view
    }

    /// The issuance key, whose predicate names the wallet's flavors.
    pub fn issuance_key(&self) -> &SecretKey {
        &self.issuance
    }

    /// The issuance predicate, with its secret (so the prover can sign).
    pub fn issuance_predicate(&self) -> Predicate {
        Predicate::key(self.issuance.clone())
    }

    /// The flavor this wallet issues under `metadata` (docs/spec/zkvm.md
    /// §issue): `Value::issue_flavor(issuance predicate, metadata)`.
    pub fn issuance_flavor(&self, metadata: &[u8]) -> Scalar {
        Value::issue_flavor(&self.issuance_predicate(), &Data::Opaque(metadata.to_vec()))
    }

    /// Address `index`: its receiving point and the encryption key.
    pub fn address(&self, index: u32) -> Address {
        // A derived key is never zero except with probability 2^-252, so
        // its point is not the identity.
        Address::from_parts(self.receiving_point(index), self.encryption)
    }
}

impl ConstantTimeEq for Keys {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.seed.ct_eq(&other.seed)
    }
}

impl core::fmt::Debug for Keys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Keys")
            .field("encryption", &self.encryption.compress())
            .finish_non_exhaustive()
    }
}

/// `T = Transcript("ZkVM.wallet.derive")`, `T.append("seed", seed)`,
/// `T.append("purpose", purpose)`, for spend keys `T.append("index",
/// LE32(index))`, then 64 challenge bytes `"key"` reduced modulo the group
/// order (docs/spec/wallet.md §Keys).
fn derive_scalar(seed: &Seed, purpose: &'static [u8], index: Option<u32>) -> Scalar {
    let mut t = Transcript::new(DERIVE_LABEL);
    t.append_message(b"seed", seed.as_bytes());
    t.append_message(b"purpose", purpose);
    if let Some(i) = index {
        t.append_message(b"index", &i.to_le_bytes());
    }
    let mut wide = Zeroizing::new([0u8; 64]);
    t.challenge_bytes(b"key", wide.as_mut());
    Scalar::from_bytes_mod_order_wide(&wide)
}

/// A canonical scalar from 32 bytes, or `None`.
pub(crate) fn canonical_scalar(bytes: [u8; 32]) -> Option<Scalar> {
    Option::from(Scalar::from_canonical_bytes(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// The BIP39 test vector phrase of 24 × "abandon" … "art".
    pub const PHRASE: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art";

    #[test]
    fn seed_of_the_bip39_vector() {
        // The BIP39 seed of this phrase with the empty passphrase, as
        // published in the test vectors of other BIP39 implementations
        // (e.g. the "abandon … art" vector with no passphrase).
        let seed = Seed::from_phrase(PHRASE).unwrap();
        assert_eq!(
            crate::address::to_hex(seed.as_bytes()),
            "408b285c123836004f4b8842c89324c1f01382450c0d439af345ba7fc49acf70\
             5489c6fc77dbd4e3dc1dd8cc6bc9f043db8ada1e243c4a0eafb290d399480840"
        );
        let again = Seed::from_phrase(&PHRASE.replace(' ', "  ")).unwrap();
        assert!(bool::from(seed.ct_eq(&again)));
    }

    #[test]
    fn derivation_is_deterministic_and_separated() {
        let a = Keys::new(Seed::from_phrase(PHRASE).unwrap());
        let b = Keys::new(Seed::from_phrase(PHRASE).unwrap());
        assert_eq!(a.receiving_point(0), b.receiving_point(0));
        assert_eq!(a.receiving_point(7), b.receiving_point(7));
        assert_ne!(a.receiving_point(0), a.receiving_point(1));
        assert_eq!(a.address(3), b.address(3));
        assert_eq!(a.issuance_flavor(b"x"), b.issuance_flavor(b"x"));
        assert_ne!(a.issuance_flavor(b"x"), a.issuance_flavor(b"y"));
        let view = a.view_key().as_scalar();
        let issue = a.issuance_key().verification_key();
        assert_ne!(view * RISTRETTO_BASEPOINT_TABLE, *issue.as_point());
        assert_ne!(
            issue.as_compressed(),
            &a.receiving_point(0),
            "purposes are separated"
        );
        let other = Keys::new(Seed::from_bytes([1; 64]));
        assert_ne!(other.receiving_point(0), a.receiving_point(0));
    }

    #[test]
    fn phrases_are_checked() {
        assert!(matches!(
            Seed::from_phrase("abandon abandon"),
            Err(WalletError::MnemonicLength(2))
        ));
        let bad_checksum = PHRASE.replace(" art", " abandon");
        assert!(matches!(
            Seed::from_phrase(&bad_checksum),
            Err(WalletError::InvalidMnemonic(_))
        ));
        let unknown_word = PHRASE.replace(" art", " zzzz");
        assert!(matches!(
            Seed::from_phrase(&unknown_word),
            Err(WalletError::InvalidMnemonic(_))
        ));
    }

    #[test]
    fn generated_phrases_give_back_their_seed() {
        let mut rng = rand::thread_rng();
        let (seed, phrase) = Seed::generate(&mut rng).unwrap();
        assert_eq!(phrase.split(' ').count(), 24);
        let back = Seed::from_phrase(&phrase).unwrap();
        assert!(bool::from(seed.ct_eq(&back)));
    }

    #[test]
    fn debug_shows_no_secret() {
        let keys = Keys::new(Seed::from_bytes([7; 64]));
        let s = format!("{keys:?} {:?} {:?}", keys.seed(), keys.view_key());
        assert!(!s.contains("07, 07"));
        assert!(!s.contains(&crate::address::to_hex(
            keys.view_key().as_scalar().as_bytes()
        )));
    }
}
