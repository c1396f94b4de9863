#!/usr/bin/env bash
# Prints the Debian packages that provide the shared libraries the given
# binaries load, one per line, so the runtime image installs exactly those.
#   deploy/docker/runtime-packages.sh build/services/*/tane-* > packages.txt
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }
for bin in "$@"; do
  ldd "$bin" | awk '/=> \// { print $3 }'
done | sort -u | while read -r lib; do
  # dpkg knows the path it installed, which may be under /lib or /usr/lib.
  dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null || true
done | cut -d: -f1 | sort -u
