# Two commands do all the set-up on a fresh machine: `make reproduce` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# torch goes in first so that the project's `torch>=2.6` never pulls a CUDA build onto a CPU machine.
TORCH  ?= torch==2.13.0
PROFILE ?= quick

.PHONY: install test reproduce retrain lab clean-runs

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml settings.ini
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name cmrnb --display-name "cmrnb" >/dev/null
	touch $@

# nbdev_test runs two notebooks at a time: one torch thread each keeps 2 cores from being oversubscribed.
test: install
	@# cmrnb/ must be what nbs/ export (in a git checkout: the export may not change the tree's status of cmrnb/)
	@if [ -d .git ]; then before=$$(git status --porcelain --untracked-files=all -- cmrnb); $(BIN)/nbdev_export; \
	  if [ "$$before" != "$$(git status --porcelain --untracked-files=all -- cmrnb)" ]; then \
	    echo "cmrnb/ differed from what nbs/ export: nbdev_export has now rewritten it; review and commit both"; exit 1; fi; fi
	OMP_NUM_THREADS=1 $(BIN)/nbdev_test --n_workers 2 --timing
	$(BIN)/pytest -q -n 2

reproduce: install
	$(BIN)/cmrnb reproduce --profile $(PROFILE)

# trains every shipped model (weights/) from scratch with its CPU recipe, then reproduces with them
retrain: install
	$(BIN)/cmrnb reproduce --profile $(PROFILE) --retrain

lab: install
	$(BIN)/jupyter lab --notebook-dir=nbs

clean-runs:
	rm -rf runs
