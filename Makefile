# One entry point for every task. `make run` and `make test` set everything up on a fresh
# machine that has only python3 and make.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CLIENTS := $(wildcard clients/*_client)

.PHONY: help install run test contract-test lint format clients migrate bench reliability-test \
	screenshots wheelhouse image container-test clean

help:
	@echo "make run             set up and start every service on the embedded defaults"
	@echo "make test            set up and run the whole test suite (unit, integration, gates)"
	@echo "make contract-test   schemathesis against each running service from specs/*.yaml"
	@echo "make lint            ruff (lint + format check) and mypy --strict"
	@echo "make clients         regenerate clients/ from specs/ with openapi-python-client"
	@echo "make migrate         apply database migrations of both services"
	@echo "make bench           benchmarks against the bare frameworks (not part of make test)"
	@echo "make reliability-test  long fault-injection tests"
	@echo "make screenshots     phone and desktop screenshots of the web into docs/screenshots/"
	@echo "make image           build the platform and proxy images (BASE_IMAGE=..., PROXY_BASE_IMAGE=...)"
	@echo "make container-test  images + compose stack in Docker (prepares Docker here as root)"

$(STAMP): requirements.txt pyproject.toml $(wildcard clients/*/pyproject.toml)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	for c in $(CLIENTS); do \
	  $(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e $$c || exit 1; \
	done
	touch $@

install: $(STAMP)

run: install
	$(PY) -m devstack

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

contract-test: install
	$(PY) -m devstack.contract $(CONTRACT_ARGS)

reliability-test: install
	$(PY) -m pytest -m reliability -p no:cacheprovider tests/reliability $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clients: install
	$(PY) -m devstack.clients generate

migrate: install
	$(PY) -m user_management_service migrate
	@if [ -d payment_api ]; then $(PY) -m payment_api migrate; fi

# Debian's wrk drives the load (installed here when missing, as .ci/run installs chromium).
# BENCH_USERS, BENCH_DURATION, BENCH_ROUNDS, BENCH_DATABASE_URL, ...: see bench/RESULTS.md.
bench: install
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) -m bench $(BENCH_ARGS)

# Debian's Chromium, as .ci/run installs it for the browser tests.
screenshots: install
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	$(PY) -m devstack.screenshots

# Containers (docs/deployment.md). The wheelhouse holds the pinned runtime wheels the image
# installs (pip inside a build cannot reach PyPI here); it is rebuilt when the pins change.
WHEELHOUSE := build/image/wheelhouse
BASE_IMAGE ?= python:3.11-slim-bookworm
PROXY_BASE_IMAGE ?= debian:bookworm-slim
TEST_BASE_IMAGE ?= local/python-base:bookworm

$(WHEELHOUSE)/.stamp: requirements.txt deploy/requirements-runtime.in deploy/wheelhouse.py | install
	$(PY) -m deploy.wheelhouse $(WHEELHOUSE)
	touch $@

wheelhouse: $(WHEELHOUSE)/.stamp

image: wheelhouse
	$(PY) -m deploy.images --base $(BASE_IMAGE) --proxy-base $(PROXY_BASE_IMAGE)

# Installs and starts Docker when missing (root), builds the debootstrapped base once.
container-test: wheelhouse
	deploy/host-prepare.sh
	CONTAINER_TEST_BASE_IMAGE=$(TEST_BASE_IMAGE) $(PY) -m pytest -m containers -p no:cacheprovider \
	  -s tests/deploy/test_containers.py $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
