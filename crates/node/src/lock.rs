//! One node per data directory, and stopping it from outside
//! (docs/api.md §Running, §Stopping).
//!
//! A running node holds `<data-dir>/node.pid`, created exclusively and
//! holding its process ID; it is removed when the node ends. A file left
//! by a node that was killed names a process that no longer exists and is
//! replaced. To stop a node, a process that can write to its data
//! directory creates `<data-dir>/stop`; the node looks for it a few times a
//! second, removes it and shuts down as on SIGTERM (the API stops taking
//! requests, the producer and the network stop, the database is closed).
//! Only whoever may write the data directory, which is who may delete the
//! chain anyway, can stop the node: no credential and no API endpoint.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::NodeError;

/// The file naming the process that runs the node.
pub const PID_FILE: &str = "node.pid";

/// The file whose appearance stops the node.
pub const STOP_FILE: &str = "stop";

/// How often a running node looks for [`STOP_FILE`].
const STOP_POLL: Duration = Duration::from_millis(200);

/// The data directory's lock, held while the node runs; removes the pid
/// file when dropped.
#[derive(Debug)]
pub struct DataDirLock {
    pid_file: PathBuf,
}

impl DataDirLock {
    /// Takes the lock of `data_dir` (which must exist) for this process,
    /// and removes a stale stop request. Fails with
    /// [`NodeError::DataDir`] "a node is already running here (pid N)"
    /// when another live process holds it.
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock, NodeError> {
        let pid_file = data_dir.join(PID_FILE);
        let io = |e: std::io::Error| {
            NodeError::DataDir(format!("cannot write {}: {e}", pid_file.display()))
        };
        // Twice at most: once more after removing a stale file.
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&pid_file)
            {
                Ok(mut file) => {
                    use std::io::Write;
                    file.write_all(format!("{}\n", std::process::id()).as_bytes())
                        .map_err(io)?;
                    let _ = std::fs::remove_file(data_dir.join(STOP_FILE));
                    return Ok(DataDirLock { pid_file });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    if let Some(pid) = running_pid(data_dir) {
                        return Err(already_running(data_dir, pid));
                    }
                    let _ = std::fs::remove_file(&pid_file);
                }
                Err(e) => return Err(io(e)),
            }
        }
        Err(NodeError::DataDir(format!(
            "cannot take {}: another process keeps creating it",
            pid_file.display()
        )))
    }
}

impl Drop for DataDirLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.pid_file);
    }
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

/// The process ID in `data_dir`'s pid file, if there is one and that
/// process is alive.
pub fn running_pid(data_dir: &Path) -> Option<u32> {
    let text = std::fs::read_to_string(data_dir.join(PID_FILE)).ok()?;
    let pid: u32 = text.trim().parse().ok()?;
    is_alive(pid).then_some(pid)
}

/// Whether process `pid` exists: `/proc/<pid>` where there is a `/proc`,
/// else `kill -0`.
fn is_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return proc.join(pid.to_string()).exists();
    }
    std::process::Command::new("kill")
        .arg("-0")
        .arg(pid.to_string())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
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
        // A pid that cannot be alive (above the kernel's maximum).
        std::fs::write(dir.path().join(PID_FILE), "4294967295\n").unwrap();
        std::fs::write(dir.path().join(STOP_FILE), "").unwrap();
        let _lock = DataDirLock::acquire(dir.path()).unwrap();
        assert!(!dir.path().join(STOP_FILE).exists());
    }
}
