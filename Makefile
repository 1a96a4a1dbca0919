# timebank — the project's verbs. `make help` lists them.
#
# Everything is installed from the project's own pinned files (package-lock.json,
# requirements-lint.txt, requirements-test.txt, requirements-bench.txt, Cargo.lock): a fresh machine needs only node/npm, python3, cargo, gcc.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ROOT      := $(CURDIR)
BIN       := $(ROOT)/node_modules/.bin
FORGE     := $(BIN)/forge
ANVIL     := $(BIN)/anvil
CAST      := $(BIN)/cast
VENV      := $(ROOT)/.venv
CONTRACTS := $(ROOT)/contracts
export PATH := $(BIN):$(PATH)
# Foundry must never reach for the network (compiler lists, signatures, updates).
export FOUNDRY_OFFLINE := true

TOOLS_STAMP := node_modules/.timebank-tools
CONSOLE_STAMP := console/node_modules/.timebank-console
LINT_STAMP  := .venv/.timebank-lint
TEST_STAMP  := .venv/.timebank-test
BENCH_STAMP := .venv/.timebank-bench

.PHONY: help
help: ## List the verbs
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# ---- toolchain ------------------------------------------------------------------------------

.PHONY: tools
tools: $(TOOLS_STAMP) ## Install forge/anvil/cast, solc-js and OpenZeppelin from package-lock.json

$(TOOLS_STAMP): package.json package-lock.json tools/solc
	@command -v node >/dev/null || { echo "make tools: node is missing (need Node.js >= 18 with npm)" >&2; exit 1; }
	@command -v npm >/dev/null || { echo "make tools: npm is missing" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@$(FORGE) --version | head -1
	@$(ROOT)/tools/solc --version | tail -1
	@touch $@

$(CONSOLE_STAMP): console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(LINT_STAMP): requirements-lint.txt
	@command -v python3 >/dev/null || { echo "make lint: python3 is missing" >&2; exit 1; }
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-lint.txt
	@touch $@

$(TEST_STAMP): requirements-test.txt
	@command -v python3 >/dev/null || { echo "make test-api: python3 is missing" >&2; exit 1; }
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	@touch $@

$(BENCH_STAMP): requirements-bench.txt
	@command -v python3 >/dev/null || { echo "make bench: python3 is missing" >&2; exit 1; }
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	@touch $@

# ---- build and test -------------------------------------------------------------------------

.PHONY: build
build: tools ## Compile the contracts
	cd $(CONTRACTS) && $(FORGE) build

.PHONY: test
test: test-contracts test-anvil-scripts gas test-rust test-e2e test-branches test-api test-console ## Run every test the project has
	@echo "make test: all suites passed"

.PHONY: test-contracts
test-contracts: tools ## Forge unit, fuzz, role-matrix and invariant tests, plus the canary
	cd $(CONTRACTS) && $(FORGE) fmt --check
	cd $(CONTRACTS) && $(FORGE) test --no-match-path 'test/canary/*' | tee $(ROOT)/target/forge-test.log
	@tail -n 3 $(ROOT)/target/forge-test.log | sed -nE 's/.*: ([0-9]+) tests passed, ([0-9]+) failed, ([0-9]+) skipped.*/contracts: \1 passed, \2 failed, \3 skipped/p'
	@$(ROOT)/tools/check-canary

.PHONY: test-rust
test-rust: tools ## Rust unit and integration tests (real anvil, SQLite and a PostgreSQL server)
	@command -v cargo >/dev/null || { echo "make test-rust: cargo is missing" >&2; exit 1; }
	$(ROOT)/tools/pg-test-server start $(ROOT)/target/pg >/dev/null
	TIMEBANK_TEST_POSTGRES_URL="$$(cat $(ROOT)/target/pg/url)" \
		cargo test --workspace --exclude timebank-e2e --locked 2>&1 | tee $(ROOT)/target/cargo-test.log
	@$(ROOT)/tools/pg-test-server stop $(ROOT)/target/pg

.PHONY: test-e2e
test-e2e: tools ## Two branches (SQLite and PostgreSQL) on one anvil, driven through their gateways by signing wallets
	$(ROOT)/tools/pg-test-server start $(ROOT)/target/pg-e2e >/dev/null
	TIMEBANK_TEST_POSTGRES_URL="$$(cat $(ROOT)/target/pg-e2e/url)" \
		cargo test --locked -p timebank-e2e -- --nocapture 2>&1 | tee $(ROOT)/target/e2e.log
	@$(ROOT)/tools/pg-test-server stop $(ROOT)/target/pg-e2e
	@grep -E '^BENCH ' $(ROOT)/target/e2e.log

.PHONY: test-branches
test-branches: tools ## Four branches (SQLite x2, PostgreSQL x2) paying each other for 30 s: an indexer killed, a gateway restarted, a database restored from its backup, one rebuilt from the chain; every table compared
	cargo build --locked -p timebank-indexer -p timebank-gateway -p timebank-bench --bins
	$(ROOT)/tools/pg-test-server start $(ROOT)/target/pg-test-branches >/dev/null
	TIMEBANK_BENCH_POSTGRES_URL="$$(cat $(ROOT)/target/pg-test-branches/url)" \
		$(ROOT)/target/debug/timebank-bench-branches --branches 4 --members 4 --seconds 30 \
		--out $(ROOT)/target/test-branches 2>&1 | tee $(ROOT)/target/test-branches.log
	@$(ROOT)/tools/pg-test-server stop $(ROOT)/target/pg-test-branches

.PHONY: test-api
test-api: tools $(TEST_STAMP) ## Schemathesis against the gateway's /openapi.json: no 5xx, answers as documented
	VENV=$(VENV) $(ROOT)/tests/api-fuzz.sh

.PHONY: console
console: $(CONSOLE_STAMP) ## Build the browser console (console/dist), which every gateway serves at /
	cd console && npm run --silent build

.PHONY: test-console
test-console: tools $(CONSOLE_STAMP) ## The console's unit tests, then its browser tests (Debian's chromium, installed if missing) against make up's stack
	cd console && npm test --silent
	cd console && npm run --silent test:browser 2>&1 | tee $(ROOT)/target/console-browser.log

.PHONY: test-anvil-scripts
test-anvil-scripts: tools ## Deploy on real anvil chains and check the wiring with cast
	$(ROOT)/anvil-scripts/test-deploy.sh

$(shell mkdir -p target)

.PHONY: gas
gas: tools ## Print `NAME GAS` per operation, measured in one forge run, and check the monitor's budget
	@cd $(CONTRACTS) && $(FORGE) test --match-contract GasReport --isolate -vv \
		| sed -nE 's/^ +GAS ([a-z0-9_]+) ([0-9]+)$$/\1 \2/p' | tee $(ROOT)/target/gas.txt
	@$(ROOT)/tools/check-gas $(ROOT)/target/gas.txt | tee $(ROOT)/target/bench-gas.log

# ---- the platform locally ----------------------------------------------------------------------

.PHONY: up
up: tools console ## The platform locally: anvil (state in data/), the contracts, three branches' indexers and gateways serving the console
	@command -v cargo >/dev/null || { echo "make up: cargo is missing (install Rust: https://rustup.rs)" >&2; exit 1; }
	cargo run --quiet --locked -p timebank-devnet -- up

.PHONY: demo
demo: ## Fill the running platform with members, credentials, activities, payments and alerts
	cargo run --quiet --locked -p timebank-devnet -- demo

.PHONY: bench-indexer
bench-indexer: tools ## 100,000 movements on anvil, backfilled into SQLite and PostgreSQL (BENCH lines)
	cargo bench --locked -p timebank-indexer --bench backfill --no-run
	$(ROOT)/tools/pg-test-server start $(ROOT)/target/pg-bench >/dev/null
	@# The build's writes reach the disk before the timing starts, not during it.
	sync
	TIMEBANK_BENCH_POSTGRES_URL="$$(cat $(ROOT)/target/pg-bench/url)" \
		cargo bench --locked -p timebank-indexer --bench backfill 2>&1 | tee $(ROOT)/target/bench-indexer.log
	@$(ROOT)/tools/pg-test-server stop $(ROOT)/target/pg-bench
	@grep -E '^BENCH ' $(ROOT)/target/bench-indexer.log

.PHONY: bench-riskscan
bench-riskscan: tools ## The risk agent: 1,000,000 payments through the detectors (memory, SQLite index), blocks of 500 to their findings (BENCH lines)
	cargo bench --locked -p timebank-riskscan --bench scan 2>&1 | tee $(ROOT)/target/bench-riskscan.log
	@grep -E '^BENCH ' $(ROOT)/target/bench-riskscan.log

.PHONY: bench-platform
bench-platform: tools ## Gateway reads vs a bare axum handler; end-to-end payments; indexer lag; memory (release build)
	cargo build --release --locked -p timebank-indexer -p timebank-gateway -p timebank-bench
	sync
	$(ROOT)/target/release/timebank-bench --out $(ROOT)/target/bench-platform.json \
		| tee $(ROOT)/target/bench-platform.log

.PHONY: bench-visibility
bench-visibility: tools ## Cross-branch visibility (p50, p99): the end-to-end test, release build, instant mining
	$(ROOT)/tools/pg-test-server start $(ROOT)/target/pg-bench-e2e >/dev/null
	TIMEBANK_TEST_POSTGRES_URL="$$(cat $(ROOT)/target/pg-bench-e2e/url)" \
		cargo test --release --locked -p timebank-e2e -- --nocapture 2>&1 | tee $(ROOT)/target/bench-visibility.log
	@$(ROOT)/tools/pg-test-server stop $(ROOT)/target/pg-bench-e2e
	@grep -E '^BENCH ' $(ROOT)/target/bench-visibility.log

.PHONY: bench-branches
bench-branches: tools ## Eight branches (SQLite x4, PostgreSQL x4) on one chain with a block a second, paying each other; an indexer killed, a gateway restarted, a database restored from its backup, one rebuilt from the chain; every table compared (BENCH lines)
	cargo build --release --locked -p timebank-indexer -p timebank-gateway -p timebank-bench
	$(ROOT)/tools/pg-test-server start $(ROOT)/target/pg-branches >/dev/null
	sync
	TIMEBANK_BENCH_POSTGRES_URL="$$(cat $(ROOT)/target/pg-branches/url)" \
		$(ROOT)/target/release/timebank-bench-branches --out $(ROOT)/target/bench-branches \
		2>&1 | tee $(ROOT)/target/bench-branches.log
	@$(ROOT)/tools/pg-test-server stop $(ROOT)/target/pg-branches
	@grep -E '^BENCH ' $(ROOT)/target/bench-branches.log

.PHONY: bench-console
bench-console: tools $(CONSOLE_STAMP) ## The console: JavaScript size, first load, a 10,000-case inbox, rule hit to screen (BENCH lines)
	cd console && npm run --silent build
	cargo build --quiet --locked -p timebank-devnet
	CHROMIUM="$$($(ROOT)/tools/chromium)" node console/tests/browser/bench.mjs 2>&1 | tee $(ROOT)/target/bench-console.log
	@grep -E '^BENCH ' $(ROOT)/target/bench-console.log

.PHONY: bench bench-start
bench-start:
	@mkdir -p $(ROOT)/target && date +%s > $(ROOT)/target/bench-start

# The parts run one after another (make runs prerequisites in order without -j).
bench: bench-start tools $(BENCH_STAMP) gas bench-indexer bench-platform bench-visibility bench-console bench-riskscan bench-branches ## Every benchmark, one BENCH line per figure; writes bench/RESULTS.md and its plots
	$(VENV)/bin/python $(ROOT)/tools/bench-report \
		--seconds $$(( $$(date +%s) - $$(cat $(ROOT)/target/bench-start) )) \
		--gas $(ROOT)/target/gas.txt --platform $(ROOT)/target/bench-platform.json --out $(ROOT)/bench \
		$(ROOT)/target/bench-gas.log $(ROOT)/target/bench-indexer.log \
		$(ROOT)/target/bench-platform.log $(ROOT)/target/bench-visibility.log $(ROOT)/target/bench-console.log \
		$(ROOT)/target/bench-riskscan.log $(ROOT)/target/bench-branches.log
	@echo; grep -hE '^BENCH ' $(ROOT)/target/bench-gas.log $(ROOT)/target/bench-indexer.log \
		$(ROOT)/target/bench-platform.log $(ROOT)/target/bench-visibility.log $(ROOT)/target/bench-console.log \
		$(ROOT)/target/bench-riskscan.log $(ROOT)/target/bench-branches.log

# ---- quality --------------------------------------------------------------------------------

.PHONY: lint
lint: tools $(LINT_STAMP) $(CONSOLE_STAMP) ## fmt and clippy (Rust), forge fmt and Slither (fails on any low, medium or high finding), the console's types and ESLint
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	cd $(CONTRACTS) && $(FORGE) fmt --check
	cd $(CONTRACTS) && $(VENV)/bin/slither . --config-file slither.config.json
	cd console && npm run --silent check

.PHONY: fmt
fmt: tools $(CONSOLE_STAMP) ## Format the contracts, the Rust code and the console
	cd $(CONTRACTS) && $(FORGE) fmt
	cargo fmt --all
	cd console && npm run --silent fmt

# ---- local chain ----------------------------------------------------------------------------

.PHONY: anvil
anvil: tools ## Start a local anvil chain in the foreground (127.0.0.1:8545)
	$(ROOT)/anvil-scripts/anvil.sh

.PHONY: deploy
deploy: tools ## Deploy and wire the contracts on the running anvil; writes contracts/deployments/
	$(ROOT)/anvil-scripts/deploy.sh

.PHONY: clean
clean: ## Remove build outputs (keeps installed tools)
	rm -rf target $(CONTRACTS)/out $(CONTRACTS)/cache
