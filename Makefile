# DotMac Omni. `make run` and `make test` work on a fresh Debian machine (see README).
SHELL := /bin/bash
PY := .venv/bin/python
PORT ?= 8000
export PORT
# The live process (Server-Sent Events, ASGI; Procfile `live:`) listens here; `make run` points pages at it.
LIVE_PORT ?= 8001
export LIVE_PORT
# Development mode for every command here (run's web/worker/beat and seed_demo, lint's manage.py commands, the tests):
# the settings default to production. `DEBUG=false make run` tries the production settings locally.
DEBUG ?= true
export DEBUG

.PHONY: setup run test lint check pytest bench seed migrate web worker beat clean-db

setup:  ## install what is missing, build assets, create the database (idempotent)
	@bash scripts/setup.sh

migrate: setup
	$(PY) manage.py migrate --noinput

run: export LIVE_URL ?= :$(LIVE_PORT)
run: migrate  ## set up, migrate, load demo data, start web + worker + beat + live
	$(PY) manage.py seed_demo
	@$(PY) manage.py portal_urls
	.venv/bin/honcho start -f Procfile

lint:  ## ruff, migrations, the layer contract, the OpenAPI schema
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	.venv/bin/lint-imports
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

pytest:
	.venv/bin/pytest

test: setup  ## every gate, then the whole suite (unit, API, fuzz, browser)
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory pytest

bench: migrate  ## benchmarks: print figures, floors and ratios
	$(PY) bench/api_list.py
	$(PY) bench/notify_fanout.py
	$(PY) bench/sla_scan.py
	$(PY) bench/network.py
	$(PY) bench/load.py
	$(PY) bench/dispatch.py
	$(PY) bench/inbound_webhooks.py
