# Wizyta: `make run` serves the demo clinic, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := WIZYTA_ENV=development $(BIN)/flask --app app
STAMP := $(VENV)/.installed-stamp
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/wizyta_test
export CHROMIUM_PATH ?= /usr/bin/chromium

.PHONY: run test install translations lint test-sqlite test-postgres extract-messages bench faults clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	@$(BIN)/pybabel compile -d translations 2>&1 | grep -v "^compiling" || true

# The demo's staff logins (rejestracja.demo, lekarz.demo, admin.demo) skip two-step
# verification: STAFF_REQUIRE_2FA=off is for this demo only, never for a clinic's server.
run: install
	$(FLASK) init-db
	$(FLASK) seed-demo --if-empty
	STAFF_REQUIRE_2FA=off $(FLASK) run --host 127.0.0.1 --port 5000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# BROWSER_SHARD=k/n runs every n-th browser test only (tests/conftest.py); empty: all.
BROWSER_SHARD ?=
PG_BROWSER_SHARD ?=

test-sqlite: install
	BROWSER_SHARD=$(BROWSER_SHARD) $(BIN)/pytest

# The same suite on PostgreSQL, when a server answers on 127.0.0.1:5432.
test-postgres: install
	@if $(BIN)/python -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then \
		echo "== PostgreSQL: $(PG_TEST_URL)"; \
		BROWSER_SHARD=$(PG_BROWSER_SHARD) TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest; \
	else \
		echo "== SKIPPED the PostgreSQL run: nothing listens on 127.0.0.1:5432"; \
	fi

# The two databases' suites run side by side (much of their time is spent waiting on
# Chromium, gunicorn and sockets); each one's output is printed whole when it ends.
# Every HTTP and unit test runs on both databases; the browser tests are shared out, half
# on each (each browser test runs once), unless PostgreSQL is absent: then SQLite runs all.
test: lint
	@if $(PYTHON) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 2)" 2>/dev/null; then \
		$(MAKE) -j2 --output-sync=target test-sqlite test-postgres BROWSER_SHARD=1/2 PG_BROWSER_SHARD=2/2; \
	else \
		$(MAKE) test-sqlite test-postgres; \
	fi

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

# Figures for the README; add DATABASE_URL=postgresql://… to measure PostgreSQL.
bench: install
	$(BIN)/python bench/generate_slots_bench.py $(if $(DATABASE_URL),--database-url $(DATABASE_URL))
	$(BIN)/python bench/search_bench.py $(if $(DATABASE_URL),--database-url $(DATABASE_URL))
	$(BIN)/python bench/booking_bench.py --gunicorn 4 $(if $(DATABASE_URL),--database-url $(DATABASE_URL))
	$(BIN)/python bench/page_weight.py

# SMTP down/slow/back, Redis killed/frozen, parallel SQLite writes: delivered/lost/refused.
faults: install
	$(BIN)/python bench/faults.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
