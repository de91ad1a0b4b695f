# Soporte: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

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

run: seed  ## the embedded default: SQLite, demo data, poller, outbox worker, web app on :5000
	@echo "Mail in: drop .eml files into instance/inbox/new/. Mail out: instance/outbox/*.eml."
	$(BIN)/flask mail poll & poller=$$!; $(BIN)/flask mail send & sender=$$!; \
	trap 'kill $$poller $$sender 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask run --host 127.0.0.1 --port 5000

bench: setup  ## benchmarks (they start their own Dovecot; PostgreSQL on 127.0.0.1:5432)
	$(BIN)/python bench/ingest.py --messages 500
	$(BIN)/python bench/dashboard.py --tickets 100000 --notes 500000
	$(BIN)/python bench/page_weight.py

test: setup  ## the whole suite, on SQLite and on PostgreSQL
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
