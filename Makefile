# Two commands: `make demo` (fresh clone -> working demo) and `make test` (fresh clone -> passing suite);
# `make airflow` then serves what the demo ran in the Airflow UI.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo airflow test install lint security services lock clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip install --python $(BIN)/python --quiet -r requirements.txt
	$(BIN)/uv pip install --python $(BIN)/python --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

install: $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch node_modules/.installed

demo: install
	$(BIN)/breachctl demo

# The demo's Airflow home in the UI (api-server, scheduler, dag-processor, triggerer) until Ctrl-C.
AIRFLOW_PORT ?= 8080
airflow: install
	$(BIN)/breachctl airflow --port $(AIRFLOW_PORT)

services:
	scripts/ensure-services.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# bandit (justified skips in pyproject.toml), npm audit of the Node test tools, then the security tests: schemathesis
# against the committed OpenAPI schema on a real api-server, and hypothesis over the parsers of untrusted input.
security: install node_modules/.installed
	$(BIN)/bandit -c pyproject.toml -r include plugins dags -q
	$(BIN)/python scripts/npm_audit.py
	$(BIN)/python -m pytest -m security -q $(PYTEST_ARGS)

test: install node_modules/.installed services lint security
	$(BIN)/python -m pytest -m "not security" $(PYTEST_ARGS)

lock:
	$(BIN)/uv pip compile --python-version 3.11 --quiet requirements.in -o requirements.txt

clean:
	rm -rf $(VENV) .airflow .demo lake node_modules
