//! The strict reader of the `encoding` crate must never panic, whatever
//! the input and whatever reads are asked of it: the first byte says how
//! many of the following bytes are operations, the rest is the input. Every
//! successful read consumes exactly the bytes the matching write produces
//! (decode→encode == input for the consumed prefix), a failed fixed-size
//! read consumes nothing, and the position and the bytes left always add
//! up to the input's length.
#![no_main]

use encoding::{DecodeError, Reader, Writer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let (ops, input) = rest.split_at(usize::from(n).min(rest.len()));
    let mut r = Reader::new(input);
    let mut written = Vec::new();
    for &op in ops {
        let before = r.remaining();
        let ok = match op % 9 {
            0 => r.read_u8().map(|x| written.write_u8(b"u8", x)).is_ok(),
            1 => r.read_u32().map(|x| written.write_u32(b"u32", x)).is_ok(),
            2 => r.read_u64().map(|x| written.write_u64(b"u64", x)).is_ok(),
            3 => r.read_32().map(|x| written.write_32(b"32", &x)).is_ok(),
            4 => match r.read_sized_bytes() {
                Ok(b) => {
                    written.write_sized_bytes(b"bytes", b);
                    true
                }
                // The length itself may have been read.
                Err(_) => {
                    let taken = before - r.remaining();
                    assert!(taken == 0 || taken == 4);
                    written.extend_from_slice(&input[r.position() - taken..r.position()]);
                    true
                }
            },
            5 => match r.read_size() {
                Ok(len) => {
                    assert!(len <= r.remaining(), "a size exceeds the bytes left");
                    written.write_size(b"size", len);
                    true
                }
                Err(_) => {
                    let taken = before - r.remaining();
                    written.extend_from_slice(&input[r.position() - taken..r.position()]);
                    true
                }
            },
            6 => {
                let count = usize::from(op / 9);
                let size = usize::from(op % 5);
                match r.read_vec(count, size, |r| r.read_bytes(size)) {
                    Ok(items) => {
                        for item in items {
                            written.write(b"item", item);
                        }
                        true
                    }
                    Err(DecodeError::UnexpectedEnd { .. }) => false,
                    Err(e) => panic!("read_vec failed with {e}"),
                }
            }
            7 => {
                let n = usize::from(op / 9);
                r.read_bytes(n).map(|b| written.write(b"raw", b)).is_ok()
            }
            _ => {
                let ended = r.finish().is_ok();
                assert_eq!(ended, r.remaining() == 0);
                true
            }
        };
        if !ok {
            assert_eq!(r.remaining(), before, "a failed read consumed bytes");
        }
        assert_eq!(r.position() + r.remaining(), input.len());
        assert_eq!(written, input[..r.position()], "decode→encode differs");
    }
    let all = Reader::read_all(input, |r| r.read_bytes(input.len()));
    assert_eq!(all, Ok(input));
});
