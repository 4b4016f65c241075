//! Whatever the writer writes, the reader reads back exactly, and no read
//! of arbitrary bytes panics.
#![allow(clippy::unwrap_used)]

use encoding::{DecodeError, Reader, Writer};
use proptest::prelude::*;

#[derive(Clone, Debug, PartialEq)]
enum Field {
    U8(u8),
    U32(u32),
    U64(u64),
    B32([u8; 32]),
    Sized(Vec<u8>),
}

fn field() -> impl Strategy<Value = Field> {
    prop_oneof![
        any::<u8>().prop_map(Field::U8),
        any::<u32>().prop_map(Field::U32),
        any::<u64>().prop_map(Field::U64),
        any::<[u8; 32]>().prop_map(Field::B32),
        proptest::collection::vec(any::<u8>(), 0..100).prop_map(Field::Sized),
    ]
}

fn write(fields: &[Field]) -> Vec<u8> {
    let mut w = Vec::new();
    for f in fields {
        match f {
            Field::U8(x) => w.write_u8(b"u8", *x),
            Field::U32(x) => w.write_u32(b"u32", *x),
            Field::U64(x) => w.write_u64(b"u64", *x),
            Field::B32(x) => w.write_32(b"b32", x),
            Field::Sized(x) => w.write_sized_bytes(b"sized", x),
        }
    }
    w
}

fn read_like(r: &mut Reader<'_>, shape: &Field) -> Result<Field, DecodeError> {
    Ok(match shape {
        Field::U8(_) => Field::U8(r.read_u8()?),
        Field::U32(_) => Field::U32(r.read_u32()?),
        Field::U64(_) => Field::U64(r.read_u64()?),
        Field::B32(_) => Field::B32(r.read_32()?),
        Field::Sized(_) => Field::Sized(r.read_sized_bytes()?.to_vec()),
    })
}

proptest! {
    #[test]
    fn what_is_written_reads_back(fields in proptest::collection::vec(field(), 0..20)) {
        let bytes = write(&fields);
        let read = Reader::read_all(&bytes, |r| {
            fields.iter().map(|f| read_like(r, f)).collect::<Result<Vec<_>, DecodeError>>()
        });
        prop_assert_eq!(read, Ok(fields.clone()));
        // One byte more is trailing; one byte less is an early end.
        let mut long = bytes.clone();
        long.push(0);
        let read = Reader::read_all(&long, |r| {
            fields.iter().map(|f| read_like(r, f)).collect::<Result<Vec<_>, DecodeError>>()
        });
        prop_assert_eq!(read, Err(DecodeError::TrailingBytes(1)));
        if !bytes.is_empty() {
            let short = &bytes[..bytes.len() - 1];
            let read = Reader::read_all(short, |r| {
                fields.iter().map(|f| read_like(r, f)).collect::<Result<Vec<_>, DecodeError>>()
            });
            let is_early_end = matches!(read, Err(DecodeError::UnexpectedEnd { .. }));
            prop_assert!(is_early_end);
        }
    }

    #[test]
    fn reads_of_arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..64),
        ops in proptest::collection::vec(0u8..8, 0..16),
    ) {
        let mut r = Reader::new(&bytes);
        for op in ops {
            let before = r.remaining();
            let ok = match op {
                0 => r.read_u8().is_ok(),
                1 => r.read_u32().is_ok(),
                2 => r.read_u64().is_ok(),
                3 => r.read_32().is_ok(),
                4 => r.read_size().is_ok(),
                5 => r.read_sized_bytes().is_ok(),
                6 => r.read_vec(r.remaining() + 1, 1, |r| r.read_u8()).is_ok(),
                _ => r.read_bytes(3).is_ok(),
            };
            prop_assert!(r.remaining() <= before);
            prop_assert!(ok || op == 4 || op == 5 || r.remaining() == before);
            prop_assert_eq!(r.position() + r.remaining(), bytes.len());
        }
    }
}
