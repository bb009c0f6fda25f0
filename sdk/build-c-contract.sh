#!/usr/bin/env bash
# Builds a C contract into a WebAssembly component.
#   build-c-contract.sh <wit-dir> <world> <out.wasm> <source.c>...
# Bindings come from wit-bindgen (C), the code is compiled with Debian's
# clang for wasm32-wasi (wasi-libc for malloc/string functions; no WASI
# imports are used), and wasm-tools wraps the core module into a component.
set -euo pipefail
tools=${T3N_TOOLS:-$HOME/.cache/t3n/tools/bin}
wit=$1 world=$2 out=$3
shift 3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$tools/wit-bindgen" c "$wit" --world "$world" --out-dir "$work/gen" >/dev/null 2>&1
clang --target=wasm32-wasi -O2 -mexec-model=reactor -Wall -Wextra -Werror -Wno-unused-parameter \
  -I"$work/gen" -I"$(dirname "$0")/include" \
  "$@" "$work"/gen/*.c "$work"/gen/*_component_type.o -o "$work/core.wasm"
"$tools/wasm-tools" component new "$work/core.wasm" -o "$out"
"$tools/wasm-tools" validate "$out"
