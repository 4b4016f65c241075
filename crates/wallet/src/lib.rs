//! The ZkVM wallet (docs/spec/wallet.md).
