#!/usr/bin/env bash
# Builds the explorer's in-browser verifier (crates/verify-wasm) for
# wasm32-unknown-unknown and puts it where the node's build embeds it
# (target/explorer/verify.wasm; crates/node/build.rs). Run before building
# the node; .ci/run does. Installs the wasm32 target if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
fi

target_dir="${CARGO_TARGET_DIR:-target}"
cargo build --locked --release --target wasm32-unknown-unknown -p verify-wasm
mkdir -p target/explorer
cp "$target_dir/wasm32-unknown-unknown/release/verify_wasm.wasm" target/explorer/verify.wasm.tmp
mv target/explorer/verify.wasm.tmp target/explorer/verify.wasm
echo "built target/explorer/verify.wasm ($(wc -c < target/explorer/verify.wasm) bytes)"
