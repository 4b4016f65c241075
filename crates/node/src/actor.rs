//! The thread that owns the [`Chain`]. The UTXO forest (rustreexo's
//! `MemForest`) is built on `Rc` and cannot move between threads, so the
//! chain is opened on one thread and every other part of the node sends it
//! work through a [`ChainHandle`]. One owner also means one writer: the
//! chain's operations never interleave.

use std::sync::mpsc;
use std::thread::JoinHandle;

use crate::chain::Chain;
use crate::NodeError;

type Job = Box<dyn FnOnce(&mut Chain) + Send>;

/// Sends work to the chain's thread; cheap to clone. The thread ends when
/// the last handle is dropped.
#[derive(Clone, Debug)]
pub struct ChainHandle {
    jobs: mpsc::Sender<Job>,
}

impl ChainHandle {
    /// Starts the chain's thread: `open` runs on it and makes the chain
    /// (its error is returned here).
    pub fn spawn(
        open: impl FnOnce() -> Result<Chain, NodeError> + Send + 'static,
    ) -> Result<(ChainHandle, JoinHandle<()>), NodeError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), NodeError>>();
        let thread = std::thread::Builder::new()
            .name("zkvm-chain".into())
            .spawn(move || {
                let mut chain = match open() {
                    Ok(chain) => {
                        let _ = ready_tx.send(Ok(()));
                        chain
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                while let Ok(job) = queue.recv() {
                    job(&mut chain);
                }
            })
            .map_err(|e| NodeError::Server(format!("cannot start the chain thread: {e}")))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok((ChainHandle { jobs }, thread)),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(NodeError::Server(
                "the chain thread died while opening".into(),
            )),
        }
    }

    /// Runs `f` on the chain and waits for its result without blocking the
    /// async runtime.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Chain) -> T + Send + 'static,
    ) -> Result<T, NodeError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())
    }

    /// Runs `f` on the chain and blocks until it is done (outside async
    /// code).
    pub fn call_blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Chain) -> T + Send + 'static,
    ) -> Result<T, NodeError> {
        let (tx, rx) = mpsc::channel();
        self.jobs
            .send(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
            .map_err(|_| stopped())?;
        rx.recv().map_err(|_| stopped())
    }
}

fn stopped() -> NodeError {
    NodeError::Server("the chain thread has stopped".into())
}
