#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan; preset `fuzz`) and runs each for
# FUZZ_SECONDS (default 60) on the seeds in fuzz/corpus (pipelines/ for the pipeline
# fuzzer). New inputs and any crash go to build-fuzz/runs/. Exits non-zero when a target
# crashed, leaked, hung or ran out of memory; the reproducer's path is printed.
# FUZZ_PRESET=fuzz-smoke builds the targets without LibTorch (build-fuzz-smoke/); `make
# test` runs those for 10 s each, so that CI fails on anything a short run finds.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
preset=${FUZZ_PRESET:-fuzz}
build=build-${preset}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
runs=$build/runs
mkdir -p "$runs"
status=0
printf '%-10s %12s %10s %8s  %s\n' target executions exec/s corpus result
for target in pipeline message idx cifar snap checkpoint model split_protocol; do
  bin=$build/fuzz-bin/${target}_fuzzer
  [ -x "$bin" ] || continue
  seeds=fuzz/corpus/$target
  [ "$target" = pipeline ] && seeds=pipelines
  mkdir -p "$runs/corpus/$target"
  # Inputs that once crashed this target are replayed first, every time.
  for old in fuzz/regressions/"$target"-*; do
    [ -e "$old" ] && cp "$old" "$runs/corpus/$target/"
  done
  options=halt_on_error=1:detect_stack_use_after_return=0
  # LibTorch keeps allocations for the life of the process by design.
  [ "$target" = model ] || [ "$target" = split_protocol ] && options=$options:detect_leaks=0
  log=$runs/$target.log
  result=ok
  if ! ASAN_OPTIONS=$options UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      "$bin" "$runs/corpus/$target" "$seeds" -max_total_time="$seconds" -timeout=20 \
      -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$runs/$target-" >"$log" 2>&1; then
    result="FAILED: $(grep -o "Test unit written to .*" "$log" | head -1) (log: $log)"
    status=1
  fi
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log" | tail -1)
  corpus=$(find "$runs/corpus/$target" -type f | wc -l)
  printf '%-10s %12s %10s %8s  %s\n' "$target" "${execs:-?}" "${rate:-?}" "$corpus" "$result"
done
exit $status
