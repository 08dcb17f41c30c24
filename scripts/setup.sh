#!/usr/bin/env bash
# Installs everything Herald needs on a fresh Debian 12 machine: the build toolchain and
# libraries from apt, the JavaScript test clients from npm (pinned by package-lock.json).
# Idempotent; run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake pkg-config ccache git clang clang-format libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev libcmark-dev cmark libtomlplusplus-dev libcli11-dev
  libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  libhiredis-dev libpq-dev
  python3-socketio python3-requests python3-websocket chromium redis-server postgresql curl procps
)
# Node.js may come from elsewhere (with its own npm); Debian's is only the fallback.
command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# Another process may hold the package manager for a minute: wait and retry.
apt_retry() {
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    if $SUDO env DEBIAN_FRONTEND=noninteractive "$@"; then return 0; fi
    echo "setup: '$*' failed (attempt $attempt), retrying in 10 s" >&2
    sleep 10
  done
  return 1
}

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt_retry apt-get update -q
  apt_retry apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Services are started by the tests themselves, on their own ports; not by the system.
for svc in redis-server postgresql; do
  $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
done

install_npm() {
  local dir=$1
  [ -f "$dir/package.json" ] || return 0
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    echo "setup: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$dir/node_modules"
  fi
}
install_npm tests/js
install_npm bench/reference
install_npm web
echo "setup: done"
