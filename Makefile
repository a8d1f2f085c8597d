# The two commands: `make run` and `make test`. Everything else is what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
INFRA_VENV := .venv-infra
PY := $(VENV)/bin/python
# The ports `make run` listens on (127.0.0.1); change any of them: `make run PORT=7072`.
PORT ?= 7071
AZURITE_BLOB_PORT ?= 10000
AZURITE_QUEUE_PORT ?= 10001
AZURITE_TABLE_PORT ?= 10002
# Where `make seed` sends its sample leads: the host `make run` started.
SEED_URL ?= http://127.0.0.1:$(PORT)
PYTEST_ARGS ?=

.PHONY: run seed test lint format bootstrap infra-tools bench clean

bootstrap: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(INFRA_VENV)/.installed: requirements-infra.txt
	@test -x $(INFRA_VENV)/bin/python || $(PYTHON) -m venv $(INFRA_VENV)
	$(INFRA_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-infra.txt
	@touch $@

infra-tools: $(INFRA_VENV)/.installed

local.settings.json:
	cp local.settings.sample.json $@

# Azurite on $(AZURITE_*_PORT) and the functions host on $(PORT), in the foreground; Ctrl-C stops both.
# `make run PARTNER_CENTER_STUB=contoso` also starts a local Partner Center with seeded referrals.
PARTNER_CENTER_STUB ?=
run: bootstrap local.settings.json
	exec $(PY) -m devhost --azurite --port $(PORT) --static portal/public --dev-auth \
		--azurite-ports $(AZURITE_BLOB_PORT),$(AZURITE_QUEUE_PORT),$(AZURITE_TABLE_PORT) \
		$(if $(PARTNER_CENTER_STUB),--partner-center-stub $(PARTNER_CENTER_STUB))

# Sample leads in every tab of the host `make run` started (run it in a second terminal); idempotent.
seed: bootstrap
	$(PY) -m devhost.seed --url $(SEED_URL)

lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache --no-logo
	$(VENV)/bin/mypy
	node_modules/.bin/tsc --noEmit -p tsconfig.json

format: bootstrap
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The whole suite against real Azurite instances the tests start and stop themselves, in two
# processes (each with its own Azurite and hosts; a test file stays in one process). Files are
# handed out in the order tests/conftest.py gives them, the longest first.
PYTEST_WORKERS ?= 2
test: bootstrap infra-tools lint
	$(PY) -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

bench: bootstrap
	for script in bench/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf .azurite .outbox .pytest_cache .ruff_cache .mypy_cache
