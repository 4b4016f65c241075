//! The admission order (docs/spec/network.md §Admission): cheap checks
//! first. Counted with the admission's own counters: a duplicate witness
//! never reaches the VM; a rewritten signature, unknown inputs and a full
//! pool are refused before the proof check (each with a transaction whose
//! proof would fail, so the refusal shows which check came first); bytes
//! refused once are refused again without a VM run; a full verification
//! pool refuses at once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use blockchain::BlockchainError;
use common::Net;
use node::{Admission, AdmissionSettings, AdmissionStats, Chain, ChainHandle, Limits, NodeError};
use zkvm::adversarial::{transaction, Family};
use zkvm::{Encodable, Tx};

struct Setup {
    admission: Admission,
    chain: ChainHandle,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl Setup {
    fn new(net: &Net, limits: Limits, settings: AdmissionSettings) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        drop(net.init(dir.path()));
        let path = dir.path().join("chain.redb");
        let (chain, _thread) = ChainHandle::spawn(move || Chain::open(&path, limits)).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        Setup {
            admission: Admission::new(settings),
            chain,
            runtime,
            _dir: dir,
        }
    }

    fn admit(&self, bytes: Vec<u8>) -> Result<(), NodeError> {
        self.runtime
            .block_on(self.admission.admit(&self.chain, bytes))
            .map(|_| ())
    }

    fn stats(&self) -> AdmissionStats {
        self.admission.stats()
    }
}

/// `tx` with one bit of its signature's scalar flipped: it still decodes,
/// keeps its txid (the signature is not part of it) and fails the proof
/// check.
fn rewritten_signature(tx: &Tx) -> Vec<u8> {
    let mut bytes = tx.to_bytes();
    let s_at = 24 + 4 + tx.program.len() + 32;
    bytes[s_at] ^= 1;
    assert!(matches!(
        node::verify_submission(&bytes),
        Err(NodeError::InvalidTx(_))
    ));
    bytes
}

fn already_known(r: Result<(), NodeError>) -> bool {
    matches!(
        r,
        Err(NodeError::Chain(BlockchainError::AlreadyKnown { .. }))
    )
}

#[test]
fn duplicates_are_refused_before_the_vm_or_the_proof_check() {
    let mut net = Net::new(3);
    let (tx, _) = net.pay(0, 10);
    let s = Setup::new(&net, Limits::default(), AdmissionSettings::default());
    s.admit(tx.to_bytes()).unwrap();
    assert_eq!(
        (s.stats().vm_runs, s.stats().proof_checks),
        (1, 1),
        "{:?}",
        s.stats()
    );

    // The same bytes: known by their witness hash, no VM run.
    assert!(already_known(s.admit(tx.to_bytes())));
    assert_eq!(s.stats().vm_runs, 1, "a duplicate witness reached the VM");

    // Other signature bytes: a new witness, the same txid. The VM runs
    // (it yields the txid), the proof check does not.
    assert!(already_known(s.admit(rewritten_signature(&tx))));
    assert_eq!((s.stats().vm_runs, s.stats().proof_checks), (2, 1));
}

#[test]
fn unknown_inputs_and_a_full_pool_are_found_before_the_proof_check() {
    // A wider network whose last UTXO the chain's genesis lacks.
    let mut wide = Net::new(4);
    let (foreign, _) = wide.pay(3, 10);
    let mut net = Net::new(3);
    let (first, _) = net.pay(0, 10);
    let (cheaper, _) = net.pay(1, 5);
    // Room for one payment.
    let limits = Limits {
        mempool_bytes: first.encoded_size() + 64,
        ..Limits::default()
    };
    let s = Setup::new(&net, limits, AdmissionSettings::default());

    // Its proof fails, but its input is unknown: refused as unspendable.
    let r = s.admit(rewritten_signature(&foreign));
    assert!(matches!(r, Err(NodeError::UnknownInput(_))), "{r:?}");
    assert_eq!(s.stats().proof_checks, 0);

    s.admit(first.to_bytes()).unwrap();
    assert_eq!(s.stats().proof_checks, 1);
    // A lower fee rate into a full pool: refused as full, not as invalid.
    let r = s.admit(rewritten_signature(&cheaper));
    assert!(
        matches!(
            r,
            Err(NodeError::Chain(BlockchainError::MempoolFull { .. }))
        ),
        "{r:?}"
    );
    assert_eq!(s.stats().proof_checks, 1);
    // A conflict paying no more: refused before the proof check too.
    let (double, _) = net.pay(0, 10);
    let r = s.admit(rewritten_signature(&double));
    assert!(
        matches!(r, Err(NodeError::Chain(BlockchainError::Conflict { .. }))),
        "{r:?}"
    );
    assert_eq!(s.stats().proof_checks, 1);
}

#[test]
fn refused_bytes_are_remembered_and_cost_one_vm_run() {
    let net = Net::new(1);
    let s = Setup::new(&net, Limits::default(), AdmissionSettings::default());
    let hostile = transaction(&Family::EvalChain.program(40))
        .unwrap()
        .to_bytes();
    for round in 0..5 {
        let r = s.admit(hostile.clone());
        let Err(NodeError::InvalidTx(e)) = &r else {
            panic!("{r:?}")
        };
        assert!(node::admission::is_over_budget(e), "{e}");
        assert_eq!(
            node::admission::offence(r.as_ref().unwrap_err()),
            Some(node::network::Offence::OverBudget)
        );
        assert_eq!(s.stats().known_bad, round);
    }
    assert_eq!(s.stats().vm_runs, 1);
    assert_eq!(s.stats().proof_checks, 0);
}

#[test]
fn a_full_verification_pool_refuses_at_once() {
    let mut net = Net::new(2);
    let (tx, _) = net.pay(0, 10);
    let settings = AdmissionSettings {
        workers: 1,
        queue: 1,
        wait: Duration::from_secs(2),
    };
    let s = Setup::new(&net, Limits::default(), settings);
    // The only worker is taken for a while.
    let admission = s.admission.clone();
    let hold = s.runtime.spawn(async move {
        admission
            .run(|| std::thread::sleep(Duration::from_secs(4)))
            .await
    });
    std::thread::sleep(Duration::from_millis(100));
    // One waits in the queue until its deadline…
    let (admission, chain) = (s.admission.clone(), s.chain.clone());
    let bytes = tx.to_bytes();
    let waiting = s
        .runtime
        .spawn(async move { admission.admit(&chain, bytes).await.map(|_| ()) });
    std::thread::sleep(Duration::from_millis(100));
    // …so the next finds the queue full and is refused at once.
    let start = Instant::now();
    let r = s.admit(tx.to_bytes());
    assert!(matches!(r, Err(NodeError::Busy(_))), "{r:?}");
    // At once: not after the 2 s a waiting job may wait.
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    let r = s.runtime.block_on(waiting).unwrap();
    assert!(matches!(r, Err(NodeError::Busy(_))), "{r:?}");
    assert_eq!(s.stats().busy, 2);
    s.runtime.block_on(hold).unwrap().unwrap();
    // Free again: taken.
    s.admit(tx.to_bytes()).unwrap();
}

/// Concurrent admissions share group commits (one disk write for the
/// insertions made while the chain's thread was busy), and each answer
/// comes only once its transaction is stored: reopened, the chain holds
/// every admitted transaction.
#[test]
fn concurrent_admissions_are_stored_before_they_are_answered() {
    let mut net = Net::new(12);
    let txs: Vec<Vec<u8>> = (0..12).map(|i| net.pay(i, 5).0.to_bytes()).collect();
    let dir = tempfile::tempdir().unwrap();
    drop(net.init(dir.path()));
    let path = dir.path().join("chain.redb");
    let reopen = path.clone();
    let (chain, thread) =
        ChainHandle::spawn(move || Chain::open(&path, Limits::default())).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let admission = Admission::new(AdmissionSettings::default());
    let answers = runtime.block_on(async {
        let jobs: Vec<_> = txs
            .into_iter()
            .map(|bytes| {
                let (admission, chain) = (admission.clone(), chain.clone());
                tokio::spawn(async move { admission.admit(&chain, bytes).await })
            })
            .collect();
        let mut answers = Vec::new();
        for job in jobs {
            answers.push(job.await.unwrap());
        }
        answers
    });
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    assert_eq!(chain.view().mempool_txs, 12);
    drop((chain, runtime));
    thread.join().unwrap();
    let reopened = Chain::open(&reopen, Limits::default()).unwrap();
    assert_eq!(reopened.stored_mempool_len().unwrap(), 12);
    assert_eq!(reopened.mempool().len(), 12);
}
