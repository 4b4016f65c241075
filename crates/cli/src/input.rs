//! Reading a transaction (or any binary object) from a file or stdin, as
//! hex or raw bytes.

use std::io::Read;
use std::path::Path;

use crate::Error;

/// The most input bytes read: a transaction of the largest size
/// ([`zkvm::limits::MAX_TX_SIZE`]) written as hex, with room for line
/// breaks. Larger inputs are rejected before they fill memory.
pub const MAX_INPUT: usize = 4 * zkvm::limits::MAX_TX_SIZE;

/// Reads `path` (`-` for stdin) and returns the bytes it encodes.
///
/// Input made only of ASCII hex digits and whitespace is hex (whitespace
/// anywhere is ignored, so a trailing newline or wrapped lines are fine);
/// anything else is taken as raw bytes. A binary encoding that happens to
/// consist only of such characters would be misread; a transaction's
/// first byte is the low byte of its version (0x01 today), which is
/// neither.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, Error> {
    decode_input(read_limited(path, MAX_INPUT)?)
}

/// The bytes of `path` (`-` for stdin), at most `limit` of them: a larger
/// input is refused before it fills memory.
pub fn read_limited(path: &Path, limit: usize) -> Result<Vec<u8>, Error> {
    let read_error = |source| Error::Read {
        path: path.display().to_string(),
        source,
    };
    let mut raw = Vec::new();
    let take = limit as u64 + 1;
    if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(take)
            .read_to_end(&mut raw)
            .map_err(read_error)?;
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(take).read_to_end(&mut raw))
            .map_err(read_error)?;
    }
    if raw.len() > limit {
        return Err(Error::InputTooLarge { limit });
    }
    Ok(raw)
}

/// Hex or raw bytes, as [`read_bytes`] describes.
fn decode_input(mut raw: Vec<u8>) -> Result<Vec<u8>, Error> {
    let is_hex = raw
        .iter()
        .all(|b| b.is_ascii_hexdigit() || b.is_ascii_whitespace());
    if is_hex {
        raw.retain(|b| !b.is_ascii_whitespace());
        raw = hex::decode(&raw).map_err(Error::Hex)?;
    }
    if raw.is_empty() {
        return Err(Error::EmptyInput);
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hex_with_whitespace_and_raw_bytes_are_both_read() {
        assert_eq!(
            decode_input(b" 01ab\n cd\r\n".to_vec()).unwrap(),
            [1, 0xab, 0xcd]
        );
        assert_eq!(decode_input(vec![1, 0, 0xff]).unwrap(), [1, 0, 0xff]);
        assert!(matches!(decode_input(b"abc".to_vec()), Err(Error::Hex(_))));
        assert!(matches!(
            decode_input(b" \n".to_vec()),
            Err(Error::EmptyInput)
        ));
        assert!(matches!(decode_input(Vec::new()), Err(Error::EmptyInput)));
    }
}
