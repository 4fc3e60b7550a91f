# leadsync: two commands on a fresh machine.
#   make demo   create .venv, install, start the TUI on the embedded simulators
#   make test   create .venv, install the test extras, run the whole suite
#   make fuzz-ui   the random-key test, long (LEADSYNC_FUZZ_EXAMPLES, default 200 a size)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_RUN  := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: demo test lint typecheck imports pytest faketime postgres bench sim clean fuzz-ui

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

demo: $(STAMP_RUN)
	$(BIN)/leadsync

sim: $(STAMP_RUN)
	$(BIN)/leadsync sim

lint: $(STAMP_TEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP_TEST)
	$(BIN)/mypy

imports: $(STAMP_TEST)
	$(BIN)/lint-imports

# The suite on parallel workers (pytest-xdist). Many tests wait on loopback servers, timers
# and subprocesses, so twice as many workers as cores keeps both cores busy while one
# waits; `--dist loadgroup` keeps each `xdist_group` on one worker. PYTEST_WORKERS=0 runs
# it in this process, one test after another (as plain `pytest` does); PYTEST_ARGS adds
# options (`make pytest PYTEST_ARGS="-x tests/engine"`).
PYTEST_WORKERS ?= 4
PYTEST_ARGS ?=

# Bytecode is written: with PYTHONDONTWRITEBYTECODE=1 (some CI images) leadsync would be
# compiled again by every `leadsync` subprocess the tests start, the tests by every worker.
pytest: $(STAMP_TEST) faketime postgres
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=25 $(PYTEST_ARGS)

# libfaketime for the clock-skew end-to-end tests (tests/engine/test_clock_faketime.py);
# without it (not root, no apt) they are skipped with a warning in the summary.
faketime:
	@command -v faketime >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime) \
		>/dev/null 2>&1 || \
		echo "WARNING: could not install faketime (Debian package; needs root and apt):" \
			"the clock-skew end-to-end tests will be SKIPPED"

# PostgreSQL's server binaries for the shared-store tests, which start a throwaway server
# of their own (tests/pg_server.py); installed as root with apt when missing, without a
# running cluster. Otherwise (not root, no apt) those tests are skipped, said loudly.
postgres:
	@sh tests/ensure_postgres.sh

test: lint typecheck imports pytest

FUZZ_EXAMPLES ?= 200

fuzz-ui: $(STAMP_TEST)
	LEADSYNC_FUZZ_EXAMPLES=$${LEADSYNC_FUZZ_EXAMPLES:-$(FUZZ_EXAMPLES)} \
		$(BIN)/pytest tests/screens/test_random_keys.py -p no:cacheprovider

bench: $(STAMP_TEST)
	@for b in $$(ls benchmarks/[a-z]*.py 2>/dev/null | xargs -n1 basename | sed 's/\.py$$//'); do \
		$(BIN)/python -m benchmarks.$$b || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
