#!/usr/bin/env bash
# Makes Debian's Chromium available to the browser tests and prints its path.
#
# Order: $CHROMIUM_PATH if set, /usr/bin/chromium, else `apt-get install chromium` from the
# machine's configured Debian sources (as root; otherwise it says what to run). Never a
# browser download: playwright-core drives this binary.
set -euo pipefail

log() { echo "install-chromium: $*" >&2; }

if [ -n "${CHROMIUM_PATH:-}" ]; then
  if [ -x "$CHROMIUM_PATH" ]; then echo "$CHROMIUM_PATH"; exit 0; fi
  log "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable"
  exit 1
fi
if [ -x /usr/bin/chromium ]; then echo /usr/bin/chromium; exit 0; fi

if [ "$(id -u)" -ne 0 ]; then
  log "Chromium is not installed; run: sudo apt-get install -y chromium   (or set CHROMIUM_PATH)"
  exit 1
fi
log "installing Debian's chromium with apt-get (this takes a minute) …"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends chromium >&2; then
  apt-get update >&2
  apt-get install -y --no-install-recommends chromium >&2
fi
echo /usr/bin/chromium
