# Masthead: two commands set everything up on a fresh machine.
#   make run   embedded default (SQLite, Celery eager, demo content) on http://$(HOST):$(PORT) (127.0.0.1:8000)
#   make test  creates the venv from the locks and runs ruff and the whole suite on PostgreSQL and Redis: the ones
#              DATABASE_URL / REDIS_URL point at, or throwaway servers started for the run (tests/throwaway_services.py)
#   make lock  regenerates requirements.lock / requirements-dev.lock (with hashes) from requirements*.txt
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCKS := requirements.lock requirements-dev.lock
STAMP := $(VENV)/.installed-$(shell cat $(LOCKS) | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers for `make test` (one per CPU; PYTEST_WORKERS=0 runs in this process, e.g. for a debugger)
PYTEST_WORKERS ?= auto
# the absolute links seed_demo prints and the API sends (images, feeds) follow the address `make run` serves on
PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
	--no-emit-find-links --no-emit-trusted-host $(if $(UPGRADE),--upgrade)

.PHONY: run test lint format venv lock clean

# Installs exactly what the locks name, each file checked against its hash.
$(STAMP): $(LOCKS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
# (the demo accounts' welcome and receipt emails would print as full MIME messages: seeding drops them)
	PUBLIC_BASE_URL=$(PUBLIC_BASE_URL) EMAIL_URL=dummymail:// $(BIN)/python manage.py seed_demo
	PUBLIC_BASE_URL=$(PUBLIC_BASE_URL) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m tests.throwaway_services -- $(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# UPGRADE=1 also moves the unpinned (transitive) packages to their newest releases.
lock:
	test -x $(BIN)/pip-compile || { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
		$(BIN)/python -m pip install --quiet "$$(grep '^pip-tools==' requirements-dev.txt)"; }
	$(PIP_COMPILE) --output-file=requirements.lock requirements.txt
	$(PIP_COMPILE) --constraint=requirements.lock --output-file=requirements-dev.lock requirements-dev.txt

clean:
	rm -rf $(VENV) db.sqlite3 var
