# Two commands for a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install constraints demo serve test test-fast lint bench load mutation clean

# constraints.txt pins every package to the version CI tested (make constraints refreshes it).
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## Upgrade the venv to the newest versions pyproject.toml allows and pin them in constraints.txt.
constraints:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --upgrade -e '.[test]'
	{ grep '^#' constraints.txt; $(BIN)/python -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt
	touch $(STAMP)

# axe-core for the browser journeys' accessibility check, from the npm registry (when npm is here).
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --silent
	touch $(AXE)
BROWSER_DEPS := $(if $(shell command -v npm 2>/dev/null),$(AXE))

## Build the demo database on SQLite (instance/mptf.sqlite) and serve it on 127.0.0.1:5000.
demo: install
	$(BIN)/mptf demo --reset
	@echo "Serving http://127.0.0.1:5000 (Ctrl-C to stop)"
	$(BIN)/mptf serve --host 127.0.0.1 --port 5000

serve: install
	$(BIN)/mptf serve --host 127.0.0.1 --port 5000

## Lint, type-check scoring/ and mptf/services/ ([tool.mypy] in pyproject.toml), then the
## whole suite (on PostgreSQL too when MPTF_TEST_DATABASE_URL is set).
test: install $(BROWSER_DEPS)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider -n auto --dist loadfile

lint: install
	$(BIN)/ruff check .

## Every benchmark, into one table: docs/benchmarks.md.
bench: install
	$(BIN)/python -m bench.run

## Load test: gunicorn (2 workers) on a 10,000-note PostgreSQL database (mptf_load on
## 127.0.0.1:5432), mixed traffic for 60 s; writes docs/load-results.md (docs/load.md).
load: install
	$(BIN)/python -m bench.load

## Mutation testing (weekly, not in CI: minutes per module) of the rules of money and fairness,
## each module against its own tests, niced for a shared machine; writes docs/mutation.md
## (MODULES in mutation/run.py). One module: make mutation MODULE=scoring/allocate.py
mutation: install
	$(BIN)/python -m pip install --quiet -e '.[test,mutation]'
	nice -n 15 $(BIN)/python -m mutation.run $(MODULE)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache .hypothesis
