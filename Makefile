# The two commands: `make run` serves the API with a demo-ready SQLite file; `make test` checks everything.
# Dependencies come pinned, with hashes, from requirements/serve.txt (`make run`) and
# requirements/dev.txt (`make test`: serving plus the test and lint tools), installed by uv
# (pinned in requirements/uv.txt; pip only installs uv); `make lock` recompiles all three from
# pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Bytecode is compiled once, at install (and the project's own by `compile`): where Python is
# told not to write it (PYTHONDONTWRITEBYTECODE), every process would otherwise compile its
# ~600 modules again as it imports them, 1.4 s of a 2.5 s start here.
INSTALL := VIRTUAL_ENV=$(VENV) $(BIN)/uv pip install --quiet --compile-bytecode
SERVE := $(VENV)/.serve-installed
DEV := $(VENV)/.dev-installed
# One resolution for both files: dev.txt first (everything), serve.txt held to dev.txt's pins.
COMPILE := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 \
	--generate-hashes

.PHONY: install compile run migrate test check lint format clean bench lock messages messages-pot

$(BIN)/uv: requirements/uv.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/uv.txt
	touch $@

$(SERVE): requirements/serve.txt pyproject.toml $(BIN)/uv
	$(INSTALL) --require-hashes -r requirements/serve.txt
	$(INSTALL) --no-deps -e .
	touch $@

$(DEV): requirements/dev.txt $(SERVE)
	$(INSTALL) --require-hashes -r requirements/dev.txt
	touch $@

install: $(SERVE)

# The project's own modules, compiled again where they changed (see INSTALL).
compile: $(SERVE)
	$(BIN)/python -m compileall -q tracker api migrations bench tests

migrate: compile
	$(BIN)/tracker migrate

run: migrate
	$(BIN)/tracker demo --if-empty
	$(BIN)/tracker serve

check: $(DEV)
	$(BIN)/ruff check tracker api tests migrations
	$(BIN)/ruff format --check tracker api tests migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

# The tests run in parallel (pytest-xdist, one worker more than the cores: tests/conftest.py;
# each test has its own database), except
# tests/reliability, which stops PostgreSQL under everyone else and so runs alone afterwards.
# The slowest tests are listed at the end, to see where the suite's time goes.
test: check compile
	$(BIN)/pytest -n auto --dist loadscope --ignore=tests/reliability/test_postgres_restart.py --durations=20
	$(BIN)/pytest tests/reliability/test_postgres_restart.py --durations=5

# Refresh the pins after changing a dependency in pyproject.toml; pins already in the files
# are kept unless `make lock LOCK_ARGS=--upgrade` (every package) or
# `LOCK_ARGS="--upgrade-package NAME"`.
LOCK_ARGS ?=
lock: $(DEV)
	$(COMPILE) $(LOCK_ARGS) pyproject.toml --extra dev -o requirements/dev.txt
	$(COMPILE) pyproject.toml -c requirements/dev.txt -o requirements/serve.txt
	echo uv | $(COMPILE) - -c requirements/dev.txt -o requirements/uv.txt

# Performance figures next to their references (~15 min; not part of `make test`): bench/README.md
bench: $(DEV) compile
	$(BIN)/python -m bench

format: $(DEV)
	$(BIN)/ruff format tracker api tests migrations
	$(BIN)/ruff check --fix tracker api tests migrations

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
	find tracker api migrations bench tests -name __pycache__ -prune -exec rm -rf {} +

# Translations (docs/languages.md): collect every marked message into tracker/locale/messages.pot
# and merge it into the ru, kk and uz catalogs, whose new entries then await their translation.
# Sorted and without source lines, so that two branches adding messages seldom conflict.
POT ?= tracker/locale/messages.pot
EXTRACT_FLAGS := -F babel.cfg -k NP_:1c,2 --no-location --sort-output --no-wrap --project=cooperation-tracker --copyright-holder="the cooperation tracker's authors"

messages-pot: $(SERVE)
	$(BIN)/pybabel -q extract $(EXTRACT_FLAGS) -o $(POT) .

messages: messages-pot
	$(BIN)/pybabel -q update -i $(POT) -d tracker/locale --no-wrap --ignore-pot-creation-date --ignore-obsolete
