# holdtrack — the two commands: `make demo` and `make test`. Everything else is a helper of those.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
HT := $(VENV)/bin/holdtrack
PYTEST := $(VENV)/bin/pytest

.PHONY: env demo serve stack stack-stop test test-postgres test-smoke test-redis test-sqlite fuzz lint typecheck diagrams clean

$(VENV)/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || test -x .tools/bin/uv || (python3 -m venv .tools && .tools/bin/pip install -q 'uv==0.13.9')
	$(UV) sync --frozen
	@touch $@

env: $(VENV)/.synced
	@bash scripts/vendor-static.sh

## make demo: embedded SQLite database, reference data, 120 simulated days, one user per role, served at :8000
demo: env
	$(HT) demo

serve: env
	$(HT) serve

## make test: three lanes, one after the other (docs/testing.md). Each lane gets a fresh temporary
## HOLDTRACK_VAR_DIR, so no lane writes into the checkout. DATABASE_URL, if it names PostgreSQL, is used
## instead of the local cluster's default database (pytest-django tests in test_<name>, test_<name>_gwN).
## Time budget per lane on this 2-core machine when quiet, and what it took (2026-12-06 07:14-07:30 UTC, load 1-2,
## .ci/run on a fresh clone; the lane times of a busy machine, load 9-13, in brackets):
##   1. PostgreSQL: the whole suite (1,378 tests), two pytest-xdist workers    budget 15 min  measured 12:29 (34:41)
##   2. SQLite smoke: `-m smoke` (38 tests), the embedded default's main paths  budget  2 min  measured 0:43 (0:48)
##   3. Redis: queue and webhook tests (44) on PostgreSQL, REDIS_URL set      budget  2 min  measured 0:33 (0:36)
##   `make test` in all, with the environment already synced: about 14 minutes (target: under 20)
PYTEST_WORKERS ?= 2
REDIS_TESTS := tests/api/test_webhook_queue.py tests/api/test_webhooks.py tests/api/test_webhook_targets.py \
	tests/core/test_healthz.py tests/desks/test_tools_notifications.py
test: env test-postgres test-smoke test-redis

test-postgres: env
	@url=$$(bash scripts/ensure-postgres.sh) && case "$${DATABASE_URL:-}" in postgres*) url=$$DATABASE_URL;; esac && \
	  echo "PostgreSQL lane: $$url, $(PYTEST_WORKERS) workers" && \
	  DATABASE_URL="$$url" HOLDTRACK_VAR_DIR=$$(mktemp -d) \
	  $(PYTEST) -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist worksteal

test-smoke: env
	@echo "SQLite smoke lane" && \
	  env -u DATABASE_URL -u REDIS_URL HOLDTRACK_VAR_DIR=$$(mktemp -d) $(PYTEST) -q -p no:cacheprovider -m smoke tests

test-redis: env
	@url=$$(bash scripts/ensure-postgres.sh) && case "$${DATABASE_URL:-}" in postgres*) url=$$DATABASE_URL;; esac && \
	  redis=$$(bash scripts/ensure-redis.sh) && echo "Redis lane: $$redis, database $$url" && \
	  DATABASE_URL="$$url" REDIS_URL="$$redis" HOLDTRACK_VAR_DIR=$$(mktemp -d) \
	  $(PYTEST) -q -p no:cacheprovider $(REDIS_TESTS)

## make fuzz: schemathesis deep on PostgreSQL (tokens of three organisations; HOLDTRACK_FUZZ_EXAMPLES cases per
## operation, default 200) plus the stateful run; 0 server errors and 0 accepted schema violations expected
fuzz: env
	@url=$$(bash scripts/ensure-postgres.sh) && echo "PostgreSQL: $$url" && \
	  DATABASE_URL="$$url" HOLDTRACK_FUZZ_EXAMPLES=$${HOLDTRACK_FUZZ_EXAMPLES:-200} HOLDTRACK_FUZZ_STATEFUL=1 \
	  $(PYTEST) -q -s -p no:cacheprovider tests/api/test_schema.py tests/api/test_fuzz_stateful.py

test-sqlite: env
	env -u DATABASE_URL HOLDTRACK_VAR_DIR=$$(mktemp -d) $(PYTEST) -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist worksteal

lint: env
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: env
	$(VENV)/bin/mypy

diagrams: env
	$(HT) diagrams --out docs/state-machines

clean:
	rm -rf var .venv .tools

## make stack: the distributed scale on one box (docs/deploy.md): PostgreSQL and Redis (started if down), then
## STACK_WEB_WORKERS gunicorn workers (STACK_WEB_THREADS threads each) at STACK_BIND, STACK_HUEY_WORKERS huey
## workers and the audit chainer, run by honcho from the Procfile; returns when /healthz answers.
## Pid and log files in $HOLDTRACK_VAR_DIR/stack (default ~/.local/state/holdtrack/stack). make stack-stop: graceful.
STACK_WEB_WORKERS ?= 2
STACK_WEB_THREADS ?= 4
STACK_HUEY_WORKERS ?= 2
STACK_BIND ?= 127.0.0.1:8000
stack: env
	@STACK_WEB_WORKERS=$(STACK_WEB_WORKERS) STACK_WEB_THREADS=$(STACK_WEB_THREADS) STACK_HUEY_WORKERS=$(STACK_HUEY_WORKERS) \
	  STACK_BIND=$(STACK_BIND) bash scripts/stack.sh start

stack-stop:
	@bash scripts/stack.sh stop
