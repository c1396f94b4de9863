#!/usr/bin/env bash
# Installs the Debian packages Tane needs, only when some are missing.
# Runs apt-get update once, then apt-get install; as root or through sudo.
set -euo pipefail

packages=(
  g++ make cmake pkg-config ccache
  redis-server redis-tools
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev
  golang-github-gogo-googleapis-dev grpc-proto
  librdkafka-dev libhiredis-dev prometheus-cpp-dev libabsl-dev
  liblemon-dev libboost-dev libjwt-dev libspdlog-dev libfmt-dev
  libcli11-dev libyaml-cpp-dev uuid-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  curl
  prometheus  # for promtool: the tests check the alert rules and /metrics with it
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} Debian packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "deps: missing packages: ${missing[*]}" >&2
    echo "deps: not root and no sudo; install them and run again" >&2
    exit 1
  fi
fi

echo "deps: installing ${#missing[@]} missing Debian packages: ${missing[*]}"
echo "deps: apt-get update"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
echo "deps: apt-get install"
# The prometheus package is here only for promtool: keep apt from starting its
# daemon (policy-rc.d exit 101 = "do not start services"), unless the machine
# already has a policy of its own.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  own_policy=1
fi
status=0
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" || status=$?
[ "$own_policy" -eq 1 ] && $sudo rm -f "$policy"
[ "$status" -eq 0 ] || exit "$status"
echo "deps: done"
