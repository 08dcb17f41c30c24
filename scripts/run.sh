#!/usr/bin/env bash
# Sets up a fresh machine, builds, and runs `herald serve` on its embedded defaults
# (port 3000, SQLite in the working directory). Extra arguments go to `herald serve`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
HERALD_TESTS=OFF "$root/scripts/build.sh" "$root/build" -DHERALD_TESTS=OFF -DHERALD_BENCH=OFF
exec "$root/build/src/cli/herald" serve "$@"
