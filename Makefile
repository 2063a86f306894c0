# Two commands on a fresh machine: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The shared corpus beside the clone; override with NCMEC_MIRROR=... or MIRROR=...
MIRROR ?= $(or $(NCMEC_MIRROR),$(wildcard ../shared/ncmec))

.PHONY: run test stress bench clean compile

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(MAKE) --no-print-directory compile
	touch $(STAMP)

# The package's modules byte-compiled, as pip compiles an installed package (an editable install
# is not; with PYTHONDONTWRITEBYTECODE set, every run would compile them again). A module edited
# since is compiled afresh in memory: never stale.
compile:
	@$(VENV)/bin/python -m compileall -q pipeline

# Exit code 3 means "partial" (documents missing from the mirror); it is reported, not an error.
run: $(STAMP)
	@$(BIN)/ncmec-pipeline run $(if $(MIRROR),--mirror $(MIRROR)); rc=$$?; \
	if [ $$rc -eq 3 ]; then echo "partial run: see the missing/failed documents above"; \
	elif [ $$rc -ne 0 ]; then exit $$rc; fi

test: $(STAMP)
	NCMEC_MIRROR=$(MIRROR) $(BIN)/python -m pytest

# SIGKILL of `run` at 20 seeded random moments; a few minutes, so apart from `make test` (CI runs both).
stress: $(STAMP)
	NCMEC_MIRROR=$(MIRROR) $(BIN)/python -m pytest -m stress tests/test_stress.py

clean:
	rm -rf $(VENV) data/processed/*.parquet data/cache data/state

bench: $(STAMP) compile
	$(BIN)/python bench/bench.py $(if $(MIRROR),--mirror $(MIRROR)) $(if $(REFERENCE),--reference $(REFERENCE))
