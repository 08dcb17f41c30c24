#!/usr/bin/env bash
# Configures and builds Herald. Usage: scripts/build.sh [build-dir] [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHERALD_WERROR=ON -DHERALD_TESTS=ON -DHERALD_BENCH=ON "$@" >/dev/null
cmake --build "$dir" -j"${HERALD_JOBS:-2}"
