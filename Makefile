# The two commands: `make run` serves PropFlow on the embedded default, `make test` checks it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint typecheck migrations-check pytest benchmark

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.base-installed: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/base.txt requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@ $(VENV)/.base-installed

# The embedded default is a developer's: DEBUG on (a random key is made once in data/).
run: export DEBUG = true
run: $(VENV)/.base-installed
	$(BIN)/python manage.py migrate --noinput
	-$(BIN)/python manage.py seed_demo --if-empty  # demo data on a database without properties
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/uvicorn propflow.asgi:application --host 127.0.0.1 --port $(PORT) --lifespan on --no-access-log --ws-max-size 65536

test: lint typecheck migrations-check pytest

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy .

# The checks read the settings as the test suite does (tests/settings.py), whatever the shell
# or .env holds.
migrations-check: $(VENV)/.dev-installed
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py makemigrations --check --dry-run

pytest: $(VENV)/.dev-installed
	$(BIN)/python -m pytest --cov --cov-report=term:skip-covered $(PYTEST_ARGS)

# Every benchmark at a small size (about a minute on the embedded default), each printing its
# table: see the README's Benchmarks. DATABASE_URL and REDIS_URL point them at the real services.
benchmark: $(VENV)/.dev-installed
	$(BIN)/python -m benchmarks.property_list --properties 2000 --requests 5
	$(BIN)/python -m benchmarks.photo_pipeline --sizes 12
	$(BIN)/python -m benchmarks.event_log --transitions 100
	$(BIN)/python -m benchmarks.upload_to_event --photos 10
	$(BIN)/python -m benchmarks.websocket_fanout --clients 10,100
	$(BIN)/python -m benchmarks.dashboard_stats --properties 2000 --repeats 5
	$(BIN)/python -m benchmarks.report --photos 24 --repetitions 3
	$(BIN)/python -m benchmarks.archive_scale --sizes 1000,10000 --runs 3
	$(BIN)/python -m benchmarks.image_bombs --chunks 200000
	$(BIN)/python -m benchmarks.webhook_delivery --events 100
