#!/usr/bin/env bash
# Builds a JavaScript contract into a WebAssembly component with componentize-js.
#   build-js-contract.sh <source.js> <wit-dir> <world> <out.wasm>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$1 wit=$2 world=$3 out=$4
if [ ! -x "$here/js/node_modules/.bin/componentize-js" ]; then
  (cd "$here/js" && npm install --no-audit --no-fund --silent)
fi
# No WASI HTTP: contracts reach the network only through the host's http interface.
"$here/js/node_modules/.bin/componentize-js" "$src" --wit "$wit" -n "$world" -d http fetch-event -o "$out"
