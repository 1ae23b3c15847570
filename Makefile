# The two commands: `make run` serves the API with a demo-ready SQLite file; `make test` checks everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run migrate test check lint format clean bench messages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/tracker migrate

run: migrate
	$(BIN)/tracker demo --if-empty
	$(BIN)/tracker serve

check: $(STAMP)
	$(BIN)/ruff check tracker api tests migrations
	$(BIN)/ruff format --check tracker api tests migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

test: check
	$(BIN)/pytest

# Performance figures next to their references (~8 min; not part of `make test`): bench/README.md
bench: $(STAMP)
	$(BIN)/python -m bench

format: $(STAMP)
	$(BIN)/ruff format tracker api tests migrations
	$(BIN)/ruff check --fix tracker api tests migrations

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# Translations (docs/languages.md): collect every marked message into tracker/locale/messages.pot
# and merge it into the ru, kk and uz catalogs, whose new entries then await their translation.
# Sorted and without source lines, so that two branches adding messages seldom conflict.
POT ?= tracker/locale/messages.pot
EXTRACT_FLAGS := -F babel.cfg -k NP_:1c,2 --no-location --sort-output --no-wrap --project=cooperation-tracker --copyright-holder="the cooperation tracker's authors"

messages-pot:
	$(BIN)/pybabel -q extract $(EXTRACT_FLAGS) -o $(POT) .

messages: messages-pot
	$(BIN)/pybabel -q update -i $(POT) -d tracker/locale --no-wrap --ignore-pot-creation-date --ignore-obsolete
