#!/bin/sh
# Debian's chromium for the browser tests (tests/e2e). Playwright drives it through
# executable_path=/usr/bin/chromium; no browser is ever downloaded (never `playwright install`).
# Idempotent: does nothing when /usr/bin/chromium is there. Uses sudo only when not root.
set -eu
if [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
else
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o Acquire::Retries=3 update
$SUDO apt-get -o Acquire::Retries=3 install -y --no-install-recommends chromium
test -x /usr/bin/chromium
