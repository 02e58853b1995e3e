# Tandem — the two commands a newcomer needs: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000

# make test always runs in services mode against these (override in the environment).
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/tandem)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/0)
PYTEST_WORKERS ?= 2

.PHONY: run test lint format install install-dev clean help

help:
	@echo "make run   - install, migrate, create admin + demo data, serve http://127.0.0.1:$(PORT)"
	@echo "make test  - install dev tools, lint, import rules, schema check, whole test suite"

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Tandem needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Embedded mode with no DATABASE_URL (SQLite, tasks in-process); with DATABASE_URL and
# REDIS_URL set, also starts a Celery worker and beat, and stops them on Ctrl-C.
run: $(VENV)/.installed
	@export DJANGO_DEBUG=$${DJANGO_DEBUG:-true}; \
	set -e; \
	$(PY) manage.py migrate --noinput; \
	$(PY) manage.py ensure_admin; \
	$(PY) manage.py seed_demo; \
	pids=""; \
	if [ -n "$$DATABASE_URL" ] && [ -n "$$REDIS_URL" ]; then \
	  $(VENV)/bin/celery -A config worker --loglevel=INFO --concurrency=2 & pids="$$pids $$!"; \
	  $(VENV)/bin/celery -A config beat --loglevel=INFO --schedule var/celerybeat-schedule & pids="$$pids $$!"; \
	fi; \
	trap 'test -n "$$pids" && kill $$pids 2>/dev/null; wait' EXIT INT TERM; \
	echo ""; echo "Tandem is at http://127.0.0.1:$(PORT)/ — log in as 'admin' with the password above."; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: $(VENV)/.installed-dev
	@export DATABASE_URL="$(TEST_DATABASE_URL)" REDIS_URL="$(TEST_REDIS_URL)"; \
	export DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-test-only-secret-key-not-used-anywhere-else-0123456789}"; \
	set -e; \
	$(PY) manage.py check_services; \
	$(VENV)/bin/ruff check .; \
	$(VENV)/bin/ruff format --check .; \
	$(VENV)/bin/lint-imports; \
	DJANGO_DEBUG=false $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null; \
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var/static .pytest_cache .ruff_cache
