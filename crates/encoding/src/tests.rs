#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::{decode_hex32, DecodeError, HexError, Reader, Writer};

crate::id32! {
    /// An ID for the tests.
    pub struct TestID;
}

#[test]
fn every_read_checks_the_bytes_left() {
    let bytes = [1u8, 2, 3];
    let mut r = Reader::new(&bytes);
    assert_eq!(
        r.read_u32(),
        Err(DecodeError::UnexpectedEnd {
            needed: 4,
            remaining: 3
        })
    );
    // A failed read consumes nothing.
    assert_eq!(r.position(), 0);
    assert_eq!(r.read_u8(), Ok(1));
    assert_eq!(
        r.read_u64(),
        Err(DecodeError::UnexpectedEnd {
            needed: 8,
            remaining: 2
        })
    );
    assert_eq!(
        r.read_32(),
        Err(DecodeError::UnexpectedEnd {
            needed: 32,
            remaining: 2
        })
    );
    assert_eq!(r.read_bytes(2), Ok(&[2u8, 3][..]));
    assert_eq!(r.remaining(), 0);
    assert_eq!(
        r.read_u8(),
        Err(DecodeError::UnexpectedEnd {
            needed: 1,
            remaining: 0
        })
    );
    assert_eq!(r.finish(), Ok(()));
}

#[test]
fn integers_are_little_endian() {
    let bytes = [
        0x01, 0x02, 0x03, 0x04, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    ];
    let mut r = Reader::new(&bytes);
    assert_eq!(r.read_u32(), Ok(0x0403_0201));
    assert_eq!(r.read_u64(), Ok(0x0807_0605_0403_0201));
    let mut w = Vec::new();
    w.write_u32(b"a", 0x0403_0201);
    w.write_u64(b"b", 0x0807_0605_0403_0201);
    assert_eq!(w, bytes);
}

#[test]
fn a_length_is_bounded_by_the_bytes_left() {
    // A length of 2^32 - 1 over 3 bytes is refused before anything is read
    // or allocated.
    let mut huge = u32::MAX.to_le_bytes().to_vec();
    huge.extend_from_slice(&[1, 2, 3]);
    let mut r = Reader::new(&huge);
    assert_eq!(
        r.read_size(),
        Err(DecodeError::UnexpectedEnd {
            needed: u32::MAX as usize,
            remaining: 3
        })
    );
    assert_eq!(
        Reader::new(&huge).read_sized_bytes(),
        Err(DecodeError::UnexpectedEnd {
            needed: u32::MAX as usize,
            remaining: 3
        })
    );
    // Exactly the bytes left is fine.
    let exact = [3u8, 0, 0, 0, 1, 2, 3];
    let mut r = Reader::new(&exact);
    assert_eq!(r.read_size(), Ok(3));
    assert_eq!(r.remaining(), 3);
    assert_eq!(Reader::new(&exact).read_sized_bytes(), Ok(&[1u8, 2, 3][..]));
    // A count is not a length: checked by read_vec against its item size.
    let mut r = Reader::new(&huge);
    let n = r.read_count().unwrap();
    assert_eq!(n, u32::MAX as usize);
    assert_eq!(
        r.read_vec(n, 32, |r| r.read_32()),
        Err(DecodeError::UnexpectedEnd {
            needed: 32 * u32::MAX as usize,
            remaining: 3
        })
    );
    assert_eq!(
        Reader::new(&[]).read_vec(usize::MAX, usize::MAX, |r| r.read_u8()),
        Err(DecodeError::UnexpectedEnd {
            needed: usize::MAX,
            remaining: 0
        })
    );
}

#[test]
fn trailing_bytes_are_refused() {
    let bytes = [1u8, 0, 0, 0, 7, 9];
    let mut r = Reader::new(&bytes);
    assert_eq!(r.read_sized_bytes(), Ok(&[7u8][..]));
    assert_eq!(r.finish(), Err(DecodeError::TrailingBytes(1)));
    assert_eq!(
        Reader::read_all(&bytes, |r| r.read_u32()),
        Err(DecodeError::TrailingBytes(2))
    );
    assert_eq!(Reader::read_all(&bytes[..4], |r| r.read_u32()), Ok(1));
}

#[test]
fn errors_read_as_one_clear_line() {
    assert_eq!(
        DecodeError::UnexpectedEnd {
            needed: 4,
            remaining: 1
        }
        .to_string(),
        "input ends early: needed 4 bytes, 1 left"
    );
    assert_eq!(
        DecodeError::TrailingBytes(2).to_string(),
        "2 trailing bytes after the encoding"
    );
    assert_eq!(
        DecodeError::Invalid("unknown tag").to_string(),
        "invalid encoding: unknown tag"
    );
    assert_eq!(
        HexError::Length {
            expected: 64,
            got: 3
        }
        .to_string(),
        "expected 64 hex digits, got 3"
    );
}

#[test]
fn ids_are_64_lower_case_hex_digits() {
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37);
    }
    let id = TestID::from_bytes(bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(id.to_string(), hex);
    assert_eq!(format!("{id:x}"), hex);
    assert_eq!(format!("{id:?}"), format!("TestID({hex})"));
    assert_eq!(hex.parse::<TestID>(), Ok(id));
    assert_eq!(hex.to_uppercase().parse::<TestID>(), Ok(id));
    assert_eq!(id.as_bytes(), &bytes);
    assert_eq!(id.to_bytes(), bytes);
    assert_eq!(id.as_ref(), &bytes[..]);
    assert_eq!(decode_hex32(&hex), Ok(bytes));
}

#[test]
fn bad_hex_is_a_hex_error() {
    assert_eq!(
        "".parse::<TestID>(),
        Err(HexError::Length {
            expected: 64,
            got: 0
        })
    );
    assert_eq!(
        "ab".repeat(33).parse::<TestID>(),
        Err(HexError::Length {
            expected: 64,
            got: 66
        })
    );
    let mut bad = "0".repeat(64);
    bad.replace_range(10..11, "g");
    assert_eq!(
        bad.parse::<TestID>(),
        Err(HexError::InvalidCharacter { c: 'g', index: 10 })
    );
    // 64 bytes but not 64 characters.
    let wide = "é".repeat(32);
    assert_eq!(wide.len(), 64);
    assert!(matches!(
        wide.parse::<TestID>(),
        Err(HexError::InvalidCharacter { .. })
    ));
    assert!(matches!(
        "0x".repeat(32).parse::<TestID>(),
        Err(HexError::InvalidCharacter { c: 'x', index: 1 })
    ));
}

#[test]
fn a_transcript_writer_appends_labelled_messages() {
    let mut t1 = merlin::Transcript::new(b"test");
    t1.write_u64(b"n", 5);
    t1.write_32(b"id", &[1; 32]);
    let mut t2 = merlin::Transcript::new(b"test");
    t2.append_message(b"n", &5u64.to_le_bytes());
    t2.append_message(b"id", &[1; 32]);
    let (mut c1, mut c2) = ([0u8; 32], [0u8; 32]);
    t1.challenge_bytes(b"c", &mut c1);
    t2.challenge_bytes(b"c", &mut c2);
    assert_eq!(c1, c2);
}
