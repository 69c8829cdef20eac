# holdtrack — the two commands: `make demo` and `make test`. Everything else is a helper of those.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
HT := $(VENV)/bin/holdtrack
PYTEST := $(VENV)/bin/pytest

.PHONY: env demo serve test test-sqlite fuzz lint typecheck diagrams clean

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

## make test: the whole suite on PostgreSQL (cluster started if down), then a smoke run on SQLite
test: env
	@url=$$(bash scripts/ensure-postgres.sh) && echo "PostgreSQL: $$url" && \
	  DATABASE_URL="$$url" $(PYTEST) -q -p no:cacheprovider
	HOLDTRACK_VAR_DIR=$$(mktemp -d) $(PYTEST) -q -p no:cacheprovider -m "not postgres_only and not slow" tests

## make fuzz: schemathesis deep on PostgreSQL (tokens of three organisations; HOLDTRACK_FUZZ_EXAMPLES cases per
## operation, default 200) plus the stateful run; 0 server errors and 0 accepted schema violations expected
fuzz: env
	@url=$$(bash scripts/ensure-postgres.sh) && echo "PostgreSQL: $$url" && \
	  DATABASE_URL="$$url" HOLDTRACK_FUZZ_EXAMPLES=$${HOLDTRACK_FUZZ_EXAMPLES:-200} HOLDTRACK_FUZZ_STATEFUL=1 \
	  $(PYTEST) -q -s -p no:cacheprovider tests/api/test_schema.py tests/api/test_fuzz_stateful.py

test-sqlite: env
	HOLDTRACK_VAR_DIR=$$(mktemp -d) $(PYTEST) -q -p no:cacheprovider

lint: env
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: env
	$(VENV)/bin/mypy

diagrams: env
	$(HT) diagrams --out docs/state-machines

clean:
	rm -rf var .venv .tools
