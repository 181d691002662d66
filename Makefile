# Every target sets up .venv on a fresh machine first; CI runs `make test` through .ci/run.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
STACK ?= dev

.PHONY: venv lint typecheck workflows test unit e2e test-browser browser-deps demo serve bench soak lock clean

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "activity-pipeline needs Python >= 3.11 (found " + sys.version.split()[0] + ")")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@rm -f $(VENV)/.installed-*
	@touch $@

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

# The CI workflows, offline: actionlint (its shellcheck/pyflakes hooks off, those tools are not pinned) and zizmor.
workflows: venv
	$(BIN)/actionlint -shellcheck= -pyflakes= .github/workflows/*.yml
	$(BIN)/zizmor --offline --quiet --no-progress .github/workflows

# Four workers on two cores: most e2e time is waiting (retry backoff, polling), not CPU.
# loadfile keeps each module's deployed-stack fixture on one worker.
PYTEST_PARALLEL ?= -n 4 --dist loadfile

test: lint typecheck workflows
	$(PY) -m pytest $(PYTEST_PARALLEL)

unit: venv
	$(PY) -m pytest $(PYTEST_PARALLEL) tests/unit tests/components tests/handlers tests/harness tests/ops

e2e: venv
	$(PY) -m pytest $(PYTEST_PARALLEL) tests/e2e

# tests/browser in headless Chromium (not part of `make test`). Debian's chromium and chromium-driver
# are installed with apt-get when no browser and driver are on PATH (as root, else through sudo).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser-deps:
	@if ! command -v chromedriver >/dev/null || ! { command -v chromium || command -v chromium-browser \
	    || command -v google-chrome; } >/dev/null; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    chromium chromium-driver; fi

test-browser: venv browser-deps
	$(PY) -m pytest tests/browser

demo: venv
	$(PY) -m harness demo --stack $(STACK)

serve: venv
	$(PY) -m harness serve --stack $(STACK)

bench: venv
	$(PY) -m benchmarks

# >= 10,000 events in micro-batches, 5% injected faults, 1% malformed, DLQ redriven, then the
# exactly-once accounting (exit 1 if anything is lost or duplicated). SOAK_ARGS="--seed 7" etc.
soak: venv
	$(PY) -m harness soak $(SOAK_ARGS)

# Re-resolve the pinned tree from pyproject.toml into requirements.lock.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check '.[dev]'
	.lock-venv/bin/pip freeze --exclude activity-pipeline --exclude pip > requirements.lock
	rm -rf .lock-venv build *.egg-info

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
