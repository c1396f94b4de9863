#!/usr/bin/env bash
# Runs Tane locally (`make run`): Redis (AOF, appendfsync always), the dev Kafka
# broker (librdkafka's mock cluster) and every service binary that is built.
# Ctrl-C stops everything in reverse order and waits for it.
#
#   scripts/run.sh BUILD_DIR
#
# State lives under ./var/ (relative to the repository):
#   var/redis/          Redis data (appendonlydir/), kept between runs
#   var/log/<name>.log  each process' output
#   var/kafka.bootstrap the dev broker's bootstrap list (Kafka is in-memory:
#                       every run starts with empty topics)
#   var/run.pid         this script's pid while it runs
#   var/jwt.secret      the gateway's HS256 secret for dev tokens (0600, kept)
#
# Environment: TANE_REDIS_PORT (default 6479).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "$1" 2>/dev/null && pwd) || { echo "run: build directory '$1' not found" >&2; exit 1; }
cd "$repo"

var="$repo/var"
logs="$var/log"
redis_port=${TANE_REDIS_PORT:-6479}
redis_addr="127.0.0.1:$redis_port"
bootstrap_file="$var/kafka.bootstrap"
devbroker="$build/tools/devbroker/tane-devbroker"
tanectl="$build/tools/tanectl/tanectl"
# HS256 secret shared by the gateway and `tanectl token` (created on first use, 0600).
jwt_secret="$var/jwt.secret"

# name grpc-port metrics-port
services=(
  "calls 7101 9101"
  "reviews 7102 9102"
  "projects 7103 9103"
  "funds 7104 9104"
  "international 7105 9105"
)
gateway_http=8080
gateway_metrics=9100

say() { echo "run: $*"; }
die() { echo "run: $*" >&2; exit 1; }

tail_log() {  # name
  if [ -s "$logs/$1.log" ]; then
    echo "---- last lines of var/log/$1.log ----" >&2
    tail -n 15 "$logs/$1.log" >&2
    echo "--------------------------------------" >&2
  fi
}

# Accepts TCP connections on 127.0.0.1:port?
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------- preflight
command -v redis-server >/dev/null || die "redis-server not found (run: make deps)"
command -v redis-cli >/dev/null || die "redis-cli not found (run: make deps)"
[ -x "$devbroker" ] || die "$devbroker not built (run: make build)"

mkdir -p "$var/redis" "$logs"

if [ -f "$var/run.pid" ] && kill -0 "$(cat "$var/run.pid")" 2>/dev/null; then
  die "another run.sh (pid $(cat "$var/run.pid")) is using var/; stop it first (Ctrl-C in its terminal, or kill $(cat "$var/run.pid"))"
fi
if redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
  die "a Redis already answers on $redis_addr (a previous run still alive?). Refusing to start a second one on var/redis.
     Stop it with: redis-cli -p $redis_port shutdown    (or choose another port: TANE_REDIS_PORT=...)"
fi
if listening "$redis_port"; then
  die "port $redis_port is taken by something that is not Redis; choose another with TANE_REDIS_PORT=..."
fi
echo $$ > "$var/run.pid"

# ------------------------------------------------------------ process table
# Started processes in start order: "name pid".
procs=()
stopping=0

stop_pid() {  # name pid [signal]
  local name=$1 pid=$2 sig=${3:-TERM} i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  [ "$sig" = none ] || kill "-$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do  # up to 15 s to drain
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name (pid $pid) did not stop within 15 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

stop_all() {
  [ "$stopping" -eq 1 ] && return 0
  stopping=1
  trap '' INT TERM  # a second Ctrl-C must not abort the orderly stop
  local i name pid
  for ((i = ${#procs[@]} - 1; i >= 0; i--)); do
    read -r name pid <<<"${procs[$i]}"
    say "stopping $name (pid $pid)"
    if [ "$name" = redis ]; then
      # SHUTDOWN fsyncs the AOF before exiting; SIGTERM is the fallback.
      if kill -0 "$pid" 2>/dev/null &&
        redis-cli -h 127.0.0.1 -p "$redis_port" shutdown >/dev/null 2>&1; then
        stop_pid redis "$pid" none
      else
        stop_pid redis "$pid" TERM
      fi
    else
      stop_pid "$name" "$pid" TERM
    fi
  done
  rm -f "$bootstrap_file" "$var/run.pid"
  say "all stopped; Redis data kept in var/redis"
}

on_signal() {
  echo
  say "stopping (signal received)"
  stop_all
  exit 0
}
on_exit() {
  local rc=$?
  stop_all
  exit "$rc"
}
trap on_signal INT TERM
trap on_exit EXIT

# start NAME [ENV=VALUE...] -- COMMAND ARGS...
# Runs COMMAND in its own session (so a Ctrl-C on the terminal reaches only
# this script, which then stops everything in order) with output to
# var/log/NAME.log.
start() {
  local name=$1 env=()
  shift
  while [ "$1" != "--" ]; do env+=("$1"); shift; done
  shift
  {
    echo "==== $(date -Is) starting: $*"
  } >>"$logs/$name.log"
  env "${env[@]}" setsid "$@" >>"$logs/$name.log" 2>&1 </dev/null &
  procs+=("$name $!")
  last_pid=$!
}

alive() { kill -0 "$1" 2>/dev/null; }

# ------------------------------------------------------------------- Redis
say "starting redis-server on $redis_addr (data: var/redis, AOF appendfsync always)"
start redis -- redis-server \
  --port "$redis_port" --bind 127.0.0.1 --protected-mode no \
  --dir "$var/redis" --appendonly yes --appendfsync always --save "" \
  --daemonize no --logfile ""
redis_pid=$last_pid
ready=0
for ((i = 0; i < 300; i++)); do  # up to ~30 s: replaying a large AOF takes a while
  # PING answers -LOADING while the AOF is replayed: wait for PONG.
  if [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = PONG ]; then ready=1; break; fi
  alive "$redis_pid" || break
  sleep 0.1
done
if [ "$ready" -ne 1 ]; then
  tail_log redis
  die "redis-server did not answer PING on $redis_addr"
fi

# --------------------------------------------------------------- dev Kafka
rm -f "$bootstrap_file"
say "starting tane-devbroker"
start devbroker -- "$devbroker" --bootstrap-file "$bootstrap_file"
devbroker_pid=$last_pid
for ((i = 0; i < 200; i++)); do  # the file appears atomically (written, then renamed)
  [ -s "$bootstrap_file" ] && break
  alive "$devbroker_pid" || break
  sleep 0.05
done
if [ ! -s "$bootstrap_file" ]; then
  tail_log devbroker
  die "tane-devbroker did not publish $bootstrap_file"
fi
kafka_bootstrap=$(cat "$bootstrap_file")

# ---------------------------------------------------------------- services
common_env=(TANE_REDIS_ADDR="$redis_addr" TANE_KAFKA_BOOTSTRAP="$kafka_bootstrap")
started=()     # "name pid port address metrics-url"
running=()     # "name address metrics-url" of those still alive after start
upstream_env=()
for entry in "${services[@]}"; do
  read -r svc grpc_port metrics_port <<<"$entry"
  upstream_env+=("TANE_$(echo "$svc" | tr '[:lower:]' '[:upper:]')_ADDR=127.0.0.1:$grpc_port")
done

for entry in "${services[@]}"; do
  read -r svc grpc_port metrics_port <<<"$entry"
  bin="$build/services/$svc/tane-$svc"
  if [ ! -x "$bin" ]; then
    say "skipping $svc: $bin not built yet"
    continue
  fi
  say "starting $svc (gRPC 127.0.0.1:$grpc_port, metrics 127.0.0.1:$metrics_port)"
  start "$svc" "${common_env[@]}" \
    TANE_GRPC_ADDR="127.0.0.1:$grpc_port" TANE_METRICS_ADDR="127.0.0.1:$metrics_port" \
    -- "$bin"
  started+=("$svc $last_pid $grpc_port 127.0.0.1:$grpc_port http://127.0.0.1:$metrics_port/metrics")
done

gateway_bin="$build/services/gateway/tane-gateway"
if [ -x "$gateway_bin" ]; then
  say "starting gateway (HTTP 127.0.0.1:$gateway_http, metrics 127.0.0.1:$gateway_metrics)"
  # The gateway finds the services through TANE_<SERVICE>_ADDR.
  start gateway "${common_env[@]}" "${upstream_env[@]}" \
    TANE_HTTP_ADDR="127.0.0.1:$gateway_http" TANE_METRICS_ADDR="127.0.0.1:$gateway_metrics" \
    TANE_JWT_SECRET_FILE="$jwt_secret" \
    -- "$gateway_bin"
  started+=("gateway $last_pid $gateway_http http://127.0.0.1:$gateway_http http://127.0.0.1:$gateway_metrics/metrics")
else
  say "skipping gateway: $gateway_bin not built yet"
fi

# Wait (bounded) until each started service listens; report the ones that die.
for entry in "${started[@]}"; do
  read -r name pid port addr metrics <<<"$entry"
  for ((i = 0; i < 200; i++)); do  # up to ~10 s each
    listening "$port" && break
    alive "$pid" || break
    sleep 0.05
  done
  if ! alive "$pid"; then
    rc=0
    wait "$pid" || rc=$?  # reaped here, so the watch loop below does not report it again
    say "WARNING: $name exited at start with status $rc; the others keep running"
    tail_log "$name"
    continue
  fi
  if ! listening "$port"; then
    say "WARNING: $name is running but not listening on 127.0.0.1:$port yet (see var/log/$name.log)"
  fi
  running+=("$name $addr $metrics")
done

if [ -x "$tanectl" ] && [ ${#started[@]} -gt 0 ]; then
  say "loading demo data (tanectl load-demo)"
  env "${common_env[@]}" "${upstream_env[@]}" TANE_GATEWAY_URL="http://127.0.0.1:$gateway_http" \
    "$tanectl" load-demo >>"$logs/tanectl.log" 2>&1 \
    || say "WARNING: tanectl load-demo failed (see var/log/tanectl.log)"
fi

# ----------------------------------------------------------------- summary
echo
echo "================================ Tane is running ================================"
printf '  %-14s %s   (data: var/redis, AOF appendfsync always)\n' "Redis" "$redis_addr"
printf '  %-14s %s\n' "Kafka" "$kafka_bootstrap"
if [ ${#running[@]} -eq 0 ]; then
  echo "  (no service binaries built yet)"
else
  printf '  %-14s %-24s %s\n' "service" "address" "metrics"
  for entry in "${running[@]}"; do
    read -r name addr metrics <<<"$entry"
    printf '  %-14s %-24s %s\n' "$name" "$addr" "$metrics"
  done
fi
echo "  logs           var/log/*.log"
echo
if [ -x "$gateway_bin" ] && [[ " ${running[*]} " == *" gateway "* ]]; then
  echo "  Try:  curl -s http://127.0.0.1:$gateway_http/v1/calls"
  echo "  API:  http://127.0.0.1:$gateway_http/openapi.json   (docs/api.md)"
  if [ -x "$tanectl" ]; then
    echo "  Dev tokens, one per role (8 h; more with: tanectl token --role R --subject S):"
    for role in applicant reviewer program_officer operator finance_officer partner auditor; do
      agency=()
      [ "$role" = partner ] && agency=(--agency NSF)
      if token=$(TANE_JWT_SECRET_FILE="$jwt_secret" "$tanectl" token --role "$role" --subject "dev-$role" "${agency[@]}" 2>/dev/null); then
        printf '    %-16s %s\n' "$role" "$token"
      fi
    done
    echo "  e.g.  curl -s -H 'Authorization: Bearer <applicant token>' http://127.0.0.1:$gateway_http/v1/me/applications"
  fi
elif [ ${#running[@]} -gt 0 ]; then
  read -r name addr metrics <<<"${running[0]}"
  echo "  No gateway running. Try the $name service's metrics:  curl -s $metrics"
else
  echo "  Try:  redis-cli -p $redis_port ping"
fi
echo "  Ctrl-C stops everything."
echo "================================================================================="

# -------------------------------------------------------------------- wait
# Redis and the broker are essential: if one dies, stop everything. A service
# that dies is reported and the rest keep running.
while true; do
  died=""
  rc=0
  wait -n -p died || rc=$?
  if [ -z "$died" ]; then
    [ "$rc" -eq 127 ] && exit 1  # no children left (cannot happen while Redis runs)
    continue                     # interrupted by a signal; the trap handles it
  fi
  name=""
  for entry in "${procs[@]}"; do
    read -r n p <<<"$entry"
    [ "$p" = "$died" ] && name=$n
  done
  say "$name (pid $died) exited with status $rc"
  tail_log "$name"
  if [ "$name" = redis ] || [ "$name" = devbroker ]; then
    say "$name is required; stopping everything"
    exit 1
  fi
done
