# Every target sets up .venv on a fresh machine first; CI runs `make test` through .ci/run.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
STACK ?= dev

.PHONY: help venv lint typecheck workflows test unit e2e fuzz test-browser browser-deps demo serve bench soak soak-single lock clean

help: ## list the targets
	@awk -F':.*## ' '/^[a-z][a-z0-9-]*:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

venv: $(STAMP) ## set up .venv from requirements.lock (every target does it first)

# Its output goes to stderr, so `make serve > serve.json` holds serve's JSON line alone.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "activity-pipeline needs Python >= 3.11 (found " + sys.version.split()[0] + ")")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) >&2
	@echo "installing requirements.lock into $(VENV)" >&2
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock >&2
	@rm -f $(VENV)/.installed-*
	@touch $@

lint: venv ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv ## mypy (strict)
	$(BIN)/mypy

# The CI workflows, offline: actionlint (its shellcheck/pyflakes hooks off, those tools are not pinned) and zizmor.
workflows: venv ## actionlint and zizmor on .github/workflows (offline)
	$(BIN)/actionlint -shellcheck= -pyflakes= .github/workflows/*.yml
	$(BIN)/zizmor --offline --quiet --no-progress .github/workflows

# Three workers on two cores: part of the e2e time is waiting (retry backoff, polling, batching windows),
# and each worker pays its own imports and first deploy (measured on 2 cores: -n 2 314 s, -n 3 277 s, -n 4 313 s).
# loadfile keeps each module's deployed-stack fixture on one worker; --no-loadscope-reorder hands
# the modules out in tests/conftest.py's order (the ones that deploy first), not by test count.
PYTEST_PARALLEL ?= -n 3 --dist loadfile --no-loadscope-reorder

# mypy (one process, ~25 s cold) runs beside the tests rather than before them: on two cores it takes the
# share the tests leave idle. Its findings print once the tests end; either failing fails the target.
test: lint workflows ## lint, workflows, then every test with mypy (make typecheck) beside them
	@$(BIN)/mypy > $(VENV)/typecheck.log 2>&1 & typecheck=$$!; \
	echo "$(PY) -m pytest $(PYTEST_PARALLEL)  (mypy beside it)"; \
	$(PY) -m pytest $(PYTEST_PARALLEL); tests=$$?; \
	wait $$typecheck; types=$$?; echo "$(BIN)/mypy"; cat $(VENV)/typecheck.log; \
	if [ $$types -ne 0 ]; then exit $$types; fi; exit $$tests

unit: venv ## the tests that need no deployed stack
	$(PY) -m pytest $(PYTEST_PARALLEL) tests/unit tests/components tests/handlers tests/harness tests/ops

e2e: venv ## the end-to-end tests (deploys into the emulator)
	$(PY) -m pytest $(PYTEST_PARALLEL) tests/e2e

# The property tests at four times their full example counts (make test runs a quarter: tests/examples.py)
# and the hostile-input suite at depth.
fuzz: venv ## the property tests and the hostile-input suite at depth (not part of make test)
	HYPOTHESIS_SCALE=4 HOSTILE_EXAMPLES=40 $(PY) -m pytest $(PYTEST_PARALLEL) tests/handlers tests/e2e/test_hostile_inputs.py

# tests/browser in headless Chromium (not part of `make test`). Debian's chromium and chromium-driver
# are installed with apt-get when no browser and driver are on PATH (as root, else through sudo).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser-deps: ## Debian's chromium and chromium-driver, when missing
	@if ! command -v chromedriver >/dev/null || ! { command -v chromium || command -v chromium-browser \
	    || command -v google-chrome; } >/dev/null; then \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
	    chromium chromium-driver; fi

test-browser: venv browser-deps ## the browser tests (headless Chromium), not part of make test
	$(PY) -m pytest tests/browser

demo: venv ## deploy STACK (default dev) into the emulator and run the sample events
	$(PY) -m harness demo --stack $(STACK)

# Silent recipe: stdout is serve's JSON line alone (`make serve > serve.json`). SERVE_ARGS="--port N".
serve: venv ## serve the emulator with STACK deployed; prints one JSON line when ready
	@$(PY) -m harness serve --stack $(STACK) $(SERVE_ARGS)

bench: venv ## the benchmarks (cost and latency per event)
	$(PY) -m benchmarks

# >= 10,000 events in micro-batches, 5% injected faults, 1% malformed, DLQ redriven, then the
# exactly-once accounting (exit 1 if anything is lost or duplicated). SOAK_ARGS="--seed 7" etc.
soak: venv ## >= 10,000 events under injected faults, then the accounting
	$(PY) -m harness soak $(SOAK_ARGS)

# One POST per event through the entry buffer, 8 clients; SOAK_ARGS="--rate 100 --fault-rate 0" etc.
soak-single: venv ## >= 10,000 single-event POSTs through the entry buffer, faults, latency, accounting
	$(PY) -m harness soak --mode single $(SOAK_ARGS)

# Re-resolve the pinned tree from pyproject.toml into requirements.lock.
lock: ## re-resolve requirements.lock from pyproject.toml
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --disable-pip-version-check '.[dev]'
	.lock-venv/bin/pip freeze --exclude activity-pipeline --exclude pip > requirements.lock
	rm -rf .lock-venv build *.egg-info

clean: ## remove .venv and the caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
