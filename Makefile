# Everyday commands. `make run` and `make test` work on a fresh clone with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app portal

.PHONY: run test install install-test migrate seed lint format check clean

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
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check portal tests config.py

format: install
	$(BIN)/ruff format portal tests config.py
	$(BIN)/ruff check --fix .

## check: the models and the migrations agree
check: install
	$(FLASK) db check

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
