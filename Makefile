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

# The whole suite on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set, then
# on SQLite at each awkward instant of tests/dates.txt (the clock is frozen in every test).
test: venv translations lint test-sqlite test-postgres test-dates

test-sqlite: venv translations
	env -u TEST_DATABASE_URL $(BIN)/pytest -q

test-postgres: venv translations
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL: $${TEST_DATABASE_URL%%@*}@…"; \
		$(BIN)/pytest -q -m "not browser"; \
	else echo "TEST_DATABASE_URL not set: PostgreSQL pass skipped"; fi

# The instants run side by side, one pytest per core (each on its own SQLite file); their
# outputs are shown in the order of tests/dates.txt, the whole of a failed one's.
DATE_JOBS ?= $(shell nproc)
test-dates: venv translations
	@logs=$$(mktemp -d); \
	grep -v '^#' tests/dates.txt | xargs -P $(DATE_JOBS) -I{} sh -c \
		'XYD_TEST_NOW={} env -u TEST_DATABASE_URL $(BIN)/pytest -q -p no:cacheprovider \
			-m "not browser" > "$$0/{}.log" 2>&1; echo $$? > "$$0/{}.rc"' "$$logs"; \
	failed=0; \
	for when in $$(grep -v '^#' tests/dates.txt); do \
		if [ "$$(cat "$$logs/$$when.rc")" = 0 ]; then \
			echo "== SQLite at $$when: $$(tail -1 "$$logs/$$when.log")"; \
		else echo "== SQLite at $$when FAILED:"; cat "$$logs/$$when.log"; failed=1; fi; \
	done; \
	rm -rf "$$logs"; exit $$failed

# The API against its own OpenAPI document: Schemathesis sends generated requests to every
# operation with a token of each role (tests/fuzz; on PostgreSQL when TEST_DATABASE_URL is
# set). Not part of `make test` (minutes, tens of thousands of requests); .ci/run calls it.
fuzz: venv translations
	XYD_FUZZ=1 $(BIN)/pytest -q tests/fuzz

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance/*.sqlite* .pytest_cache .ruff_cache .mypy_cache
