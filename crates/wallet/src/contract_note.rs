//! Contract notes (docs/spec/wallet.md §Contract notes): what a contract's
//! value commitments hide and its terms, encrypted once and readable by
//! every party the locker names. A contract note is logged as a `data`
//! entry right after the contract's `output` entry, so the contract's
//! payload stays what its branches expect (its values only) and its
//! predicate is all that links the note to it.

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, KeyInit, Nonce};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

use crate::address::check_point;
use crate::keys::ViewKey;
use crate::note::{NoteOpening, OPENING_BYTES};
use crate::terms::{Terms, MAX_PARTIES};
use crate::WalletError;

/// A contract note's first byte (a payment's note starts with 1).
pub const CONTRACT_NOTE_VERSION: u8 = 2;

/// Bytes of a wrapped content key: the key and its AEAD tag.
const WRAPPED_BYTES: usize = 32 + 16;

/// Largest contract note, in bytes.
pub const MAX_CONTRACT_NOTE_BYTES: usize = 64 * 1024;

/// What a contract note tells each party: the opening of the contract's
/// value and the contract's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractSecrets {
    /// The opening of the contract's value (its memo is empty).
    pub opening: NoteOpening,
    /// The terms (they give the predicate).
    pub terms: Terms,
}

/// Encrypts `secrets` to every key of `recipients` (docs/spec/wallet.md
/// §Contract notes):
/// `0x02 || R || n || n × wrap_i || ciphertext`. A fresh content key `k`
/// encrypts `opening || terms` (ChaCha20-Poly1305, zero nonce, associated
/// data `0x02 || predicate`); for each recipient `i` with encryption key
/// `E_i`, `wrap_i` encrypts `k` under a key and nonce drawn from
/// `Transcript("ZkVM.wallet.contract-note")` over `R = r·B`, `r·E_i`, the
/// predicate and `i`.
pub fn seal<R: RngCore + CryptoRng>(
    secrets: &ContractSecrets,
    recipients: &[RistrettoPoint],
    rng: &mut R,
) -> Result<Vec<u8>, WalletError> {
    if recipients.is_empty() || recipients.len() > MAX_PARTIES {
        return Err(WalletError::Terms(format!(
            "a contract note has 1 to {MAX_PARTIES} recipients, not {}",
            recipients.len()
        )));
    }
    let predicate = secrets.terms.predicate();
    let mut content_key = Zeroizing::new([0u8; 32]);
    rng.fill_bytes(content_key.as_mut());
    let mut r = Scalar::random(rng);
    let ephemeral = (&r * RISTRETTO_BASEPOINT_TABLE).compress();
    let mut out = vec![CONTRACT_NOTE_VERSION];
    out.extend_from_slice(ephemeral.as_bytes());
    out.push(recipients.len() as u8);
    for (i, e) in recipients.iter().enumerate() {
        let shared = (r * e).compress();
        let (cipher, nonce) = wrap_cipher(&ephemeral, &shared, &predicate, i);
        let wrapped = cipher
            .encrypt(&nonce, content_key.as_slice())
            .map_err(|_| WalletError::NoteOpening("encryption failed"))?;
        out.extend_from_slice(&wrapped);
    }
    r.zeroize();
    let mut plaintext = Zeroizing::new(secrets.opening.to_bytes());
    plaintext.extend_from_slice(&secrets.terms.to_bytes());
    let aad = content_aad(&predicate);
    let ciphertext = content_cipher(&content_key)
        .encrypt(
            &Nonce::default(),
            Payload {
                msg: &plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| WalletError::NoteOpening("encryption failed"))?;
    out.extend_from_slice(&ciphertext);
    if out.len() > MAX_CONTRACT_NOTE_BYTES {
        return Err(WalletError::Terms(format!(
            "the contract note would have {} bytes, at most {MAX_CONTRACT_NOTE_BYTES} are allowed",
            out.len()
        )));
    }
    Ok(out)
}

/// Whether `bytes` look like a contract note (version byte, room for one
/// recipient): a cheap filter before [`open`].
pub fn is_contract_note(bytes: &[u8]) -> bool {
    bytes.first() == Some(&CONTRACT_NOTE_VERSION)
        && bytes.len() >= 1 + 32 + 1 + WRAPPED_BYTES + OPENING_BYTES + 16
        && bytes.len() <= MAX_CONTRACT_NOTE_BYTES
}

/// Decrypts a contract note with `view` for an output locked by
/// `predicate`: `NoteDecryption` unless one of its wrapped keys is ours;
/// the terms must give `predicate` back.
pub fn open(
    bytes: &[u8],
    view: &ViewKey,
    predicate: &CompressedRistretto,
) -> Result<ContractSecrets, WalletError> {
    if !is_contract_note(bytes) {
        return Err(WalletError::NoteOpening("not a contract note"));
    }
    let mut r = [0u8; 32];
    r.copy_from_slice(&bytes[1..33]);
    let ephemeral = CompressedRistretto(r);
    let point = check_point(&ephemeral, "note ephemeral key")?;
    let n = usize::from(bytes[33]);
    if n == 0 || n > MAX_PARTIES {
        return Err(WalletError::NoteOpening("recipient count"));
    }
    let wraps_end = 34 + n * WRAPPED_BYTES;
    if bytes.len() < wraps_end + OPENING_BYTES + 16 {
        return Err(WalletError::NoteOpening("too short"));
    }
    let shared = (view.as_scalar() * point).compress();
    let mut content_key = None;
    for i in 0..n {
        let wrapped = &bytes[34 + i * WRAPPED_BYTES..34 + (i + 1) * WRAPPED_BYTES];
        let (cipher, nonce) = wrap_cipher(&ephemeral, &shared, predicate, i);
        if let Ok(k) = cipher.decrypt(&nonce, wrapped) {
            content_key = Some(Zeroizing::new(k));
            break;
        }
    }
    let content_key = content_key.ok_or(WalletError::NoteDecryption)?;
    let key: [u8; 32] = content_key
        .as_slice()
        .try_into()
        .map_err(|_| WalletError::NoteOpening("content key"))?;
    let key = Zeroizing::new(key);
    let aad = content_aad(predicate);
    let plaintext = Zeroizing::new(
        content_cipher(&key)
            .decrypt(
                &Nonce::default(),
                Payload {
                    msg: &bytes[wraps_end..],
                    aad: &aad,
                },
            )
            .map_err(|_| WalletError::NoteDecryption)?,
    );
    let opening = NoteOpening::from_bytes(&plaintext[..OPENING_BYTES])?;
    let terms = Terms::from_bytes(&plaintext[OPENING_BYTES..])?;
    if terms.predicate() != *predicate {
        return Err(WalletError::NoteOpening(
            "the terms do not give the contract's predicate",
        ));
    }
    Ok(ContractSecrets { opening, terms })
}

/// The key and nonce that wrap the content key for recipient `index`.
fn wrap_cipher(
    ephemeral: &CompressedRistretto,
    shared: &CompressedRistretto,
    predicate: &CompressedRistretto,
    index: usize,
) -> (ChaCha20Poly1305, Nonce) {
    let mut t = Transcript::new(b"ZkVM.wallet.contract-note");
    t.append_message(b"R", ephemeral.as_bytes());
    t.append_message(b"shared", shared.as_bytes());
    t.append_message(b"predicate", predicate.as_bytes());
    t.append_u64(b"index", index as u64);
    let mut key = Zeroizing::new([0u8; 32]);
    t.challenge_bytes(b"key", key.as_mut());
    let mut nonce = [0u8; 12];
    t.challenge_bytes(b"nonce", &mut nonce);
    (
        ChaCha20Poly1305::new(Key::from_slice(key.as_ref())),
        *Nonce::from_slice(&nonce),
    )
}

fn content_cipher(key: &[u8; 32]) -> ChaCha20Poly1305 {
    ChaCha20Poly1305::new(Key::from_slice(key))
}

fn content_aad(predicate: &CompressedRistretto) -> [u8; 33] {
    let mut aad = [0u8; 33];
    aad[0] = CONTRACT_NOTE_VERSION;
    aad[1..].copy_from_slice(predicate.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::keys::{Keys, Seed};
    use crate::terms::{Branch, Party};
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use zkvm::Program;

    fn keys(n: u8) -> Keys {
        Keys::new(Seed::from_bytes([n; 64]))
    }

    fn secrets() -> ContractSecrets {
        let (a, b) = (keys(1), keys(2));
        let terms = Terms::new(
            vec![
                Party {
                    name: "alice".into(),
                    key: a.receiving_point(0),
                },
                Party {
                    name: "bob".into(),
                    key: b.receiving_point(3),
                },
            ],
            vec![0],
            vec![Branch {
                name: "claim".into(),
                program: zkvm::Encodable::encode_to_vec(&Program::build(|p| p.drop())),
            }],
            [5; 32],
        )
        .unwrap();
        ContractSecrets {
            opening: NoteOpening::random(500, Scalar::from(7u64), &mut StdRng::seed_from_u64(1)),
            terms,
        }
    }

    #[test]
    fn every_recipient_opens_it_and_nobody_else() {
        let mut rng = StdRng::seed_from_u64(2);
        let s = secrets();
        let p = s.terms.predicate();
        let recipients = [
            keys(1).view_key().encryption_point(),
            keys(2).view_key().encryption_point(),
        ];
        let note = seal(&s, &recipients, &mut rng).unwrap();
        assert!(is_contract_note(&note));
        assert_eq!(open(&note, keys(1).view_key(), &p).unwrap(), s);
        assert_eq!(open(&note, keys(2).view_key(), &p).unwrap(), s);
        assert!(matches!(
            open(&note, keys(3).view_key(), &p),
            Err(WalletError::NoteDecryption)
        ));
        // Moved to another predicate.
        assert!(matches!(
            open(&note, keys(1).view_key(), &keys(9).receiving_point(0)),
            Err(WalletError::NoteDecryption)
        ));
        // Any flipped bit after the header.
        // Any flipped bit of a wrapped key (for its recipient) or of the
        // ciphertext (for everyone).
        for (i, who) in [
            (40, 1),
            (34 + WRAPPED_BYTES + 1, 2),
            (34 + 2 * WRAPPED_BYTES + 3, 1),
            (note.len() - 1, 2),
        ] {
            let mut t = note.clone();
            t[i] ^= 1;
            assert!(open(&t, keys(who).view_key(), &p).is_err(), "byte {i}");
        }
    }

    #[test]
    fn recipient_counts_are_bounded() {
        let mut rng = StdRng::seed_from_u64(3);
        let e = keys(1).view_key().encryption_point();
        assert!(seal(&secrets(), &[], &mut rng).is_err());
        assert!(seal(&secrets(), &vec![e; MAX_PARTIES + 1], &mut rng).is_err());
    }

    proptest! {
        #[test]
        fn opening_arbitrary_bytes_never_panics(mut bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            if let Some(b) = bytes.first_mut() {
                *b = CONTRACT_NOTE_VERSION;
            }
            let _ = open(&bytes, keys(1).view_key(), &keys(1).receiving_point(0));
        }
    }
}
