#!/usr/bin/env bash
# Runs every benchmark built (`make bench`): the executables listed, one path a
# line, in BUILD_DIR/benchmarks.txt, which the build writes. Extra arguments
# go to every benchmark (e.g. --benchmark_filter=Ledger).
#
#   scripts/bench.sh BUILD_DIR [benchmark args...]
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 BUILD_DIR [benchmark args...]" >&2
  exit 2
fi
build=$1
shift
list="$build/benchmarks.txt"

if [ ! -f "$list" ]; then
  echo "no benchmarks built"
  exit 0
fi

ran=0
failed=()
while IFS= read -r bench || [ -n "$bench" ]; do
  bench=${bench%$'\r'}
  case "$bench" in '' | '#'*) continue ;; esac
  # Relative paths are relative to the build directory.
  [ "${bench#/}" = "$bench" ] && bench="$build/$bench"
  echo
  echo "==================== $(basename "$bench") ===================="
  if [ ! -x "$bench" ]; then
    echo "bench: $bench is listed but not built" >&2
    failed+=("$(basename "$bench")")
    continue
  fi
  ran=$((ran + 1))
  "$bench" "$@" </dev/null || failed+=("$(basename "$bench")")
done <"$list"

if [ "$ran" -eq 0 ] && [ ${#failed[@]} -eq 0 ]; then
  echo "no benchmarks built"
  exit 0
fi
echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "bench: ${#failed[@]} failed: ${failed[*]}" >&2
  exit 1
fi
echo "bench: $ran benchmark(s) done"
