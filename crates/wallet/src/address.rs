//! Addresses: where to pay, as a checksummed string (docs/spec/wallet.md
//! §Addresses).

use core::fmt;
use core::str::FromStr;

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::traits::IsIdentity;
use merlin::Transcript;

use crate::WalletError;

/// What every address string starts with.
pub const ADDRESS_PREFIX: &str = "zkvm1";

/// The current (only) address version.
pub const ADDRESS_VERSION: u8 = 1;

/// Bytes of an address: version, two points, checksum.
const ADDRESS_BYTES: usize = 1 + 32 + 32 + 4;

/// Characters of an address string.
pub const ADDRESS_LENGTH: usize = ADDRESS_PREFIX.len() + 2 * ADDRESS_BYTES;

/// A payment address (docs/spec/wallet.md §Addresses): the predicate key
/// of the recipient's output (a point whose secret the recipient derives)
/// and the encryption key its note is encrypted to. Neither is the
/// identity.
///
/// As a string: `"zkvm1"` followed by the lowercase hex of `version (0x01)
/// || predicate (32) || encryption key (32) || checksum (4)`, 143
/// characters; the checksum is `Transcript("ZkVM.wallet.address")`,
/// message `"address"` = the 65 bytes before it, 4 challenge bytes
/// `"checksum"`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Address {
    predicate: CompressedRistretto,
    encryption: CompressedRistretto,
    encryption_point: RistrettoPoint,
}

impl Address {
    /// An address from its two points, which must be valid, canonical and
    /// not the identity.
    pub fn new(
        predicate: CompressedRistretto,
        encryption: CompressedRistretto,
    ) -> Result<Address, WalletError> {
        check_point(&predicate, "address predicate")?;
        let encryption_point = check_point(&encryption, "address encryption key")?;
        Ok(Address {
            predicate,
            encryption,
            encryption_point,
        })
    }

    /// From points the wallet derived itself.
    pub(crate) fn from_parts(
        predicate: CompressedRistretto,
        encryption_point: RistrettoPoint,
    ) -> Address {
        Address {
            predicate,
            encryption: encryption_point.compress(),
            encryption_point,
        }
    }

    /// The predicate the recipient's outputs are locked with.
    pub fn predicate(&self) -> CompressedRistretto {
        self.predicate
    }

    /// The key notes are encrypted to (compressed).
    pub fn encryption_key(&self) -> CompressedRistretto {
        self.encryption
    }

    /// The key notes are encrypted to.
    pub fn encryption_point(&self) -> &RistrettoPoint {
        &self.encryption_point
    }

    /// The 69 bytes the string encodes: version, predicate, encryption key,
    /// checksum.
    pub fn to_bytes(&self) -> [u8; ADDRESS_BYTES] {
        let mut out = [0u8; ADDRESS_BYTES];
        out[0] = ADDRESS_VERSION;
        out[1..33].copy_from_slice(self.predicate.as_bytes());
        out[33..65].copy_from_slice(self.encryption.as_bytes());
        let sum = checksum(&out[..65]);
        out[65..].copy_from_slice(&sum);
        out
    }

    /// Strict decoding of [`Address::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Address, WalletError> {
        if bytes.len() != ADDRESS_BYTES {
            return Err(WalletError::AddressLength(
                ADDRESS_PREFIX.len() + 2 * bytes.len(),
            ));
        }
        if bytes[0] != ADDRESS_VERSION {
            return Err(WalletError::AddressVersion(bytes[0]));
        }
        if checksum(&bytes[..65]) != bytes[65..] {
            return Err(WalletError::AddressChecksum);
        }
        let mut p = [0u8; 32];
        let mut e = [0u8; 32];
        p.copy_from_slice(&bytes[1..33]);
        e.copy_from_slice(&bytes[33..65]);
        Address::new(CompressedRistretto(p), CompressedRistretto(e))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(ADDRESS_PREFIX)?;
        f.write_str(&to_hex(&self.to_bytes()))
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({self})")
    }
}

/// Strict parsing (docs/spec/wallet.md §Addresses): the prefix, the exact
/// length, lowercase hex, the version, the checksum, then the points.
impl FromStr for Address {
    type Err = WalletError;

    fn from_str(s: &str) -> Result<Address, WalletError> {
        let Some(rest) = s.strip_prefix(ADDRESS_PREFIX) else {
            return Err(WalletError::AddressPrefix);
        };
        if s.len() != ADDRESS_LENGTH {
            return Err(WalletError::AddressLength(s.len()));
        }
        let bytes = from_hex(rest).ok_or(WalletError::AddressEncoding)?;
        Address::from_bytes(&bytes)
    }
}

/// The 4-byte checksum of an address's first 65 bytes.
fn checksum(payload: &[u8]) -> [u8; 4] {
    let mut t = Transcript::new(b"ZkVM.wallet.address");
    t.append_message(b"address", payload);
    let mut out = [0u8; 4];
    t.challenge_bytes(b"checksum", &mut out);
    out
}

/// Decompresses a point that must be canonical and not the identity.
pub(crate) fn check_point(
    p: &CompressedRistretto,
    what: &'static str,
) -> Result<RistrettoPoint, WalletError> {
    match p.decompress() {
        Some(point) if !point.is_identity() => Ok(point),
        _ => Err(WalletError::InvalidPoint(what)),
    }
}

/// Lowercase hex.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 * bytes.len());
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Strict lowercase hex: an even number of `0-9a-f`.
pub(crate) fn from_hex(s: &str) -> Option<Vec<u8>> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    bytes
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use crate::keys::{Keys, Seed};
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
    use curve25519_dalek::scalar::Scalar;
    use proptest::prelude::*;

    fn sample() -> Address {
        Keys::new(Seed::from_bytes([3; 64])).address(5)
    }

    #[test]
    fn round_trip() {
        let a = sample();
        let s = a.to_string();
        assert_eq!(s.len(), ADDRESS_LENGTH);
        assert!(s.starts_with("zkvm1"));
        assert_eq!(s.parse::<Address>().unwrap(), a);
        assert_eq!(Address::from_bytes(&a.to_bytes()).unwrap(), a);
    }

    #[test]
    fn rejections() {
        let s = sample().to_string();
        assert!(matches!(
            s.replacen("zkvm1", "zkvm2", 1).parse::<Address>(),
            Err(WalletError::AddressPrefix)
        ));
        assert!(matches!(
            s[..s.len() - 2].parse::<Address>(),
            Err(WalletError::AddressLength(141))
        ));
        assert!(matches!(
            format!("{s}00").parse::<Address>(),
            Err(WalletError::AddressLength(145))
        ));
        assert!(matches!(
            s.to_uppercase()
                .replacen("ZKVM1", "zkvm1", 1)
                .parse::<Address>(),
            Err(WalletError::AddressEncoding)
        ));
        // A changed digit of a point: the checksum catches it.
        let mut typo = s.clone().into_bytes();
        typo[20] = if typo[20] == b'0' { b'1' } else { b'0' };
        assert!(matches!(
            String::from_utf8(typo).unwrap().parse::<Address>(),
            Err(WalletError::AddressChecksum)
        ));
        // Another version, with a valid checksum.
        let mut bytes = sample().to_bytes();
        bytes[0] = 2;
        let sum = checksum(&bytes[..65]);
        bytes[65..].copy_from_slice(&sum);
        assert!(matches!(
            Address::from_bytes(&bytes),
            Err(WalletError::AddressVersion(2))
        ));
    }

    #[test]
    fn invalid_points_are_refused_even_with_a_valid_checksum() {
        let good = RISTRETTO_BASEPOINT_POINT.compress();
        for bad in [
            CompressedRistretto([0; 32]),    // identity
            CompressedRistretto([0xff; 32]), // not canonical
            CompressedRistretto({
                let mut b = [0u8; 32];
                b[0] = 1; // negative field element: not canonical
                b
            }),
        ] {
            for (p, e) in [(bad, good), (good, bad)] {
                let mut bytes = [0u8; ADDRESS_BYTES];
                bytes[0] = ADDRESS_VERSION;
                bytes[1..33].copy_from_slice(p.as_bytes());
                bytes[33..65].copy_from_slice(e.as_bytes());
                let sum = checksum(&bytes[..65]);
                bytes[65..].copy_from_slice(&sum);
                assert!(matches!(
                    Address::from_bytes(&bytes),
                    Err(WalletError::InvalidPoint(_))
                ));
                let s = format!("{ADDRESS_PREFIX}{}", to_hex(&bytes));
                assert!(s.parse::<Address>().is_err());
            }
        }
    }

    proptest! {
        #[test]
        fn any_points_round_trip(p in 1u64.., e in 1u64..) {
            let a = Address::new(
                (Scalar::from(p) * RISTRETTO_BASEPOINT_POINT).compress(),
                (Scalar::from(e) * RISTRETTO_BASEPOINT_POINT).compress(),
            ).unwrap();
            prop_assert_eq!(a.to_string().parse::<Address>().unwrap(), a);
        }

        #[test]
        fn parsing_arbitrary_strings_never_panics_and_round_trips(s in "\\PC{0,160}") {
            if let Ok(a) = s.parse::<Address>() {
                prop_assert_eq!(a.to_string(), s);
            }
        }

        #[test]
        fn any_single_character_change_is_rejected(i in 5usize..ADDRESS_LENGTH, d in 0u8..16) {
            let s = sample().to_string();
            let mut b = s.clone().into_bytes();
            let c = b"0123456789abcdef"[usize::from(d)];
            prop_assume!(b[i] != c);
            b[i] = c;
            prop_assert!(String::from_utf8(b).unwrap().parse::<Address>().is_err());
        }
    }
}
