#!/usr/bin/env bash
# Installs the dev dependencies from package-lock.json when node_modules is missing or older than
# the lock file, so `npm run demo` and `npm test` are the first commands on a fresh clone.
# `npm run demo`, `npm test` and `npm run test:faults` run it first (pre-scripts); .ci/run too.
#
# Up to date: node_modules was installed from this very package-lock.json (its hash is recorded
# after each install), or, before the first record, npm's own record of its last install
# (node_modules/.package-lock.json) is newer than the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."

record=node_modules/.nestjs-locker-installed
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$record" ]; then
  [ "$(cat "$record")" != "$lock_hash" ] || exit 0
elif [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "$lock_hash" >"$record"
  exit 0
fi

echo "ensure-deps: node_modules is missing or older than package-lock.json: npm ci" >&2
# npm 11 on these machines writes package-lock.json without the other platforms' optional
# packages (@biomejs/cli-*, @swc/core-*) and `npm ci` then refuses that same lock file as out of
# sync (npm/cli issues 4828 and 8320). Only in that case, install from the lock file with
# `npm install`, which keeps every locked version and adds just this platform's binaries.
if ! npm ci --no-audit --no-fund --loglevel=error; then
  echo "ensure-deps: npm ci refused the lock file; npm install from it instead" >&2
  npm install --no-audit --no-fund --loglevel=error
  git diff --quiet -- package.json 2>/dev/null || {
    echo "ensure-deps: npm install changed package.json" >&2
    exit 1
  }
fi
echo "$lock_hash" >"$record"
