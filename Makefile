# Onthaalportaal: `make run` serves the portal with demo data, `make test` runs every test,
# `make serve` runs it in production (gunicorn, no demo data).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app portal
PORT ?= 5000

.PHONY: run serve test test-pg lint audit install install-dev migrate messages screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

migrate: install
	$(FLASK) db upgrade

run: export PORTAL_ENV := development
run: migrate
	$(FLASK) seed-demo --if-empty
	$(FLASK) demo-info --url http://127.0.0.1:$(PORT)
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Production: migrate, check that the database can be served (gunicorn's start does), then
# gunicorn with gunicorn.conf.py. PORTAL_BIND and PORTAL_WORKERS choose where and how many.
serve: export PORTAL_ENV := production
serve: export PORTAL_BIND ?= 127.0.0.1:$(PORT)
serve: migrate
	$(BIN)/gunicorn -c gunicorn.conf.py

lint: install-dev
	$(BIN)/ruff check portal tests benchmarks
	$(BIN)/ruff format --check portal tests benchmarks
	$(BIN)/mypy

# Known vulnerabilities in the installed dependencies, from PyPI's advisory data. The portal
# itself is installed editable and is not on PyPI: skipped.
audit: install-dev
	$(BIN)/pip-audit --skip-editable --progress-spinner off

# The whole suite on SQLite (browser scenarios included), in random order (the seed is printed
# at the top: `--randomly-seed=N` repeats that order), with branch coverage and its floor.
# When PORTAL_TEST_DATABASE_URL names a PostgreSQL database, the whole suite runs on it at the
# same time, on the second core (its report follows the SQLite one); either failing fails.
PG_LOG := $(VENV)/test-pg.log
test: install-dev lint audit
	@pg=""; \
	if [ -n "$$PORTAL_TEST_DATABASE_URL" ]; then \
	  echo "The PostgreSQL suite runs beside this one; its report follows."; \
	  $(MAKE) --no-print-directory test-pg PYTEST_FLAGS="-p no:cacheprovider" >$(PG_LOG) 2>&1 & pg=$$!; \
	fi; \
	$(BIN)/python -m pytest -q --cov --cov-report=term; sqlite=$$?; \
	pgrc=0; \
	if [ -n "$$pg" ]; then \
	  wait $$pg; pgrc=$$?; \
	  echo; echo "=== The same suite on PostgreSQL ==="; cat $(PG_LOG); \
	fi; \
	test $$sqlite -eq 0 -a $$pgrc -eq 0

# The server tests (tests/test_multihost.py) make their own SQLite and PostgreSQL databases
# whatever the backend: the first run has run them.
test-pg: install-dev
	PORTAL_TEST_BACKEND=postgresql $(BIN)/python -m pytest -q $(PYTEST_FLAGS) -m "not browser and not servers"

# Extract every UI text into the catalogue template, add the new ones to the English catalogue
# (untranslated: tests/test_translations.py names them) and compile it. The compiled .mo is
# committed, so that an installation needs no build step for it.
messages: install
	mkdir -p portal/translations
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location -o portal/translations/messages.pot portal templates
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations -l en --no-fuzzy-matching --ignore-obsolete --no-wrap
	$(BIN)/pybabel compile -d portal/translations -l en --statistics

# The README's screenshots, from the demo data at a fixed moment, in Chromium (small PNGs).
screenshots: install-dev
	$(BIN)/python -m tests.screenshots static/screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
