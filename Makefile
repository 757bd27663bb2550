# Xinyidai — `make run` to try it, `make test` to check it.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)
PORT ?= 5000

.PHONY: venv run test test-sqlite test-postgres test-dates fuzz lint format translations docs bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

translations: venv
	$(BIN)/pybabel compile -d app/translations >/dev/null

run: venv translations
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo load
	@echo "Serving on http://127.0.0.1:$(PORT) with the scheduler beside it (Ctrl-C stops both)"
	$(BIN)/python scripts/run.py --port $(PORT)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# docs/formats.md and docs/cli.md are generated from the code (tests/test_docs.py checks them).
docs: venv
	$(BIN)/python scripts/docs.py

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The whole suite on SQLite, again on PostgreSQL when TEST_DATABASE_URL is set, and on
# SQLite (without the browser tests) at each awkward instant of tests/dates.txt (the clock is
# frozen in every test). `make test` runs these passes side by side, one per core
# (scripts/passes.sh; PASS_JOBS=1 for one at a time): each pytest keeps to one core.
SQLITE_PASS = env -u TEST_DATABASE_URL $(BIN)/pytest -q -p no:cacheprovider
POSTGRES_PASS = $(BIN)/pytest -q -p no:cacheprovider -m "not browser"
LIST_POSTGRES = if [ -n "$$TEST_DATABASE_URL" ]; then printf 'PostgreSQL\t%s\n' '$(POSTGRES_PASS)'; \
	else echo "TEST_DATABASE_URL not set: PostgreSQL pass skipped" >&2; fi
LIST_DATES = for when in $$(grep -E '^[0-9]' tests/dates.txt); do \
	printf 'SQLite at %s\tXYD_TEST_NOW=%s %s -m "not browser"\n' "$$when" "$$when" '$(SQLITE_PASS)'; done

test: venv translations lint
	@{ $(LIST_POSTGRES); printf 'SQLite\t%s\n' '$(SQLITE_PASS)'; $(LIST_DATES); } | scripts/passes.sh

test-sqlite: venv translations
	$(SQLITE_PASS)

test-postgres: venv translations
	@$(LIST_POSTGRES) | scripts/passes.sh

test-dates: venv translations
	@$(LIST_DATES) | scripts/passes.sh

# The API against its own OpenAPI document: Schemathesis sends generated requests to every
# operation with a token of each role (tests/fuzz; on PostgreSQL when TEST_DATABASE_URL is
# set). Not part of `make test` (minutes, tens of thousands of requests); .ci/run calls it.
fuzz: venv translations
	XYD_FUZZ=1 $(BIN)/pytest -q tests/fuzz

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance/*.sqlite* .pytest_cache .ruff_cache .mypy_cache
