//! 32-byte IDs in hex.

use crate::HexError;

/// Parses 64 hex digits (either case) into 32 bytes.
pub fn decode_hex32(s: &str) -> Result<[u8; 32], HexError> {
    let mut out = [0u8; 32];
    if s.len() != 64 {
        return Err(HexError::Length {
            expected: 64,
            got: s.chars().count(),
        });
    }
    hex::decode_to_slice(s, &mut out).map_err(|e| match e {
        hex::FromHexError::InvalidHexCharacter { c, index } => {
            HexError::InvalidCharacter { c, index }
        }
        // The length was checked above; report it the same way regardless.
        hex::FromHexError::OddLength | hex::FromHexError::InvalidStringLength => HexError::Length {
            expected: 64,
            got: s.len(),
        },
    })?;
    Ok(out)
}

/// Defines a 32-byte ID newtype with a private field: `from_bytes`,
/// `as_bytes`, `to_bytes`, `AsRef<[u8]>`, and `Display`, `LowerHex`,
/// `Debug` (`Name(hex)`) and `FromStr` ([`HexError`](crate::HexError)) as
/// 64 lower-case hex digits.
///
/// ```
/// encoding::id32! {
///     /// A thing's ID.
///     pub struct ThingID;
/// }
/// let id = ThingID::from_bytes([0xab; 32]);
/// assert_eq!(id.to_string(), "ab".repeat(32));
/// assert_eq!(format!("{id:?}"), format!("ThingID({})", "ab".repeat(32)));
/// assert_eq!("AB".repeat(32).parse::<ThingID>(), Ok(id));
/// assert!("ab".parse::<ThingID>().is_err());
/// ```
#[macro_export]
macro_rules! id32 {
    ($(#[$meta:meta])* $vis:vis struct $name:ident;) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        $vis struct $name([u8; 32]);

        impl $name {
            /// The ID with these bytes.
            pub const fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }

            /// The ID's bytes.
            pub const fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// The ID's bytes, by value.
            pub const fn to_bytes(self) -> [u8; 32] {
                self.0
            }
        }

        impl ::core::convert::AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        /// 64 lower-case hex digits.
        impl ::core::fmt::LowerHex for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                let mut buf = [0u8; 64];
                // Cannot fail: the buffer holds exactly two digits a byte.
                let _ = $crate::__private::hex::encode_to_slice(self.0, &mut buf);
                f.write_str(::core::str::from_utf8(&buf).unwrap_or_default())
            }
        }

        /// 64 lower-case hex digits.
        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::LowerHex::fmt(self, f)
            }
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                write!(f, "{}({:x})", stringify!($name), self)
            }
        }

        /// 64 hex digits, either case.
        impl ::core::str::FromStr for $name {
            type Err = $crate::HexError;

            fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                $crate::decode_hex32(s).map(Self)
            }
        }
    };
}
