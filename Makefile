# Every target installs what it needs into .venv first (idempotent: re-installs only when
# pyproject.toml changes), so each works on a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WEB := src/openline/web
WEB_STAMP := $(WEB)/vendor/.installed
RUN_DIR ?= run/demo

.PHONY: install system-packages bench-packages run test lint format bench clean screenshots

install: $(STAMP) $(WEB_STAMP)

# Debian packages the tests need: GeographicLib's GeoConvert (coordinates they compare
# against), PostgreSQL 15 (the integration suite runs on it too, on a throwaway cluster) and
# Chromium (the console's end-to-end tests drive it through Playwright).
SYSTEM_PACKAGES := geographiclib-tools postgresql-15 chromium
PG_INITDB := /usr/lib/postgresql/15/bin/initdb
SUDO := $(shell test "$$(id -u)" -eq 0 || echo sudo)
system-packages:
	@{ command -v GeoConvert && test -x $(PG_INITDB) && test -x /usr/bin/chromium; } >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; }

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Openline needs Python 3.11 or newer, found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The console's front-end packages (pinned in package-lock.json), installed with npm and copied
# into the git-ignored $(WEB)/vendor, which the node serves at /vendor (docs/console.md).
$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json $(WEB)/copy-vendor.mjs
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm >/dev/null; }
	cd $(WEB) && npm ci --loglevel=error
	touch $@

# The main job: the two-node demo (BLUE and RED linked on 127.0.0.1, on the embedded SQLite
# default), created in $(RUN_DIR) the first time and reused afterwards. Ctrl-C stops it.
run: install
	$(BIN)/openline demo $(RUN_DIR)

# The whole suite on the embedded SQLite default, then the integration suite again with every
# node on PostgreSQL (tests/conftest.py: --backend). Two workers, one test file each at a time
# (most tests wait on node processes, so both cores stay busy); TEST_WORKERS=0 runs in one.
TEST_WORKERS ?= 2
PARALLEL := $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --dist loadfile)
test: install system-packages
	$(BIN)/python -m pytest $(PARALLEL) $(PYTEST_ARGS)
	@echo "== integration suite on PostgreSQL $$($(PG_INITDB) --version | awk '{print $$3}') =="
	$(BIN)/python -m pytest tests/integration --backend postgresql $(PARALLEL) $(PYTEST_ARGS)

# The console's screenshots in docs/screenshots, taken by its end-to-end tests.
screenshots: install system-packages
	CONSOLE_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/e2e -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The deconfliction benchmark compares against PostGIS, on a throwaway cluster it starts itself.
BENCH_PACKAGES := postgresql-15 postgresql-15-postgis-3
bench-packages:
	@test -f /usr/share/postgresql/15/extension/postgis.control || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(BENCH_PACKAGES) >/dev/null; }

# The node and the line on both stores (SQLite, then PostgreSQL on a throwaway cluster), then
# the engines that work in memory, the same on both: proximity screening, and deconfliction
# against PostGIS.
bench: install bench-packages
	$(BIN)/python bench/node_bench.py --database sqlite
	$(BIN)/python bench/node_bench.py --database postgresql
	$(BIN)/python bench/line_bench.py --database sqlite
	$(BIN)/python bench/line_bench.py --database postgresql
	$(BIN)/python bench/proximity_bench.py
	$(BIN)/python bench/deconfliction_bench.py

clean:
	rm -rf $(VENV) run .pytest_cache .mypy_cache .ruff_cache
