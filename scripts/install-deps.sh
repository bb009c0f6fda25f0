#!/usr/bin/env bash
# Installs what the build needs from Debian's packages, only if missing.
# Runs as root (the dev and CI machines) or through sudo when available.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config python3
  libssl-dev librocksdb-dev libraft-dev libgfshare-dev libsecp256k1-dev libcurl4-openssl-dev libcjose-dev libjansson-dev
  libboost-dev libcpp-httplib-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libcbor-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang lld libclang-rt-14-dev
  wasi-libc libclang-rt-14-dev-wasm32
)
# Node.js for the JavaScript contract tooling: Debian's, unless one is installed.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
fi
command -v cargo >/dev/null 2>&1 || { echo "error: cargo (Rust 1.95) is required to build native/" >&2; exit 1; }

# Contract SDK tools from crates.io, built once into the cache outside the clone.
tools_dir="${T3N_CACHE:-$HOME/.cache/t3n}/tools"
want_tools=("wasm-tools@1.263.0" "wit-bindgen-cli@0.63.0")
for spec in "${want_tools[@]}"; do
  name=${spec%@*}; version=${spec#*@}
  bin=$name; [ "$name" = "wit-bindgen-cli" ] && bin=wit-bindgen
  if ! "$tools_dir/bin/$bin" --version 2>/dev/null | grep -q "$version"; then
    echo "==> building $name $version (once; cached in $tools_dir)"
    CARGO_TARGET_DIR="$tools_dir/target" cargo install --quiet --locked --root "$tools_dir" "$name@$version"
  fi
done
