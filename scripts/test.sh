#!/usr/bin/env bash
# The test suite, as README.md gives it and .ci/run runs it: builds the
# explorer's in-browser verifier (embedded by the node's build, so first),
# makes sure the browser its tests drive is there, then runs every test of
# the workspace. Arguments go to `cargo test` (e.g. `-p node`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/build-verify-wasm.sh

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "the explorer's browser tests need chromium and chromedriver:" >&2
        echo "run 'sudo bash scripts/install-browser.sh' once, then this again" >&2
        exit 1
    fi
    bash scripts/install-browser.sh
fi

exec cargo test --workspace --locked "$@"
