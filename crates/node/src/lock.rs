//! One node per data directory, and stopping it from outside
//! (docs/api.md §Running, §Stopping).
//!
//! A running node holds `<data-dir>/node.pid`, created exclusively and
//! holding its process ID, and keeps it locked (`flock`) while it runs; it
//! is removed when the node ends. A file left by a node that was killed is
//! locked by nobody and is taken over, even if its process ID now names
//! another live process. To stop a node, a process that can write to its data
//! directory creates `<data-dir>/stop`; the node looks for it a few times a
//! second, removes it and shuts down as on SIGTERM (the API stops taking
//! requests, the producer and the network stop, the database is closed).
//! Only whoever may write the data directory, which is who may delete the
//! chain anyway, can stop the node: no credential and no API endpoint.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::NodeError;

/// The file naming the process that runs the node.
pub const PID_FILE: &str = "node.pid";

/// The file whose appearance stops the node.
pub const STOP_FILE: &str = "stop";

/// How often a running node looks for [`STOP_FILE`].
const STOP_POLL: Duration = Duration::from_millis(200);

/// The data directory's lock, held while the node runs: an exclusive
/// advisory lock (`flock`) on the pid file, which the operating system
/// releases when the process ends however it ends. A pid file nobody
/// holds locked is stale whatever its process ID names, even a process
/// that reused that ID. Removes the pid file when dropped.
#[derive(Debug)]
pub struct DataDirLock {
    pid_file: PathBuf,
    /// The open pid file, whose lock is the node's claim.
    _held: File,
}

impl DataDirLock {
    /// Takes the lock of `data_dir` (which must exist) for this process,
    /// and removes a stale stop request. Fails with
    /// [`NodeError::DataDir`] "a node is already running here (pid N)"
    /// when another process holds it.
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock, NodeError> {
        let pid_file = data_dir.join(PID_FILE);
        let io = |e: std::io::Error| {
            NodeError::DataDir(format!("cannot write {}: {e}", pid_file.display()))
        };
        // A few times at most: the file may be removed by a node ending
        // between our opening it and locking it.
        for _ in 0..3 {
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&pid_file)
                .map_err(io)?;
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => {
                    let pid = read_pid(&pid_file).unwrap_or(0);
                    return Err(already_running(data_dir, pid));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
            }
            // Locked; but if the path was removed (or replaced) meanwhile,
            // the lock is on a file nobody else will look at.
            if !same_file(&file, &pid_file) {
                continue;
            }
            use std::io::Write;
            file.set_len(0).map_err(io)?;
            file.write_all(format!("{}\n", std::process::id()).as_bytes())
                .map_err(io)?;
            file.flush().map_err(io)?;
            let _ = std::fs::remove_file(data_dir.join(STOP_FILE));
            return Ok(DataDirLock {
                pid_file,
                _held: file,
            });
        }
        Err(NodeError::DataDir(format!(
            "cannot take {}: it keeps being removed",
            pid_file.display()
        )))
    }
}

impl Drop for DataDirLock {
    fn drop(&mut self) {
        // Removed while still locked, so that no process can lock this
        // file between the unlock and the removal.
        let _ = std::fs::remove_file(&self.pid_file);
    }
}

/// Whether the open `file` is the file at `path`.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Whether the open `file` is the file at `path` (elsewhere: that the path
/// still exists).
#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// The process ID written in a pid file.
fn read_pid(pid_file: &Path) -> Option<u32> {
    std::fs::read_to_string(pid_file).ok()?.trim().parse().ok()
}

/// The error for a data directory a live node holds.
pub fn already_running(data_dir: &Path, pid: u32) -> NodeError {
    NodeError::DataDir(format!(
        "a node is already running here (pid {pid}); stop it with `zkvm node stop --data-dir {}` \
         (or remove {} if that process is no node)",
        data_dir.display(),
        data_dir.join(PID_FILE).display(),
    ))
}

/// The process ID in `data_dir`'s pid file, if a running node holds it
/// (its lock is taken; [`DataDirLock`]).
pub fn running_pid(data_dir: &Path) -> Option<u32> {
    let pid_file = data_dir.join(PID_FILE);
    let file = File::open(&pid_file).ok()?;
    match file.try_lock_shared() {
        // Nobody holds it: stale. The shared lock ends with `file`.
        Ok(()) => None,
        Err(std::fs::TryLockError::WouldBlock) => read_pid(&pid_file),
        Err(std::fs::TryLockError::Error(_)) => None,
    }
}

/// Asks the node running in `data_dir` to stop, and waits up to `wait`
/// for it to end; returns its process ID. Fails if no node runs there, or
/// if it has not ended in time.
pub fn request_stop(data_dir: &Path, wait: Duration) -> Result<u32, NodeError> {
    let Some(pid) = running_pid(data_dir) else {
        return Err(NodeError::DataDir(format!(
            "no node is running in {}",
            data_dir.display()
        )));
    };
    let stop = data_dir.join(STOP_FILE);
    std::fs::write(&stop, format!("{}\n", std::process::id()))
        .map_err(|e| NodeError::DataDir(format!("cannot write {}: {e}", stop.display())))?;
    let deadline = std::time::Instant::now() + wait;
    while std::time::Instant::now() < deadline {
        if running_pid(data_dir) != Some(pid) {
            return Ok(pid);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(NodeError::DataDir(format!(
        "the node (pid {pid}) has not stopped within {} s",
        wait.as_secs()
    )))
}

/// Completes when `<data_dir>/stop` appears (and removes it).
pub async fn stop_requested(data_dir: PathBuf) {
    let stop = data_dir.join(STOP_FILE);
    let mut ticker = tokio::time::interval(STOP_POLL);
    loop {
        ticker.tick().await;
        if stop.exists() {
            let _ = std::fs::remove_file(&stop);
            tracing::info!("stop requested through {}", stop.display());
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn one_lock_per_directory_and_stale_files_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let lock = DataDirLock::acquire(dir.path()).unwrap();
        assert_eq!(running_pid(dir.path()), Some(std::process::id()));
        let e = DataDirLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains(&format!(
                "already running here (pid {})",
                std::process::id()
            )),
            "{e}"
        );
        drop(lock);
        assert_eq!(running_pid(dir.path()), None);
        // A file left by a killed node, naming a live process (this one:
        // its pid reused) that does not hold the lock: stale, taken over.
        std::fs::write(
            dir.path().join(PID_FILE),
            format!("{}\n", std::process::id()),
        )
        .unwrap();
        assert_eq!(running_pid(dir.path()), None);
        std::fs::write(dir.path().join(STOP_FILE), "").unwrap();
        let lock = DataDirLock::acquire(dir.path()).unwrap();
        assert!(!dir.path().join(STOP_FILE).exists());
        assert_eq!(running_pid(dir.path()), Some(std::process::id()));
        // A longer stale content is fully replaced.
        drop(lock);
        std::fs::write(dir.path().join(PID_FILE), "4294967295\n").unwrap();
        let _lock = DataDirLock::acquire(dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(PID_FILE)).unwrap(),
            format!("{}\n", std::process::id())
        );
    }
}
