#!/usr/bin/env bash
# Side-by-side with a peer gateway: the fixture backend, the reference
# gateway and nginx (fixtures/peers/nginx/bench.conf) run on loopback, and
# `gatecheck bench peers` measures the latency each adds over calling the
# fixture directly, at the same rate, then prints them as ratios.
# Needs nginx (Debian: apt-get install -y nginx-light); without it the
# script says so and exits 0, so `make bench` still runs elsewhere.
set -euo pipefail
bin=${1:-bin/gatecheck}
rate=${RATE:-2000}
duration=${DURATION:-4s}
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  echo "peer-bench: nginx is not installed (apt-get install -y nginx-light); skipped"
  exit 0
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
work=$(mktemp -d)
fixture_port=${FIXTURE_PORT:-19190}
gateway_port=${GATEWAY_PORT:-18180}
nginx_port=${NGINX_PORT:-18190}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

"$bin" fixture --listen "127.0.0.1:$fixture_port" 2>"$work/fixture.log" & pids+=($!)
"$bin" serve --listen "127.0.0.1:$gateway_port" --management-listen "" --websocket-listen "" --access-log=false \
  --stage-var "backend=127.0.0.1:$fixture_port" 2>"$work/gateway.log" & pids+=($!)
sed -e "s#__FIXTURE__#127.0.0.1:$fixture_port#" -e "s#__PORT__#$nginx_port#" -e "s#__DIR__#$work#g" fixtures/peers/nginx/bench.conf > "$work/nginx.conf"
"$nginx_bin" -c "$work/nginx.conf" -e "$work/error.log" & pids+=($!)

# Wait (bounded) until all three answer.
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$fixture_port/healthz" 2>/dev/null &&
    curl -fsS -o /dev/null "http://127.0.0.1:$gateway_port/test/inspect" 2>/dev/null &&
    curl -fsS -o /dev/null "http://127.0.0.1:$nginx_port/test/inspect" 2>/dev/null && break
  sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$nginx_port/test/inspect" || { cat "$work"/*.log; echo "peer-bench: servers did not start"; exit 1; }

"$bin" bench peers --rate "$rate" --duration "$duration" --direct "http://127.0.0.1:$fixture_port/inspect" \
  --peer "reference=http://127.0.0.1:$gateway_port/test/inspect" --peer "nginx=http://127.0.0.1:$nginx_port/test/inspect"
