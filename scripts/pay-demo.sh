#!/usr/bin/env bash
# A confidential payment on the devnet that `cargo run --release -p zkvm-cli
# -- devnet` runs: creates Bob's wallet (zkvm-data/bob.redb) if needed, pays
# him 250 DEV from the dev wallet, waits for the block that includes it, and
# prints Bob's balance as his wallet finds it by scanning the chain.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p zkvm-cli
# Cargo builds into $CARGO_TARGET_DIR when it is set.
zkvm="${CARGO_TARGET_DIR:-target}/release/zkvm"
export ZKVM_NODE="${ZKVM_NODE:-127.0.0.1:9797}"
bob="${BOB_WALLET:-zkvm-data/bob.redb}"
if [ ! -e "$bob" ]; then
  "$zkvm" wallet --wallet "$bob" new --no-passphrase > /dev/null
  echo "created Bob's wallet in $bob"
fi
# `--json` is the stable form for scripts (the default output is for people).
address=$("$zkvm" --json wallet --wallet "$bob" address | sed -n 's/.*"address":"\([^"]*\)".*/\1/p')
echo "paying 250 DEV to Bob at $address"
"$zkvm" wallet send --to "$address" --qty 250 --asset DEV --fee 10 --wait
echo "Bob's balance (amounts only his wallet can decrypt):"
"$zkvm" wallet --wallet "$bob" balance
