# Two commands on a fresh machine: `make run` and `make test`. Everything else is set up on demand.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup sysdeps run test test-fast bench lint models clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@bash tools/find-python.sh >/dev/null || { bash tools/find-python.sh; exit 2; }
	@test -x $(PY) || $$(bash tools/find-python.sh) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

sysdeps:
	@bash tools/sysdeps.sh

run: setup sysdeps
	@bash tools/run-demo.sh

test: setup sysdeps
	$(VENV)/bin/pytest

# the daily tier: no window, no broker, nothing slow (under two minutes)
test-fast: setup sysdeps
	$(VENV)/bin/pytest -m "not gui and not broker and not slow"

bench: setup sysdeps
	@if [ -n "$${DISPLAY:-}" ]; then $(PY) bench/bench_scene.py && $(PY) bench/bench_live.py && $(PY) bench/bench_shell.py && $(PY) bench/bench_placement.py && $(PY) bench/bench_shared.py; \
	else xvfb-run -a -s "-screen 0 1920x1080x24" sh -c '$(PY) bench/bench_scene.py && $(PY) bench/bench_live.py && $(PY) bench/bench_shell.py && $(PY) bench/bench_placement.py && $(PY) bench/bench_shared.py'; fi

lint: setup
	$(VENV)/bin/ruff check twin tests bench models tools app.py
	$(VENV)/bin/ruff format --check twin tests bench models tools app.py
	$(VENV)/bin/lint-imports

models: setup
	$(PY) models/make_models.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build *.egg-info
