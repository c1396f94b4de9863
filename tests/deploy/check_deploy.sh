#!/usr/bin/env bash
# Checks what ships for production beside the code: the Prometheus alert rules
# and scrape config (promtool), the Grafana dashboard (valid JSON whose
# queries only use metric names Tane exports), and that the chart, compose
# file and docs name the same alert runbooks.
#   tests/deploy/check_deploy.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: $0 SOURCE_DIR}
cd "$src"
fail() { echo "FAIL: $*" >&2; exit 1; }

rules=helm/tane/files/alerts.yml
promtool check rules "$rules"

# The scrape config references the rules by their in-container path.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$rules" "$tmp/alerts.yml"
sed "s#/etc/prometheus/alerts.yml#$tmp/alerts.yml#" deploy/prometheus/prometheus.yml >"$tmp/prometheus.yml"
promtool check config "$tmp/prometheus.yml"

# Metric names used by rules and dashboard must be ones Tane exports.
known='^(up|grpc_server_handled_total|grpc_server_handling_seconds_bucket|http_requests_total|http_request_duration_seconds_bucket|tane_[a-z_]+)$'
used=$( (grep -o 'expr:.*' "$rules"; grep -o '"expr": *"[^"]*"' deploy/grafana/dashboards/*.json) |
  grep -oE '\b(up|grpc_server_[a-z_]+|http_request[a-z_]+|tane_[a-z_]+)\b' | sort -u)
for m in $used; do
  [[ "$m" =~ $known ]] || fail "unknown metric $m in rules or dashboards"
done
exported=$(grep -rhoE '"((tane|grpc_server|http)_[a-z_]+)"' libs services | tr -d '"' | sort -u)
for m in $used; do
  [ "$m" = up ] && continue           # Prometheus' own
  base=${m%_bucket}                   # a histogram's series
  grep -qx "$base" <<<"$exported" || fail "$m is used by rules or dashboards but no code exports it"
done

# Every alert has a runbook section in docs/operations.md.
for alert in $(grep -oE 'alert: [A-Za-z]+' "$rules" | cut -d' ' -f2); do
  grep -qi "^### $alert\$" docs/operations.md || fail "docs/operations.md has no '### $alert' runbook"
done
echo "deploy checks passed"
