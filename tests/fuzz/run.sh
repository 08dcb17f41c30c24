#!/usr/bin/env bash
# Runs every libFuzzer target of <build-dir> for N seconds each (default 20), starting from
# the committed seed corpus. The corpus is copied to a scratch directory first, so the
# repository is never modified. Exits non-zero if any target crashes.
#
#   CC=clang CXX=clang++ cmake -S . -B build-fuzz -DHERALD_FUZZ=ON -DHERALD_TESTS=ON -DHERALD_BENCH=OFF
#   cmake --build build-fuzz --target fuzz_ws_frame fuzz_eio_payload fuzz_sio_packet fuzz_msgpack \
#     fuzz_jwt fuzz_markdown fuzz_api_body
#   tests/fuzz/run.sh build-fuzz 60
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 <build-dir> [seconds]" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
seconds=${2:-20}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
targets=(fuzz_ws_frame fuzz_eio_payload fuzz_sio_packet fuzz_msgpack fuzz_jwt fuzz_markdown fuzz_api_body)

scratch=$(mktemp -d "${TMPDIR:-/tmp}/herald-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

failed=()
for target in "${targets[@]}"; do
  binary=$(find "$build_dir" -type f -name "$target" -perm -u+x | head -n 1)
  if [[ -z "$binary" ]]; then
    echo "== $target: not built in $build_dir" >&2
    failed+=("$target (missing)")
    continue
  fi
  corpus="$scratch/corpus/$target"
  artifacts="$scratch/artifacts/$target/"
  mkdir -p "$corpus" "$artifacts"
  if [[ -d "$here/corpus/$target" ]]; then cp -R "$here/corpus/$target/." "$corpus/"; fi
  log="$scratch/$target.log"
  echo "== $target: ${seconds}s"
  if "$binary" "$corpus" -max_len=4096 -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$artifacts" >"$log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|#[0-9]+ +DONE)' "$log" || true
  else
    echo "== $target FAILED; last lines of its log:" >&2
    tail -n 40 "$log" >&2
    for crash in "$artifacts"*; do
      [[ -e "$crash" ]] || continue
      mkdir -p "$build_dir/fuzz-artifacts"
      cp "$crash" "$build_dir/fuzz-artifacts/"
      echo "   reproducer kept in $build_dir/fuzz-artifacts/$(basename "$crash")" >&2
    done
    failed+=("$target")
  fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzzing failed: ${failed[*]}" >&2
  exit 1
fi
echo "all fuzz targets ran clean"
