#!/usr/bin/env bash
# Makes sure the command-line tools some tests need besides Node and the servers are installed.
#
#   scripts/ensure-tools.sh TOOL ...   (known tools: faketime, chromium)
#
# A tool already on PATH is left alone, so running this again is a no-op. A missing one is installed
# with apt-get (scripts/apt-install.sh, which waits for the package manager's lock) when we are root;
# otherwise this exits non-zero, saying what to install. `npm run test:faults` and .ci/run run it
# once, up front, for every tool the fault suites use; `npm run test:browser` for chromium (the
# browser tests drive /usr/bin/chromium through playwright-core, which downloads no browser).
set -euo pipefail

log() { echo "ensure-tools: $*" >&2; }
die() { log "$*"; exit 1; }

KNOWN="faketime chromium"

# The Debian package that provides a tool.
package_of() {
  case $1 in
    faketime) echo faketime ;;
    chromium) echo chromium ;;
    *) return 1 ;;
  esac
}

[ $# -gt 0 ] || die "usage: $0 TOOL ... (known tools: $KNOWN)"

missing=()
for tool in "$@"; do
  package=$(package_of "$tool") || die "unknown tool '$tool' (known tools: $KNOWN)"
  command -v "$tool" >/dev/null || missing+=("$package")
done
[ ${#missing[@]} -gt 0 ] || exit 0

bash "$(dirname "$0")/apt-install.sh" "${missing[@]}"
for tool in "$@"; do
  command -v "$tool" >/dev/null || die "$tool is still missing after apt-get install"
done
