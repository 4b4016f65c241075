//! The wallet file at rest and in use (docs/spec/wallet.md §Storage): the
//! seed sealed under a passphrase, the file's mode, and the lock that lets
//! one process change the wallet while others read it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::TempPath;
use wallet::{Access, Seed, Wallet, WalletError};

#[test]
fn a_sealed_seed_opens_only_with_its_passphrase_and_is_not_in_the_file() {
    let path = TempPath::new("sealed");
    let (w, phrase) =
        Wallet::create_with_passphrase(&path.0, None, Some(b"correct horse")).unwrap();
    let address = w.address(0);
    drop(w);

    assert!(matches!(
        Wallet::open(&path.0),
        Err(WalletError::PassphraseRequired)
    ));
    let wrong = Access {
        passphrase: Some(b"wrong horse"),
        ..Access::default()
    };
    assert!(matches!(
        Wallet::open_with(&path.0, &wrong),
        Err(WalletError::WrongPassphrase)
    ));
    assert!(Wallet::is_encrypted(&path.0).unwrap());
    let right = Access {
        passphrase: Some(b"correct horse"),
        ..Access::default()
    };
    let w = Wallet::open_with(&path.0, &right).unwrap();
    assert_eq!(w.address(0), address);
    assert_eq!(w.recovery_phrase().unwrap().as_str(), phrase.as_str());
    drop(w);

    let bytes = std::fs::read(&path.0).unwrap();
    let seed = Seed::from_phrase(&phrase).unwrap();
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(seed.as_bytes()), "the seed is in the file");
    assert!(
        !contains(&seed.as_bytes()[..16]),
        "part of the seed is in the file"
    );
    assert!(!contains(phrase.as_bytes()), "the phrase is in the file");
    let first_words: String = phrase.split(' ').take(3).collect::<Vec<_>>().join(" ");
    assert!(
        !contains(first_words.as_bytes()),
        "words of the phrase are in the file"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path.0).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "wallet file mode {mode:o}");
    }
}

#[test]
fn a_clear_wallet_keeps_no_phrase_and_its_file_is_private() {
    let path = TempPath::new("clear");
    let (w, _) = Wallet::create(&path.0, None).unwrap();
    assert!(matches!(w.recovery_phrase(), Err(WalletError::NoPhrase)));
    assert!(!Wallet::is_encrypted(&path.0).unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path.0).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "wallet file mode {mode:o}");
    }
}

#[test]
fn a_second_writer_waits_then_names_the_holder_while_readers_go_on() {
    let path = TempPath::new("locked");
    let (mut w, _) = Wallet::create(&path.0, None).unwrap();
    w.new_address().unwrap();

    // A second writer: waits, then is told who holds the wallet.
    let start = Instant::now();
    let second = Wallet::open_with(
        &path.0,
        &Access {
            lock_wait: Duration::from_millis(300),
            ..Access::default()
        },
    );
    match second {
        Err(WalletError::Busy { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
        other => panic!("expected Busy, got {other:?}"),
    }
    assert!(start.elapsed() >= Duration::from_millis(300));

    // A reader opens beside the writer (which closes the file between
    // runs of changes), sees its commits, writes nothing.
    w.release();
    let read_only = Access {
        read_only: true,
        ..Access::default()
    };
    let mut r = Wallet::open_with(&path.0, &read_only).unwrap();
    assert!(r.is_read_only());
    assert_eq!(r.addresses_issued(), 1);
    r.new_address().unwrap();
    assert_eq!(r.addresses_issued(), 2);
    w.new_address().unwrap();
    w.new_address().unwrap();
    w.release();
    drop(r);
    let r = Wallet::open_with(&path.0, &read_only).unwrap();
    assert_eq!(r.addresses_issued(), 3);

    // Once the writer is done, the next one gets the wallet.
    drop(w);
    let w = Wallet::open(&path.0).unwrap();
    assert_eq!(w.addresses_issued(), 3);
}
