#!/usr/bin/env bash
# Installs what the explorer's browser tests drive (crates/cli/tests/explorer.rs):
# Debian's chromium and chromium-driver. Nothing is done when both are
# there already. Needs root (CI runs as root).
set -euo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    echo "chromium and chromedriver are installed"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium chromium-driver >/dev/null
/usr/bin/chromium --version
