# Tickbus — the commands users and CI run. `make test` is what CI calls (.ci/run).
SHELL := /bin/bash
SWIFT ?= swift

.PHONY: all build test bootstrap services services-stop services-status bench-kafka bench-normalize bench-aggregate bench-sink run demo stop clean drills

all: build

bootstrap:
	./scripts/bootstrap

build: bootstrap
	$(SWIFT) build

# Everything: unit tests, integration tests against the local broker and Postgres (started and stopped
# by scripts/test when they were not already running).
test: bootstrap
	./scripts/test

services: bootstrap
	./scripts/dev-services start

services-stop:
	./scripts/dev-services stop

services-status:
	./scripts/dev-services status

# Wrapper vs kcat, produce then consume, against the local broker (see docs/benchmarks.md).
bench-kafka: bootstrap
	./scripts/bench-kafka

# The whole pipeline against the live venues (needs internet), attached: Ctrl-C stops everything in order.
run:
	./scripts/run start --foreground

# The same against venue-sim (no internet needed): topics demo.*, database tickbus_demo.
demo:
	./scripts/run start --demo --foreground

# Stops what `make run` / `make demo` started (from another terminal, or after `scripts/run start`).
stop:
	./scripts/run stop

clean:
	rm -rf .build .run

# Adapter decode + tick encode throughput per source (see docs/benchmarks.md).
bench-normalize: bootstrap
	./scripts/bench-normalize

# `aggregator replay` ticks/s and peak memory on 1M and 3M generated ticks (see docs/benchmarks.md).
bench-aggregate: bootstrap
	$(SWIFT) build -c release --product aggregator
	$(SWIFT) build -c release --product aggregate-bench
	.build/release/aggregate-bench $${TICKS:-1000000}

# `sink run` rows/s (broker -> committed rows) vs a raw `psql \copy` of the same rows (see docs/benchmarks.md).
bench-sink: bootstrap
	./scripts/bench-sink

# Fault drills against the demo pipeline at 10x the demo's rates, with their own broker and Postgres; prints
# the table and writes it into docs/reliability.md (DRILLS_ARGS: e.g. --drills sink-kill-9 --rate 100).
drills: bootstrap
	for product in producer aggregator sink health venue-sim drills; do $(SWIFT) build -c release --product $$product || exit 1; done
	.build/release/drills --bin .build/release --report docs/reliability.md $(DRILLS_ARGS)
