# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install system-deps run test test-sqlite test-postgres lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v python3 >/dev/null || { echo "python3 is required"; exit 1; }
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

# Chromium (browser tests), Noto CJK fonts (pages, contracts), poppler (PDF checks) and HarfBuzz's
# subsetter (fast contract PDFs) from Debian when missing.
APT_GET := $(shell [ "$$(id -u)" = 0 ] && echo apt-get || echo sudo apt-get)
system-deps:
	@command -v chromium >/dev/null 2>&1 || { $(APT_GET) update -q && $(APT_GET) install -y -q chromium; }
	@fc-list 2>/dev/null | grep -qi "Noto Serif CJK" || { $(APT_GET) update -q && $(APT_GET) install -y -q fonts-noto-cjk; }
	@command -v pdftoppm >/dev/null 2>&1 || { $(APT_GET) update -q && $(APT_GET) install -y -q poppler-utils; }
	@# Without HarfBuzz's subsetter WeasyPrint subsets fonts in Python: a contract takes ~3x as long.
	@ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || { $(APT_GET) update -q && $(APT_GET) install -y -q libharfbuzz-subset0; }

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

run: install system-deps node_modules/.installed
	$(VENV)/bin/creditfactory init
	$(VENV)/bin/creditfactory serve --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/lint-imports

test-sqlite: install
	CREDITFACTORY_DATABASE_URL= $(PY) -m pytest

test-postgres: install
	CREDITFACTORY_DATABASE_URL=$(PG_URL) $(PY) -m pytest

# The whole suite on SQLite, then on PostgreSQL. Outside CI a machine without PostgreSQL
# skips the second run with a warning; in CI a missing PostgreSQL fails the build.
test: install system-deps node_modules/.installed lint test-sqlite
	@if $(PY) -c "import psycopg,sys; psycopg.connect('$(PG_URL)'.replace('+psycopg',''), connect_timeout=3).close()" 2>/dev/null; then \
		$(MAKE) --no-print-directory test-postgres; \
	elif [ -n "$$CI" ]; then echo "PostgreSQL at $(PG_URL) is not reachable" >&2; exit 1; \
	else echo "WARNING: PostgreSQL not reachable at $(PG_URL); ran SQLite only" >&2; fi

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) instance *.egg-info node_modules
