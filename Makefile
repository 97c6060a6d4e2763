# Every target installs what it needs into .venv first (idempotent: re-installs only when
# pyproject.toml or the lock changes), so each works on a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WEB := src/openline/web
WEB_STAMP := $(WEB)/vendor/.installed
# The exact version of every Python package CI installs (runtime, dev and postgresql extras, for
# Python 3.11 on Linux x86_64), written by pip-compile: make lock.
LOCK := requirements/lock.txt
# ESLint and its packages, pinned in the repository's package-lock.json (make lint).
LINT_STAMP := node_modules/.installed
RUN_DIR ?= run/demo

.PHONY: install lock system-packages bench-packages run test lint format bench clean screenshots

install: $(STAMP) $(WEB_STAMP)

# Debian packages the tests need: GeographicLib's GeoConvert (coordinates they compare
# against), PostgreSQL 15 (the integration suite runs on it too, on a throwaway cluster) and
# Chromium (the console's end-to-end tests drive it through Playwright).
SYSTEM_PACKAGES := geographiclib-tools postgresql-15 chromium
# PostgreSQL's server programs (initdb, postgres), wherever the installed release keeps them:
# Debian's pg_config (postgresql-common) answers for the newest release installed, as the
# tests' throwaway cluster does (tests/support/postgres.py).
PG_BINDIR = $(shell pg_config --bindir 2>/dev/null)
SUDO := $(shell test "$$(id -u)" -eq 0 || echo sudo)
system-packages:
	@{ command -v GeoConvert && test -x "$(PG_BINDIR)/initdb" && test -x /usr/bin/chromium; } >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; }

# Installed with the lock as constraints: a fresh clone gets exactly the versions CI tested.
$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Openline needs Python 3.11 or newer, found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(LOCK) pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev,postgresql]'
	touch $(STAMP)

# Writes $(LOCK) again after a change to the dependencies in pyproject.toml, keeping every pin
# that still fits; `make lock LOCK_ARGS=--upgrade` moves every package to its newest allowed
# release (then run make lint and make test before committing the lock).
LOCK_ARGS ?=
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	test -x $(BIN)/pip-compile || $(BIN)/python -m pip install --quiet -c $(LOCK) pip-tools
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --extra dev --extra postgresql \
		--strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links $(LOCK_ARGS) \
		--output-file $(LOCK) pyproject.toml

# The console's front-end packages (pinned in package-lock.json), installed with npm and copied
# into the git-ignored $(WEB)/vendor, which the node serves at /vendor (docs/console.md).
NEED_NPM := command -v npm >/dev/null || { $(SUDO) apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm >/dev/null; }
$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json $(WEB)/copy-vendor.mjs
	@$(NEED_NPM)
	cd $(WEB) && npm ci --loglevel=error
	touch $@

# ESLint, a development tool only: pinned in package.json and package-lock.json at the top of
# the repository, installed into the git-ignored node_modules/.
$(LINT_STAMP): package.json package-lock.json
	@$(NEED_NPM)
	npm ci --loglevel=error
	touch $@

# The main job: the two-node demo (BLUE and RED linked on 127.0.0.1, on the embedded SQLite
# default), created in $(RUN_DIR) the first time and reused afterwards. Ctrl-C stops it.
run: install
	$(BIN)/openline demo $(RUN_DIR)

# The whole suite on the embedded SQLite default, then the integration suite again with every
# node on PostgreSQL (tests/conftest.py: --backend). Four workers, one test file each at a time,
# the longest files first (tests/support/scheduling.py): most tests wait on node processes, so
# two workers left the two cores half idle (user+sys 14 of 28 core-minutes in a 14-minute run);
# TEST_WORKERS=0 runs in one.
TEST_WORKERS ?= 4
PARALLEL := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)
# The tests write Python's bytecode caches even where PYTHONDONTWRITEBYTECODE is set (as on
# this project's machine): without them each of the thousands of `openline` processes the
# tests start compiled Openline's sources again (a quarter of a second of processor each), and
# each worker rewrote every test module's asserts again. The caches are git-ignored.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest
test: install system-packages
	$(PYTEST) $(PARALLEL) $(PYTEST_ARGS)
	@echo "== integration suite on PostgreSQL $$("$(PG_BINDIR)/initdb" --version | awk '{print $$3}') =="
	$(PYTEST) tests/integration --backend postgresql $(PARALLEL) $(PYTEST_ARGS)

# The console's screenshots in docs/screenshots, taken by its end-to-end tests.
screenshots: install system-packages
	CONSOLE_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/e2e -q

# Python (ruff, mypy) and the console's JavaScript (ESLint: eslint.config.js, and the files it
# checks in package.json's lint script).
lint: install $(LINT_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	npm run --silent lint

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The deconfliction benchmark compares against PostGIS, on a throwaway cluster it starts itself.
BENCH_PACKAGES := postgresql-15 postgresql-15-postgis-3
bench-packages:
	@test -f "$$(pg_config --sharedir 2>/dev/null)/extension/postgis.control" || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(BENCH_PACKAGES) >/dev/null; }

# The node and the line on both stores (SQLite, then PostgreSQL on a throwaway cluster), then
# the engines that work in memory, the same on both: proximity screening, and deconfliction
# against PostGIS.
bench: install bench-packages
	$(BIN)/python bench/node_bench.py --database sqlite
	$(BIN)/python bench/node_bench.py --database postgresql
	$(BIN)/python bench/line_bench.py --database sqlite
	$(BIN)/python bench/line_bench.py --database postgresql
	$(BIN)/python bench/journal_bench.py
	$(BIN)/python bench/bundle_bench.py
	$(BIN)/python bench/paths_bench.py
	$(BIN)/python bench/relay_bench.py
	$(BIN)/python bench/proximity_bench.py
	$(BIN)/python bench/deconfliction_bench.py
	$(BIN)/python bench/start_bench.py --database sqlite
	$(BIN)/python bench/start_bench.py --database postgresql
	$(BIN)/python bench/blind_bench.py
	$(BIN)/python bench/processes_bench.py

clean:
	rm -rf $(VENV) run .pytest_cache .mypy_cache .ruff_cache
