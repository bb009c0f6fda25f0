#!/usr/bin/env bash
# Runs every benchmark program in <build>/bench, writes <build>/bench/<name>.json
# (Google Benchmark JSON), then prints a summary table against TARGETS.md.
set -euo pipefail
build=${1:-build}
out="$build/bench"
mkdir -p "$out"
echo "==> benchmarks on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'))"
for exe in "$out"/bench_*; do
  [ -x "$exe" ] || continue
  name=$(basename "$exe"); name=${name#bench_}
  [ "$name" = "load" ] && continue  # not a Google Benchmark program: below
  [ "$name" = "cluster" ] && continue  # nor this one
  echo "==> $name"
  "$exe" --benchmark_format=json --benchmark_out="$out/$name.json" --benchmark_out_format=json \
    --benchmark_min_time="${BENCH_MIN_TIME:-0.3}" >/dev/null
done
if [ -x "$out/bench_load" ]; then
  echo "==> load (end-to-end calls against a node on loopback)"
  "$out/bench_load" "$out" "${LOAD_SECONDS:-5}" "${LOAD_CLIENTS:-4}" >/dev/null
fi
if [ -x "$out/bench_cluster" ]; then
  if [ ! -x /usr/bin/etcd ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> installing etcd-server (Debian) for the side-by-side cluster bench"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends etcd-server >/dev/null \
      || echo "    etcd-server could not be installed: bench_cluster measures t3n alone"
  fi
  echo "==> cluster (3 replicated members, t3n against etcd)"
  "$out/bench_cluster" "$out" "${CLUSTER_SECONDS:-5}" "${CLUSTER_CLIENTS:-8}" >/dev/null
fi
python3 "$(dirname "$0")/bench-summary.py" "$out"
