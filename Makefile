# casebook: `make run` sets everything up and serves the demo; `make test` runs the suite.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# Django 6 needs Python 3.12 or newer: take the first interpreter that qualifies.
PYTHON_CANDIDATES := python3.13 python3.12 python3 $(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3)
FIND_PYTHON = for p in $(PYTHON_CANDIDATES); do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	    command -v $$p; exit 0; fi; \
	done; \
	if command -v pyenv >/dev/null 2>&1; then \
	  for v in $$(pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[2-9])' | sort -rV); do \
	    echo "$$(pyenv root)/versions/$$v/bin/python3"; exit 0; done; \
	fi; exit 1

.PHONY: run test install migrate seed lint format check messages clean load bench

$(VENV)/.installed: pyproject.toml
	@python_bin=$$($(FIND_PYTHON)) || { \
	  echo "casebook needs Python 3.12 or newer (Django 6 refuses older ones)." >&2; \
	  echo "Install one, e.g. 'sudo apt install python3.12 python3.12-venv' or 'pyenv install 3.12', then run make again." >&2; \
	  exit 1; }; \
	echo "Using $$python_bin ($$($$python_bin --version))"; \
	[ -x $(PY) ] || $$python_bin -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

migrate: install
	DEBUG=1 $(PY) manage.py migrate --no-input

# The demo (and its shared-password logins) is for a development machine: DEBUG on.
seed: migrate
	DEBUG=1 $(PY) manage.py seed_demo

# The web server and the scheduler of the reminders and e-mails (manage.py run_jobs) run
# side by side; stopping make (Ctrl+C) stops both.
run: seed
	DEBUG=1 $(PY) manage.py collectstatic --no-input >/dev/null
	@echo "casebook is serving on http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	@DEBUG=1 CASEBOOK_SITE_URL=http://$(HOST):$(PORT) $(PY) manage.py run_jobs & jobs=$$!; \
	trap 'kill $$jobs 2>/dev/null; wait $$jobs 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 CASEBOOK_SITE_URL=http://$(HOST):$(PORT) $(PY) -m daphne -b $(HOST) -p $(PORT) casebook.asgi:application

# A decade of a large hub in the database of DATABASE_URL (PostgreSQL; docs/performance.md).
# LOAD_ARGS e.g. "--shape stress" or "--scale 0.1".
load: migrate
	DEBUG=1 $(PY) manage.py generate_load $(LOAD_ARGS)

# The benchmark of the main reads and writes on that database: a table, and JSON in artifacts/.
# Run as in production (DEBUG off); BENCH_ARGS e.g. "--label after --repeat 30".
bench: install
	SECRET_KEY=casebook-bench HTTPS=0 $(PY) manage.py bench $(BENCH_ARGS)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: install
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	DEBUG=1 $(PY) manage.py check

# Rebuild every compiled catalogue (.mo) from its .po: after editing or merging translations.
messages: install
	DEBUG=1 $(PY) manage.py compilemessages --ignore='.venv' >/dev/null

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles artifacts
