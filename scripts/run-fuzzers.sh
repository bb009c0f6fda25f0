#!/usr/bin/env bash
# Runs every fuzz target in <build>/fuzz for FUZZ_SECONDS (default 30) each,
# with a corpus under <build>/fuzz/corpus/<name>. A crash fails the run.
set -euo pipefail
build=${1:-build-fuzz}
seconds=${FUZZ_SECONDS:-30}
for exe in "$build"/fuzz/fuzz_*; do
  [ -x "$exe" ] || continue
  name=$(basename "$exe")
  corpus="$build/fuzz/corpus/$name"
  mkdir -p "$corpus"
  echo "==> $name for ${seconds}s"
  "$exe" -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 "$corpus" 2>&1 | grep -E "stat::number_of_executed_units|ERROR|SUMMARY" || true
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "fuzzer $name failed"; exit 1; }
done
