# Every target installs what it needs into .venv first (idempotent: re-installs only when
# pyproject.toml changes), so each works on a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_DIR ?= run/demo

.PHONY: install system-packages bench-packages run test lint format bench clean

install: $(STAMP)

# Debian packages the tests need: GeographicLib's GeoConvert (coordinates they compare
# against) and PostgreSQL 15 (the integration suite runs on it too, on a throwaway cluster).
SYSTEM_PACKAGES := geographiclib-tools postgresql-15
PG_INITDB := /usr/lib/postgresql/15/bin/initdb
SUDO := $(shell test "$$(id -u)" -eq 0 || echo sudo)
system-packages:
	@{ command -v GeoConvert && test -x $(PG_INITDB); } >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; }

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Openline needs Python 3.11 or newer, found " + sys.version.split()[0])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The main job: the two-node demo (BLUE and RED linked on 127.0.0.1, on the embedded SQLite
# default), created in $(RUN_DIR) the first time and reused afterwards. Ctrl-C stops it.
run: install
	$(BIN)/openline demo $(RUN_DIR)

# The whole suite on the embedded SQLite default, then the integration suite again with every
# node on PostgreSQL (tests/conftest.py: --backend).
test: install system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@echo "== integration suite on PostgreSQL $$($(PG_INITDB) --version | awk '{print $$3}') =="
	$(BIN)/python -m pytest tests/integration --backend postgresql $(PYTEST_ARGS)

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
