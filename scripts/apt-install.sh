#!/usr/bin/env bash
# Installs Debian packages with apt-get, waiting for the package manager's lock when another
# install holds it (a second apt-get or dpkg on the machine), instead of failing at once.
#
#   scripts/apt-install.sh PACKAGE ...
#
# The one place this repo calls apt-get: scripts/servers.sh (redis-server, postgresql),
# scripts/ensure-tools.sh (faketime) and .ci/run use it. Needs root.
set -euo pipefail

[ $# -gt 0 ] || { echo "usage: $0 PACKAGE ..." >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "apt-install: $* is missing; install it (apt-get install $*) or run as root" >&2; exit 1; }

# dpkg's lock: apt-get waits up to this long for it (apt >= 1.9.11).
LOCK_WAIT=(-o DPkg::Lock::Timeout=600)
# apt-get update takes the package lists' lock, which that option does not cover: retry it.
update() {
  local attempt
  for attempt in $(seq 1 60); do
    apt-get "${LOCK_WAIT[@]}" update -qq >/dev/null && return 0
    echo "apt-install: apt-get update failed (lock held?); retrying in 5 s" >&2
    sleep 5
  done
  echo "apt-install: apt-get update kept failing" >&2
  return 1
}

install() { DEBIAN_FRONTEND=noninteractive apt-get "${LOCK_WAIT[@]}" install -y -qq "$@" >/dev/null; }

echo "apt-install: installing $*" >&2
# Package lists fetched once per machine boot; fetched again when an install finds them stale.
updated=/tmp/nestjs-locker-apt-updated
if [ ! -f "$updated" ]; then update && touch "$updated"; fi
install "$@" || { update && install "$@"; }
