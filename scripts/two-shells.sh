#!/usr/bin/env bash
# The README's "two shells" flow, automated: start the fixture and the
# reference gateway as separate processes, run the suites against them with
# a profile, and check the verdicts match the embedded run's.
set -euo pipefail
bin=${1:-bin/gatecheck}
work=$(mktemp -d)
fixture_port=${FIXTURE_PORT:-19090}
gateway_port=${GATEWAY_PORT:-18080}
management_port=${MANAGEMENT_PORT:-18081}
websocket_port=${WEBSOCKET_PORT:-18082}
nodefault_port=${NODEFAULT_PORT:-18083}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

"$bin" fixture --listen "127.0.0.1:$fixture_port" --callback-endpoint "http://127.0.0.1:$websocket_port" \
  --callback-endpoint "http://127.0.0.1:$nodefault_port" 2>"$work/fixture.log" & pids+=($!)
"$bin" serve --listen "127.0.0.1:$gateway_port" --management-listen "127.0.0.1:$management_port" \
  --websocket-listen "127.0.0.1:$websocket_port" --websocket-nodefault-listen "127.0.0.1:$nodefault_port" --stage-var "backend=127.0.0.1:$fixture_port" \
  --lambda-endpoint "http://127.0.0.1:$fixture_port" 2>"$work/gateway.log" & pids+=($!)

# Wait (bounded) until both log that they listen.
for _ in $(seq 1 100); do
  grep -q listening "$work/fixture.log" && grep -q listening "$work/gateway.log" && break
  sleep 0.1
done
grep -q listening "$work/gateway.log" || { cat "$work"/*.log; echo "two-shells: servers did not start"; exit 1; }

sed -e "s#127.0.0.1:8080#127.0.0.1:$gateway_port#" -e "s#127.0.0.1:8081#127.0.0.1:$management_port#" -e "s#127.0.0.1:9090#127.0.0.1:$fixture_port#" \
  -e "s#127.0.0.1:8082#127.0.0.1:$websocket_port#" -e "s#127.0.0.1:8083#127.0.0.1:$nodefault_port#" \
  fixtures/profiles/local.yaml > "$work/local.yaml"
"$bin" run --out "$work/embedded" >"$work/embedded.txt"
"$bin" run --profile "$work/local.yaml" --out "$work/local" >"$work/local.txt" || { cat "$work/local.txt"; exit 1; }
"$bin" compare "$work/embedded/report.json" "$work/local/report.json"
echo "two-shells: verdicts of the hand-started gateway match the embedded run"
