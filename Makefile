# Two commands matter: `make run` (serve on SQLite, set up on first use) and `make test`.
PYTHON ?= python3
VENV := .venv
# Installs are constrained to the versions in the lock, so every machine runs what CI passed with.
LOCK := requirements.lock
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test lint format openapi clean bench lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/pip install --quiet -c $(LOCK) -e '.[dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/ceplan serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/pytest $(PYTEST_ARGS)

# The benchmark (tests/benchmarks/README.md): `make bench BENCH_ARGS='--databases sqlite --json bench.json'`.
BENCH_ARGS ?=
bench: $(VENV)/.installed-dev
	$(BIN)/python -m tests.benchmarks.run $(BENCH_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check app tests migrations
	$(BIN)/ruff format --check app tests migrations
	$(BIN)/mypy app tests
	$(BIN)/lint-imports
	$(BIN)/hadolint --failure-threshold info Dockerfile

format: $(VENV)/.installed-dev
	$(BIN)/ruff format app tests migrations
	$(BIN)/ruff check --fix app tests migrations

clean:
	rm -rf $(VENV) ceplan.db ceplan.db-wal ceplan.db-shm .pytest_cache .mypy_cache .ruff_cache

# A new lock: the newest versions pyproject.toml allows, installed into a scratch venv and frozen.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	{ head -n 2 $(LOCK); .lock-venv/bin/pip freeze --exclude-editable | grep -v '^ceplan'; } > $(LOCK).new
	mv $(LOCK).new $(LOCK) && rm -rf .lock-venv
