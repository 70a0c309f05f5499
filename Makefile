# rcemu — see README.md. `make test` is the whole test suite (what CI runs).
GO  ?= go
BIN := bin/rcemu

.PHONY: run build test check unit e2e test-postgres bench fuzz spec image

run:
	$(GO) run ./cmd/rcemu

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/rcemu

# The container image (Dockerfile: static binary on scratch, non-root, rcemu health as HEALTHCHECK).
image:
	docker build -t rcemu --build-arg COMMIT=$$(git rev-parse --short HEAD) .

# The whole suite: formatting and vet, Go unit/integration tests (race detector on, fuzz seed
# corpora included), then the end-to-end tests that drive the built binary with the official SDKs.
# Both test steps first fetch RingCentral's OpenAPI spec (spec-served operations and the contract
# check on every response need it).
# Then the storage contract, the Go integration tests and the end-to-end tests once more on a
# throwaway PostgreSQL cluster (scripts/postgres.sh). Where PostgreSQL cannot be installed this
# says so and goes on, unless RCEMU_REQUIRE_POSTGRES=1 (CI), which makes it a failure.
test: check unit e2e test-postgres

# RingCentral's OpenAPI spec into .cache/spec (git-ignored), checked against a recorded SHA-256,
# by the same fetcher a first `rcemu serve` uses (scripts/fetch-spec.sh does it with npm).
spec:
	@mkdir -p .cache && printf '*\n' > .cache/.gitignore
	$(GO) run ./cmd/rcemu spec fetch --dir .cache/spec || scripts/fetch-spec.sh

check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=windows $(GO) vet ./...
	GOOS=darwin $(GO) vet ./...

unit: spec
	$(GO) test -race -count=1 ./...

e2e: spec build
	cd e2e && npm ci --no-audit --no-fund && RCEMU_BIN=$(CURDIR)/$(BIN) npm test

test-postgres: spec build
	@if ! out=$$(scripts/postgres.sh start); then \
		if [ "$(RCEMU_REQUIRE_POSTGRES)" = 1 ]; then echo "test-postgres: PostgreSQL could not be started (see above)"; exit 1; fi; \
		echo "test-postgres: SKIPPED: PostgreSQL is not available (see above); the PostgreSQL tests did not run"; exit 0; \
	fi; \
	export $$out; . .cache/postgres.state; trap 'scripts/postgres.sh stop' EXIT; \
	echo "test-postgres: $$RCEMU_TEST_POSTGRES"; \
	$(GO) test -count=1 -run 'Contract|Postgres' ./internal/store/sqlstore/ && \
	$(GO) test -count=1 ./internal/... && \
	(cd e2e && npm ci --no-audit --no-fund && RCEMU_PSQL=$$PGBIN/psql RCEMU_BIN=$(CURDIR)/$(BIN) npm test)

# Loads rcemu and a bare net/http handler in the same run and prints req/s, p50, p99 and the
# start-up and memory figures against their targets. Bounded in time, loopback only.
bench: spec build
	$(GO) run ./bench/load -bin $(CURDIR)/$(BIN)

FUZZTIME ?= 30s
fuzz:
	$(GO) test -run XXX -fuzz FuzzParse -fuzztime $(FUZZTIME) ./internal/restapi/query/
	$(GO) test -run XXX -fuzz FuzzRequest -fuzztime $(FUZZTIME) ./internal/restapi/
	$(GO) test -run XXX -fuzz FuzzParse -fuzztime $(FUZZTIME) ./internal/seed/
	$(GO) test -run XXX -fuzz FuzzPageCount -fuzztime $(FUZZTIME) ./internal/messaging/
	$(GO) test -run XXX -fuzz FuzzFaxMMSMultipart -fuzztime $(FUZZTIME) ./internal/api/
	$(GO) test -run XXX -fuzz FuzzReadResponse -fuzztime $(FUZZTIME) ./internal/hookhttp/
	$(GO) test -run XXX -fuzz FuzzJSONShape -fuzztime $(FUZZTIME) ./internal/restapi/
	$(GO) test -run XXX -fuzz FuzzDuration -fuzztime $(FUZZTIME) ./internal/audio/
	$(GO) test -run XXX -fuzz FuzzNormalizePhone -fuzztime $(FUZZTIME) ./internal/addressbook/
	$(GO) test -run XXX -fuzz FuzzMentions -fuzztime $(FUZZTIME) ./internal/teammessaging/
