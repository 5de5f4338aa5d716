# Firma — `make run` serves the demo, `make test` runs every test; both set up a fresh machine first.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PG_URL  := postgresql+psycopg://postgres@127.0.0.1:5432/firma_test
REDIS_URL := redis://127.0.0.1:6379/15
export PLAYWRIGHT_BROWSERS_PATH := 0

.PHONY: run test test-sqlite test-postgres bench vendor lighthouse install system-deps services clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,face-match]'
	touch $(STAMP)

install: $(STAMP)

system-deps:
	./scripts/system-deps.sh

services:
	./scripts/services.sh firma_test firma_migrations

# Serve the demo on SQLite with a job worker beside the server; prints, in pt-BR, the panel's address and login,
# each demo signer's link and CPF, and a fresh API token with a curl line.
run: install
	$(BIN)/firma init
	@$(BIN)/firma seed >/dev/null
	@$(BIN)/firma demo --guia
	@echo "Servindo em http://127.0.0.1:5000  (Ctrl+C para parar)"
	$(BIN)/firma worker & worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  $(BIN)/firma run --host 127.0.0.1 --port 5000

test: install system-deps services
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: install
	FIRMA_TEST_QUEUE_URL=$(REDIS_URL) $(BIN)/python -m pytest

# The same suite on PostgreSQL with the Redis-backed queue (real browser tests ran once already, above).
test-postgres: install
	FIRMA_TEST_DATABASE_URL=$(PG_URL) FIRMA_TEST_QUEUE_URL=$(REDIS_URL) $(BIN)/python -m pytest -m "not e2e"

bench: install system-deps services
	$(BIN)/python -m bench

vendor:
	npm install --no-audit --no-fund
	mkdir -p static/vendor/htmx-2.0.11 static/vendor/signature_pad-5.1.4
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE static/vendor/htmx-2.0.11/
	cp node_modules/signature_pad/dist/signature_pad.umd.min.js node_modules/signature_pad/LICENSE static/vendor/signature_pad-5.1.4/
	mkdir -p static/vendor/quill-2.0.3
	cp node_modules/quill/dist/quill.js node_modules/quill/dist/quill.snow.css node_modules/quill/LICENSE static/vendor/quill-2.0.3/
	mkdir -p tests/vendor/axe-core-4.14.1
	cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE tests/vendor/axe-core-4.14.1/

# Lighthouse 12.2.3 (the last line that runs on Node 20), mobile profile, on every signing step.
lighthouse: $(STAMP)
	npm install --no-audit --no-fund
	CHROME_PATH=/usr/bin/chromium $(BIN)/python -m pytest -q tests/e2e/test_lighthouse_e2e.py
	@cat tests/output/lighthouse/scores.json

clean:
	rm -rf $(VENV) node_modules .pytest_cache
