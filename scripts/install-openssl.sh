#!/usr/bin/env bash
# Makes the openssl CLI available (`shoal certs create` and its tests use it): there already, or
# `apt-get install openssl` from the machine's Debian sources as root; otherwise it says what to run.
set -euo pipefail

log() { echo "install-openssl: $*" >&2; }

if command -v openssl >/dev/null; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  log "openssl is not installed; run: sudo apt-get install -y openssl"
  exit 1
fi
log "installing Debian's openssl with apt-get …"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends openssl >&2; then
  apt-get update >&2
  apt-get install -y --no-install-recommends openssl >&2
fi
