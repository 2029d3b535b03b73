# Two commands do all set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
BUN_VERSION := 1.4.5
BUN := .tools/node_modules/.bin/bun
export PATH := $(CURDIR)/.tools/node_modules/.bin:$(PATH)

.PHONY: run test test-unit test-sqlite test-postgres test-e2e screenshots failover bench lint setup clean-demo

setup: $(STAMP) $(BUN)

# The venv is (re)installed only when the project or the pinned versions change.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# Reflex builds its pages with bun; we take it from npm into a project-local folder.
$(BUN):
	@if command -v bun >/dev/null 2>&1; then mkdir -p $(dir $(BUN)) && ln -sf "$$(command -v bun)" $(BUN); \
	else mkdir -p .tools && cd .tools && npm install --no-fund --no-audit --loglevel=error bun@$(BUN_VERSION); fi

run: setup
	$(PY) -m orgonaut.devstack run

# ruff, the import contracts (pyproject [tool.importlinter]) and mypy (pyproject [tool.mypy]).
define LINT
$(PY) -m ruff check .
$(VENV)/bin/lint-imports
$(PY) -m mypy
endef

# Lint; then side by side (tests/run_passes.sh) unit, integration and provider contract tests and the failover suite
# (private redis-servers and workers) on SQLite, and integration and failover tests on PostgreSQL when it answers;
# then the browser flows.
test: setup
	@$(PY) -m orgonaut.devstack prepare-tests
	$(LINT)
	PY=$(PY) bash tests/run_passes.sh
	$(PY) -m pytest tests/e2e -q

test-unit: setup
	$(PY) -m pytest tests/unit -q

test-sqlite: setup
	$(PY) -m pytest tests/unit tests/integration tests/contract -q

test-postgres: setup
	ORGONAUT_TEST_DB=postgresql $(PY) -m pytest tests/integration -q

test-e2e: setup
	@$(PY) -m orgonaut.devstack prepare-tests
	$(PY) -m pytest tests/e2e -q

# A PNG of every page at 1400 px and 390 px (a phone) in var/screenshots/, from the app on the seeded demo as
# the browser tests run it (tests/e2e/screenshots.py); not part of `make test`.
screenshots: setup
	@$(PY) -m orgonaut.devstack prepare-tests
	$(PY) -m tests.e2e.screenshots

# The failover suite on both backends, its kill tests on a year-long backfill (FAILOVER_DAYS), the
# random-kill test with ten kills (FAILOVER_KILLS) and a simulated roster of 1,000 (FAILOVER_PEOPLE),
# and each kill point hit both ways, pool child and whole worker (FAILOVER_EVERY_ACTION).
FAILOVER_BIG := FAILOVER_DAYS=365 FAILOVER_KILLS=10 FAILOVER_PEOPLE=1000 FAILOVER_EVERY_ACTION=1
failover: setup
	@$(PY) -m orgonaut.devstack prepare-tests
	$(FAILOVER_BIG) $(PY) -m pytest tests/failover -q
	$(FAILOVER_BIG) ORGONAUT_TEST_DB=postgresql $(PY) -m pytest tests/failover -q

bench: setup
	@$(PY) -m orgonaut.devstack redis
	ORGONAUT_ENV=test $(PY) -m tests.bench

lint: setup
	$(LINT)

clean-demo:
	rm -f var/orgonaut.db var/orgonaut.db-wal var/orgonaut.db-shm var/celerybeat-schedule*
