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
  log="$build/fuzz/$name.log"
  if ! "$exe" -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 -artifact_prefix="$build/fuzz/" "$corpus" >"$log" 2>&1; then
    grep -E "ERROR|SUMMARY|#[0-9]+ 0x" "$log" | head -20
    echo "fuzzer $name found a crash (see $log and $build/fuzz/crash-*)"
    exit 1
  fi
  grep -E "stat::number_of_executed_units" "$log" || true
done
