//! The ZkVM node (docs/api.md).
