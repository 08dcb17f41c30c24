#!/usr/bin/env bash
# Sets up a fresh machine and runs every test: formatting, the release build's unit,
# integration and conformance tests, the same tests under AddressSanitizer and
# UndefinedBehaviorSanitizer, a tiny run of the benchmark (to keep it working), and a short
# bounded run of every fuzz target.
#   scripts/test.sh            everything
#   scripts/test.sh --quick    release build and its tests only
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
quick=0
[ "${1:-}" = "--quick" ] && quick=1

scripts/setup.sh

echo "== format check"
files=$(git ls-files 'src/*.cpp' 'src/*.hpp' 'examples/*.cpp' 'tests/*.cpp' 'tests/*.hpp' 'bench/*.cpp' 'bench/*.hpp' || true)
if [ -n "$files" ]; then
  echo "$files" | xargs clang-format --dry-run -Werror
fi

run_suite() {
  local dir=$1
  shift
  echo "== build $dir"
  scripts/build.sh "$dir" "$@"
  echo "== tests $dir"
  (cd "$dir" && ctest --output-on-failure --timeout 300 -j"${HERALD_TEST_JOBS:-2}")
}

run_suite build
echo "== benchmark smoke run (tiny sizes, no assertions on time)"
bench_out=$(mktemp -d)
bench/run.sh --quick --no-build --build-dir "$root/build" --herald-bin "$root/build/src/cli/herald" --out-dir "$bench_out"
rm -rf "$bench_out"
if [ $quick -eq 0 ]; then
  # Sanitizers: leaks are reported by ASan's LeakSanitizer at exit.
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_suite build-asan -DHERALD_SANITIZE=ON -DHERALD_BENCH=OFF
  echo "== fuzz"
  # Only the fuzz targets: the rest of the tree was already tested twice.
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHERALD_WERROR=ON \
    -DHERALD_FUZZ=ON -DHERALD_TESTS=ON -DHERALD_BENCH=OFF >/dev/null
  cmake --build build-fuzz -j"${HERALD_JOBS:-2}" --target fuzz_ws_frame fuzz_eio_payload fuzz_sio_packet fuzz_msgpack \
    fuzz_jwt fuzz_markdown fuzz_api_body
  if [ -x tests/fuzz/run.sh ]; then tests/fuzz/run.sh build-fuzz "${HERALD_FUZZ_SECONDS:-20}"; fi
fi
echo "== all tests passed"
