# Everyday commands. `make run` and `make test` work on a fresh clone with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app portal

.PHONY: run test e2e e2e-deps chromium install install-test migrate seed lint format check clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[test,prod]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo

## run: install, migrate, load the demo data when the database is empty, serve on 127.0.0.1:$(PORT)
run: migrate
	$(FLASK) seed-demo --if-empty
	$(FLASK) run --host 127.0.0.1 --port $(PORT) --debug

## test: the whole suite (TEST_DATABASE_URL=postgresql+psycopg://... runs it on PostgreSQL)
test: install
	@if [ -x /usr/bin/chromium ] && command -v npm >/dev/null; then $(MAKE) --no-print-directory e2e-deps; fi
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## e2e: the journeys in a real browser (Debian's Chromium; axe-core from npm for accessibility)
e2e: install e2e-deps
	$(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

e2e-deps: tests/e2e/node_modules/axe-core/axe.min.js

tests/e2e/node_modules/axe-core/axe.min.js: tests/e2e/package.json tests/e2e/package-lock.json
	npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error
	touch $@

## chromium: install Debian's Chromium for the browser tests (needs root and apt)
chromium:
	test -x /usr/bin/chromium || DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check portal tests config.py

format: install
	$(BIN)/ruff format portal tests config.py
	$(BIN)/ruff check --fix .

## check: the models and the migrations agree
check: install
	$(FLASK) db check

## bench: the performance figures beside their floors (README, "Performance"); bench/results.json
## BENCH_SCALE=0.01 for a quick run; BENCH_DATABASE_URL=postgresql+psycopg://... for PostgreSQL
BENCH_SCALE ?= 1
bench: install
	BENCH_SCALE=$(BENCH_SCALE) $(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
