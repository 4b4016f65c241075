//! The seed at rest (docs/spec/wallet.md §Storage, Passphrase): in the
//! clear, or sealed under a passphrase with Argon2id and
//! ChaCha20-Poly1305.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, Zeroizing};

use crate::keys::Seed;
use crate::WalletError;

/// The first byte of a sealed seed record (a clear one is the 64 seed
/// bytes alone).
const SEALED_VERSION: u8 = 1;
/// Argon2id memory cost, in KiB (64 MiB).
pub const KDF_MEMORY_KIB: u32 = 64 * 1024;
/// Argon2id passes.
pub const KDF_PASSES: u32 = 3;
/// Argon2id lanes.
pub const KDF_LANES: u32 = 1;
const SALT_BYTES: usize = 16;
const NONCE_BYTES: usize = 12;
const HEADER_BYTES: usize = 1 + 12 + SALT_BYTES + NONCE_BYTES;
/// The largest cost a record may ask for when opened (1 GiB, 10 passes):
/// a file cannot make the wallet allocate without bound.
const MAX_MEMORY_KIB: u32 = 1024 * 1024;
const MAX_PASSES: u32 = 10;

/// What the file holds in place of the seed.
pub(crate) enum SeedRecord {
    /// The seed in the clear (a wallet made with no passphrase).
    Clear(Seed),
    /// The seed and the recovery phrase, sealed.
    Sealed(Vec<u8>),
}

/// The secrets a sealed record holds.
pub(crate) struct Secrets {
    pub(crate) seed: Seed,
    /// The recovery phrase (words separated by single spaces).
    pub(crate) phrase: Zeroizing<String>,
}

impl SeedRecord {
    /// `seed(64)` in the clear, or `0x01 || LE32 memory_kib || LE32 passes
    /// || LE32 lanes || salt(16) || nonce(12) || ChaCha20-Poly1305(key,
    /// nonce, seed(64) || phrase, aad = the bytes before it)` with `key =
    /// Argon2id(passphrase, salt)`.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        match self {
            SeedRecord::Clear(seed) => seed.as_bytes().to_vec(),
            SeedRecord::Sealed(bytes) => bytes.clone(),
        }
    }

    pub(crate) fn from_bytes(bytes: &[u8]) -> Result<SeedRecord, WalletError> {
        if let Ok(seed) = <[u8; 64]>::try_from(bytes) {
            return Ok(SeedRecord::Clear(Seed::from_bytes(seed)));
        }
        if bytes.len() < HEADER_BYTES + 64 + 16 || bytes[0] != SEALED_VERSION {
            return Err(WalletError::Corrupt("seed record"));
        }
        Ok(SeedRecord::Sealed(bytes.to_vec()))
    }

    /// Whether opening needs a passphrase.
    pub(crate) fn is_sealed(&self) -> bool {
        matches!(self, SeedRecord::Sealed(_))
    }

    /// Seals `secrets` under `passphrase` with a fresh salt and nonce.
    pub(crate) fn seal<R: RngCore + CryptoRng>(
        secrets: &Secrets,
        passphrase: &[u8],
        rng: &mut R,
    ) -> Result<SeedRecord, WalletError> {
        let mut header = Vec::with_capacity(HEADER_BYTES);
        header.push(SEALED_VERSION);
        header.extend_from_slice(&KDF_MEMORY_KIB.to_le_bytes());
        header.extend_from_slice(&KDF_PASSES.to_le_bytes());
        header.extend_from_slice(&KDF_LANES.to_le_bytes());
        let mut salt = [0u8; SALT_BYTES];
        rng.fill_bytes(&mut salt);
        let mut nonce = [0u8; NONCE_BYTES];
        rng.fill_bytes(&mut nonce);
        header.extend_from_slice(&salt);
        header.extend_from_slice(&nonce);
        let key = derive(passphrase, &salt, KDF_MEMORY_KIB, KDF_PASSES, KDF_LANES)?;
        let mut plain = Zeroizing::new(Vec::with_capacity(64 + secrets.phrase.len()));
        plain.extend_from_slice(secrets.seed.as_bytes());
        plain.extend_from_slice(secrets.phrase.as_bytes());
        let sealed = ChaCha20Poly1305::new(Key::from_slice(key.as_ref()))
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain.as_slice(),
                    aad: &header,
                },
            )
            .map_err(|_| WalletError::Corrupt("cannot seal the seed"))?;
        header.extend_from_slice(&sealed);
        Ok(SeedRecord::Sealed(header))
    }

    /// The secrets: a clear seed (no phrase kept), or the sealed ones
    /// opened with `passphrase` (`WrongPassphrase` if it does not open
    /// them, `PassphraseRequired` if none was given).
    pub(crate) fn open(&self, passphrase: Option<&[u8]>) -> Result<Secrets, WalletError> {
        let bytes = match self {
            SeedRecord::Clear(seed) => {
                return Ok(Secrets {
                    seed: seed.clone(),
                    phrase: Zeroizing::new(String::new()),
                })
            }
            SeedRecord::Sealed(bytes) => bytes,
        };
        let passphrase = passphrase.ok_or(WalletError::PassphraseRequired)?;
        let (header, sealed) = bytes.split_at(HEADER_BYTES);
        let le32 = |at: usize| -> u32 {
            let mut b = [0u8; 4];
            b.copy_from_slice(&header[at..at + 4]);
            u32::from_le_bytes(b)
        };
        let (memory, passes, lanes) = (le32(1), le32(5), le32(9));
        if memory > MAX_MEMORY_KIB || passes > MAX_PASSES || lanes > 16 {
            return Err(WalletError::Corrupt("seed record: KDF cost out of range"));
        }
        let salt = &header[13..13 + SALT_BYTES];
        let nonce = &header[13 + SALT_BYTES..];
        let key = derive(passphrase, salt, memory, passes, lanes)?;
        let mut plain = Zeroizing::new(
            ChaCha20Poly1305::new(Key::from_slice(key.as_ref()))
                .decrypt(
                    Nonce::from_slice(nonce),
                    Payload {
                        msg: sealed,
                        aad: header,
                    },
                )
                .map_err(|_| WalletError::WrongPassphrase)?,
        );
        if plain.len() < 64 {
            return Err(WalletError::Corrupt("seed record"));
        }
        let mut seed = [0u8; 64];
        seed.copy_from_slice(&plain[..64]);
        let secrets = Secrets {
            seed: Seed::from_bytes(seed),
            phrase: Zeroizing::new(
                String::from_utf8(plain[64..].to_vec())
                    .map_err(|_| WalletError::Corrupt("seed record phrase"))?,
            ),
        };
        seed.zeroize();
        plain.zeroize();
        Ok(secrets)
    }
}

/// The 32-byte key of `passphrase` and `salt` under Argon2id.
fn derive(
    passphrase: &[u8],
    salt: &[u8],
    memory: u32,
    passes: u32,
    lanes: u32,
) -> Result<Zeroizing<[u8; 32]>, WalletError> {
    let params = Params::new(memory, passes, lanes, Some(32))
        .map_err(|_| WalletError::Corrupt("seed record: KDF parameters"))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase, salt, key.as_mut())
        .map_err(|_| WalletError::Corrupt("seed record: KDF"))?;
    Ok(key)
}
