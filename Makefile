# The two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench lint format messages install install-test services clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(PIP) install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## make run: install, migrate, seed the demo, serve on http://127.0.0.1:8000 with a Celery worker + beat.
run: install
	@bash scripts/run.sh

## make test: the whole suite against PostgreSQL and Redis at 127.0.0.1.
test: install-test
	@bash scripts/test-deps.sh
	@$(PY) scripts/check_services.py
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## make bench: benchmarks; each prints its baseline, its figure and their ratio.
bench: install-test
	@bash bench/run.sh

## make lint: the house style, as CI (.ci/run) and pre-commit run it.
lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

format: install-test
	$(VENV)/bin/ruff format .

## make messages: refresh the Swedish catalog and compile it (needs GNU gettext for extraction).
messages: install
	$(PY) manage.py makemessages -l sv --no-obsolete --ignore=.venv --ignore=var
	$(PY) manage.py compile_catalogs

clean:
	rm -rf var/celery-broker var/celerybeat-schedule*
