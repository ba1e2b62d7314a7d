#!/usr/bin/env bash
# Makes a `consul` binary available to shoal and prints its path.
#
# Order: $CONSUL_BIN if set, `consul` on PATH, a previous project-local install under
# .tools/, else Debian bullseye's consul package (1.8.7, UI included), downloaded through
# apt from the same mirror the machine's apt sources already name and unpacked into .tools/.
# The system's apt configuration is not touched: a private sources list and state dir are used.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
local_bin="$tools/consul/usr/bin/consul"

if [ -n "${CONSUL_BIN:-}" ] && [ -x "$CONSUL_BIN" ]; then echo "$CONSUL_BIN"; exit 0; fi
if command -v consul >/dev/null 2>&1; then command -v consul; exit 0; fi
if [ -x "$local_bin" ]; then echo "$local_bin"; exit 0; fi

log() { echo "install-consul: $*" >&2; }

# The first Debian (non-security) mirror named in the apt sources, deb822 or one-line style.
mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  mirror="$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/ && $i ~ /debian\/?$/) { print $i; exit } }' "$f")"
  [ -n "$mirror" ] && break
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror="$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^(https?|file):/ && $i !~ /security/) { print $i; exit } }' /etc/apt/sources.list)"
fi
if [ -z "$mirror" ]; then
  log "no Debian mirror found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list"
  log "install consul yourself and put it on PATH, or set CONSUL_BIN"
  exit 1
fi

log "consul not on PATH; fetching Debian bullseye's consul from $mirror into $tools"
apt_dir="$tools/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts" "$tools/download"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} bullseye main" >"$apt_dir/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o "Dir::Etc::SourceParts=$apt_dir/parts"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"
)
apt-get "${apt_opts[@]}" -qq update >&2
(cd "$tools/download" && apt-get "${apt_opts[@]}" -qq download consul >&2)
deb="$(ls "$tools"/download/consul_*.deb | head -n 1)"
dpkg-deb -x "$deb" "$tools/consul"
if [ ! -x "$local_bin" ]; then log "unpacked $deb but found no $local_bin"; exit 1; fi
log "installed $("$local_bin" version | head -n 1)"
echo "$local_bin"
