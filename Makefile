# gatecheck — the two commands a user needs:
#   make conformance   build gatecheck and run every spec against the embedded reference gateway
#   make test          vet, format check, unit tests (race detector), the embedded run, the two-shell run,
#                      a short hostile-input run and the peer gateways against their pinned outcomes
GO      ?= go
BIN     := bin/gatecheck
OUT     ?= gatecheck-report
N       ?= 20
FUZZTIME ?= 60s

.PHONY: all build conformance test unit vet fmt-check two-shells hostile hostile-short repeat bench peers fuzz clean matrix matrix-check matrix-pin

all: build

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/gatecheck

conformance: build
	./$(BIN) run --out $(OUT)

test: vet fmt-check unit conformance two-shells hostile-short matrix-check

unit:
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

two-shells: build
	scripts/two-shells.sh $(BIN)

# The conformance matrix: the reference gateway and the peer gateways
# (nginx, HAProxy, Caddy; fixtures/peers/) side by side on loopback, written
# to $(OUT)/matrix/{matrix.json,matrix.md,matrix.html}.
matrix: build
	./$(BIN) matrix --out $(OUT)/matrix

# Each peer's outcomes against its pinned expectations (fixtures/peers/<name>/expected.json):
# a change is a harness regression or a config that stopped working. A peer that is not
# installed is left out, unless GATECHECK_REQUIRE_PEERS is set (CI).
matrix-check: build
	./$(BIN) matrix --reference=false --check-expected $(if $(GATECHECK_REQUIRE_PEERS),,--skip-missing) --out $(OUT)/matrix-check

# Pin the peers' current outcomes (after a deliberate change; review the diff).
matrix-pin: build
	./$(BIN) matrix --reference=false --pin --out $(OUT)/matrix-pin

# Hostile input: malformed and odd requests to the reference gateway and the
# fixture, run as child processes; checks every answer, their logs, their
# peak memory (together under 200 MB) and that they still serve (hostile/).
hostile: build
	./$(BIN) hostile --requests 10000 --memory-bound 200MB

# The bounded run make test includes (a few seconds).
hostile-short: build
	./$(BIN) hostile --requests 1500 --memory-bound 200MB

# Flake measurement: the embedded suite N times; prints the failure count
# and each failing spec, and fails if any run failed (CI runs N=20).
repeat: build
	./$(BIN) repeat --n $(N) --out $(OUT)/repeat

# Performance: Go benchmarks (ns/op, allocs/op, req/s) printed as ratios,
# then the Vegeta latency-overhead scenario (p50/p99 added by the gateway),
# throttle accuracy, WebSocket callback delivery at 1,000/s and the memory
# of 10,000 idle WebSocket connections, and normal latency while 1,000
# slow clients hold connections.
bench: build
	@mkdir -p bench-results
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./gateway/... ./fixtures/backend/ | tee bench-results/go-bench.txt
	@echo
	@scripts/bench-ratios.sh bench-results/go-bench.txt
	@echo
	./$(BIN) bench overhead --rate 2000 --duration 8s --out bench-results
	@echo
	./$(BIN) bench throttle --duration 10s
	@echo
	./$(BIN) bench callbacks --rate 1000 --connections 100 --duration 5s
	@echo
	./$(BIN) bench idle --connections 10000
	@echo
	./$(BIN) bench slowclients --clients 1000 --kind body
	@echo
	./$(BIN) bench slowclients --clients 1000 --kind headers
	@echo
	scripts/peer-bench.sh $(BIN)

# Every fuzz target, FUZZTIME each (default 60s), one after another; fails on any crash. Not part of `make test`.
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

# The reference gateway and nginx side by side (needs nginx-light).
peers: build
	scripts/peer-bench.sh $(BIN)

clean:
	rm -rf bin $(OUT) bench-results
