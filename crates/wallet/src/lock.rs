//! The wallet's lock file (docs/spec/wallet.md §Storage, Concurrent use):
//! `<wallet file>.lock`, locked exclusively (an advisory `flock`) by the
//! one process that may change the wallet, and holding its process ID so
//! that another can say who holds it. The lock goes with the process: a
//! killed holder leaves no stale lock behind.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::WalletError;

/// How long a second writer waits for the wallet by default.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(5);

/// The lock on a wallet, held until dropped.
#[derive(Debug)]
pub(crate) struct WalletLock {
    _file: File,
}

/// The lock file of the wallet file `path`.
pub(crate) fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl WalletLock {
    /// Takes the lock of the wallet at `path`, waiting up to `wait` while
    /// another process holds it; `Busy` with the holder's process ID
    /// after that.
    pub(crate) fn acquire(path: &Path, wait: Duration) -> Result<WalletLock, WalletError> {
        let lock = lock_path(path);
        let io = |source| WalletError::Io {
            path: lock.clone(),
            source,
        };
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&lock).map_err(io)?;
        let start = Instant::now();
        loop {
            match try_lock(&file) {
                Ok(true) => break,
                Ok(false) if start.elapsed() < wait => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Ok(false) => {
                    let mut text = String::new();
                    let pid = file
                        .read_to_string(&mut text)
                        .ok()
                        .and_then(|_| text.trim().parse().ok());
                    return Err(WalletError::Busy {
                        path: path.to_path_buf(),
                        pid,
                    });
                }
                Err(e) => return Err(io(e)),
            }
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        file.flush().map_err(io)?;
        Ok(WalletLock { _file: file })
    }
}

/// Takes an exclusive `flock` on `file` without waiting: `false` if
/// another open file holds it.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use rustix::fs::{flock, FlockOperation};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Without `flock`, the lock file only records the holder.
#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}
