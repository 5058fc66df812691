# The README's two commands: `make run` (local stack) and `make test` (everything CI checks).
# Both set up what they need first: a virtualenv with pinned Python packages, and Node 22 plus the
# CDK CLI from npm (jsii runs on it, not on the machine's Node).

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PYTHON := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
REQUIREMENTS := requirements.txt requirements-dev.txt functions/requirements-api.txt functions/requirements-worker.txt functions/requirements-authorizer.txt
PYTHON_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
CHECKOV_STAMP := $(VENV)/checkov/.installed
CLI := $(VENV)/bin/cvjobs

export JSII_NODE := $(CURDIR)/node_modules/node/bin/node
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: help setup tools run test lint typecheck unit infra e2e bench synth diff deploy bootstrap destroy clean openapi botocore-data models smoke faults

help:
	@echo "make run    set everything up and start the local stack (API on :3000, AWS on :4566, playground on :5173)"
	@echo "make test   set everything up and run lint, type checks and all tests"
	@echo "make synth  synthesize the CloudFormation template (ENV=dev|prod)"
	@echo "make diff   what a deploy of ENV would change (needs AWS credentials; checked first)"
	@echo "make deploy deploy one environment (ENV=dev|prod; needs AWS credentials; docs/operations.md)"
	@echo "make bootstrap prepare an AWS account and region for the CDK (once)"
	@echo "make destroy delete one environment's stack (asks first; retained data stays)"
	@echo "make bench  measure cold starts (vs twins), worker overhead and batches, local throughput, bundle sizes"
	@echo "make smoke run every job type once against the real providers (OPENAI_API_KEY / GEMINI_API_KEY; skips without)"
	@echo "make faults run 300 jobs through the local stack under provider faults, crashes and AWS failures; print the report"
	@echo "make models check the configured models with the providers (LOCAL_ENV=dev|prod; exit 1: act now)"
	@echo "make openapi regenerate docs/openapi.json and the TypeScript types in clients/typescript/"
	@echo "make botocore-data regenerate the AWS clients' narrowed botocore data (after a botocore upgrade)"

setup: $(PYTHON_STAMP) $(NODE_STAMP) $(CLI) $(CHECKOV_STAMP) tools

# Command-line tools the README's examples (and their test) use. jq comes from the system's
# packages: installed with apt where we may, otherwise one line says how.
tools:
	@command -v curl > /dev/null || { echo "curl is missing: apt-get install curl" >&2; exit 1; }
	@if ! command -v jq > /dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
			echo "installing jq with apt-get"; \
			apt-get update -qq > /dev/null && apt-get install -y -qq jq > /dev/null; \
		fi; \
		command -v jq > /dev/null || { echo "jq is missing: apt-get install jq" >&2; exit 1; }; \
	fi
	@# The playground's browser test drives Debian's Chromium (Playwright's own download is not used).
	@if ! command -v chromium > /dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null; then \
			echo "installing chromium with apt-get (the playground's browser test)"; \
			apt-get update -qq > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null; \
		fi; \
		command -v chromium > /dev/null || echo "chromium is missing: apt-get install chromium (the playground test needs it)" >&2; \
	fi

# The command-line client (clients/cli): a wrapper in the virtualenv that runs it with its Python.
$(CLI): clients/cli/cvjobs.sh $(PYTHON_STAMP)
	sed -e 's|@REPO@|$(CURDIR)|g' -e 's|@PYTHON@|$(abspath $(PYTHON))|g' clients/cli/cvjobs.sh > $@
	chmod +x $@

$(PYTHON_STAMP): $(REQUIREMENTS)
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip install --quiet --python $(PYTHON) -r requirements-dev.txt
	touch $@

# checkov pins its own boto3 (older than ours), so it lives in its own environment inside .venv;
# tests/infra/test_security_scanners.py runs it on the synthesized templates.
$(CHECKOV_STAMP): requirements-checkov.txt $(PYTHON_STAMP)
	test -x $(VENV)/checkov/bin/python || $(PYTHON) -m venv $(VENV)/checkov
	$(UV) pip install --quiet --python $(VENV)/checkov/bin/python -r requirements-checkov.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	$(JSII_NODE) --version
	touch $@

run: setup
	$(PYTHON) -m local.run

# The unit tests on both cores (each uses moto in-process, nothing shared); the infra and e2e tests
# one at a time (each e2e test's local stack wants the machine's cores to itself).
test: setup lint typecheck
	$(PYTHON) -m pytest -n 2 tests/unit
	$(PYTHON) -m pytest tests/infra tests/e2e

lint: $(PYTHON_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(PYTHON_STAMP)
	$(VENV)/bin/mypy

unit: setup
	$(PYTHON) -m pytest tests/unit

infra: setup
	$(PYTHON) -m pytest tests/infra

e2e: setup
	$(PYTHON) -m pytest tests/e2e

# Numbers, not assertions (docs/performance.md keeps the last ones): BENCH=cold|overhead|batches|...
bench: setup
	$(PYTHON) -m benchmarks $(BENCH)

# Every job type once per provider whose key is set (OPENAI_API_KEY / GEMINI_API_KEY), as BYOK jobs
# through the local stack against the real providers; says it skipped when neither key is set.
smoke: setup
	$(PYTHON) -m local.smoke

# The fault run (local/faults): every job type over both providers and the system path, with provider
# faults, worker crashes, AWS failures, duplicate deliveries and repeated POSTs; prints the report and
# exits 1 if an invariant broke. FAULTS_ARGS passes options (python -m local.faults --help).
faults: setup
	$(PYTHON) -m local.faults $(FAULTS_ARGS)

# The stack's daily model check, here: keys from OPENAI_API_KEY / GEMINI_API_KEY where set.
models: setup
	$(PYTHON) -m local.models

# The OpenAPI document derived from the job-type registry, then the frontend's types from it (the
# openapi-types script in package.json holds openapi-typescript's flags). Tests fail when stale.
openapi: setup
	PYTHONPATH=functions $(PYTHON) -m cv_jobs.api.openapi > docs/openapi.json.tmp
	mv docs/openapi.json.tmp docs/openapi.json
	npm run --silent openapi-types -- clients/typescript/cv-ai-jobs.d.ts

# botocore's data (endpoints, models) narrowed to the services the functions call (infra/botocore_data.py).
# Run it after changing botocore's pin or clients.SERVICES; a test fails when it is stale.
botocore-data: setup
	$(PYTHON) -m infra.botocore_data

# One environment of cdk.json: `make synth|diff|deploy ENV=prod`. The CDK CLI runs on the project's
# Node 22. diff and deploy first check the settings, credentials, region and bootstrap
# (infra/preflight.py) and say in one line what is missing; docs/operations.md is the guide.
ENV ?= dev
synth: setup
	cdk synth -c env=$(ENV) > /dev/null
	@echo "template of CvAiJobs-$(ENV) written to cdk.out/"

diff: setup
	@$(PYTHON) -m infra.preflight $(ENV)
	cdk diff -c env=$(ENV)

# The stack's outputs (ApiUrl, ApiKeyId, DashboardUrl, ...) are also written to cdk.out/outputs-<env>.json.
deploy: setup
	@$(PYTHON) -m infra.preflight $(ENV)
	cdk deploy -c env=$(ENV) --outputs-file cdk.out/outputs-$(ENV).json

# Once per account and region (the credentials' and AWS_REGION's): the CDK's asset bucket and roles.
bootstrap: setup
	cdk bootstrap -c env=$(ENV)

# Deletes the environment's stack (cdk asks first); what retainData keeps stays (docs/operations.md).
destroy: setup
	@$(PYTHON) -m infra.preflight $(ENV)
	cdk destroy -c env=$(ENV)

clean:
	rm -rf $(VENV) node_modules cdk.out .pytest_cache .mypy_cache .ruff_cache
