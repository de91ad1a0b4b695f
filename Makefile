# Soporte: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py
# The web app's port (`make run PORT=5001`); exported, so the workers' links in mail follow it
# (config.py derives SOPORTE_BASE_URL from it unless that is set).
PORT ?= 5000
export PORT

.PHONY: setup run test bench translations db seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed translations  ## virtualenv, pinned packages, compiled catalogs

translations: $(VENV)/.installed  ## compile the Spanish and English message catalogs
	$(BIN)/pybabel -q compile -d app/translations

db: setup  ## create or upgrade the schema (DATABASE_URL, default SQLite under instance/)
	$(BIN)/flask db upgrade

seed: db  ## demo data (once)
	$(BIN)/flask seed

run: seed  ## the embedded default: SQLite, demo data, poller, outbox, webhook and service-level workers, web app on :$(PORT) (5000)
	@echo "Mail in: drop .eml files into instance/inbox/new/. Mail out: instance/outbox/*.eml."
	$(BIN)/flask mail poll & poller=$$!; $(BIN)/flask mail send & sender=$$!; \
	$(BIN)/flask webhooks send & hooks=$$!; $(BIN)/flask sla tick & sla=$$!; \
	trap 'kill $$poller $$sender $$hooks $$sla 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

bench: setup  ## benchmarks (they start their own Dovecot; PostgreSQL on 127.0.0.1:5432)
	$(BIN)/python bench/ingest.py --messages 500
	$(BIN)/python bench/dashboard.py --tickets 100000 --notes 500000
	$(BIN)/python bench/load.py --tickets 100000 --notes 500000
	$(BIN)/python bench/page_weight.py
	$(BIN)/python bench/billing_export.py --entries 100000
	$(BIN)/python bench/billing_export.py --entries 100000 --postgresql
	$(BIN)/python bench/poll_cost.py
	$(BIN)/python bench/sla_tick.py --tickets 20000

# axe-core: only the browser tests use it (tests/e2e/accessibility.py); a pinned npm package
# unpacked into tests/.vendor/ (gitignored), never served by the app. Needs npm.
AXE_VERSION := 4.11.4
AXE := tests/.vendor/axe-core/axe.min.js

$(AXE): Makefile
	rm -rf tests/.vendor/axe-core && mkdir -p tests/.vendor/axe-core
	cd tests/.vendor && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null
	tar -xzf tests/.vendor/axe-core-$(AXE_VERSION).tgz -C tests/.vendor/axe-core --strip-components=1 package/axe.min.js package/LICENSE
	rm tests/.vendor/axe-core-$(AXE_VERSION).tgz
	echo $(AXE_VERSION) > tests/.vendor/axe-core/VERSION
	touch $(AXE)

test: setup $(AXE)  ## the whole suite, on SQLite and on PostgreSQL, in parallel workers (one per core)
	$(BIN)/pytest -n auto --dist loadfile $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
