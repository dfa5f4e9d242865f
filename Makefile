# Two commands for a newcomer: `make run` and `make test`. Only python3 (>= 3.11) and make needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest fuzz image-test openapi sdk-models lock bench-search clean

$(STAMP): requirements.lock pyproject.toml sdk/pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e . -e ./sdk
	touch $(STAMP)

## Set up, migrate and serve on http://127.0.0.1:8000 (embedded PostgreSQL unless DATABASE_URL is set).
run: $(STAMP)
	$(BIN)/shushang serve

## Set up and run everything CI runs: ruff, the layers, mypy (strict on app/ and the SDK), pytest.
test: lint typecheck pytest

## ruff, and the layers of docs/architecture.md (import-linter's contract in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

## Fuzz every operation over HTTP (schemathesis: 40 examples each, stateful workflows, real
## ids from a loaded world, no rate limiter): fails on any 5xx or answer that breaks the schema.
SHUSHANG_FUZZ_EXAMPLES ?= 40
SHUSHANG_FUZZ_STATEFUL ?= 40
fuzz: $(STAMP)
	SHUSHANG_FUZZ_EXAMPLES=$(SHUSHANG_FUZZ_EXAMPLES) SHUSHANG_FUZZ_STATEFUL=$(SHUSHANG_FUZZ_STATEFUL) \
		$(BIN)/pytest -p no:cacheprovider -o timeout=3600 tests/test_schemathesis.py

## Build the Dockerfile with podman (root; a debootstrapped stand-in for python:3.11-slim, made
## once) and smoke-test what it built: migrate, serve, /healthz, /v1/catalog, /docs.
## Skips without podman/debootstrap (fails under CI). See docs/operations.md.
image-test: $(STAMP)
	$(BIN)/python tests/image/smoke.py

## Regenerate the committed OpenAPI document after an API change.
openapi: $(STAMP)
	$(BIN)/shushang openapi > openapi/openapi.json

## Regenerate the SDK's typed models, request keywords and blocking client (after `make openapi`).
sdk-models: $(STAMP)
	$(BIN)/python sdk/codegen.py

## Re-pin every dependency (needs network); commit requirements.lock afterwards.
lock:
	$(PYTHON) -m pip install --quiet uv
	$(PYTHON) -m uv pip compile pyproject.toml --extra dev --python-version 3.11 --universal -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
