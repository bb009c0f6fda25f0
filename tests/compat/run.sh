#!/usr/bin/env bash
# Runs the SDK compatibility test: the pinned @terminal3/t3n-sdk from
# package-lock.json (npm ci; npm's own cache makes later installs offline)
# against a real t3nd dev.   run.sh <t3nd> <contracts-dir> [lincheck]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --silent --prefer-offline
fi
T3ND=$1 CONTRACTS=$2 LINCHECK=${3:-} exec node --test --test-reporter=spec sdk.test.mjs tenant.test.mjs signing.test.mjs user.test.mjs org.test.mjs cluster.test.mjs
