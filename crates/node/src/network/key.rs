//! The node's persistent network identity (docs/spec/network.md §Identity):
//! an Ed25519 key whose 32-byte secret lives in `node.key` in the data
//! directory, so that peers see the same peer ID across restarts.

use std::io::Write;
use std::path::Path;

use libp2p::identity::Keypair;
use rand::RngCore;
use zeroize::Zeroizing;

use crate::NodeError;

/// The key file's name in the data directory.
pub const NODE_KEY_FILE: &str = "node.key";

/// Reads the node key from `path`, or makes one and writes it there
/// (owner-only permissions, written whole before it is used).
pub fn load_or_create(path: &Path) -> Result<Keypair, NodeError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let mut secret = Zeroizing::new(bytes);
            if secret.len() != 32 {
                return Err(NodeError::Corrupt(format!(
                    "{} must hold a 32-byte key",
                    path.display()
                )));
            }
            Keypair::ed25519_from_bytes(secret.as_mut_slice())
                .map_err(|e| NodeError::Corrupt(format!("{}: {e}", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(NodeError::DataDir(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

fn create(path: &Path) -> Result<Keypair, NodeError> {
    let mut secret = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(secret.as_mut());
    let io =
        |e: std::io::Error| NodeError::DataDir(format!("cannot write {}: {e}", path.display()));
    let tmp = path.with_extension("key.tmp");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(io)?;
        file.write_all(secret.as_ref()).map_err(io)?;
        file.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)?;
    Keypair::ed25519_from_bytes(secret.as_mut()).map_err(|e| NodeError::Network(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_key_persists_and_bad_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(NODE_KEY_FILE);
        let first = load_or_create(&path).unwrap();
        let again = load_or_create(&path).unwrap();
        assert_eq!(first.public().to_peer_id(), again.public().to_peer_id());
        std::fs::write(&path, [1u8; 31]).unwrap();
        assert!(matches!(load_or_create(&path), Err(NodeError::Corrupt(_))));
    }
}
