# The two commands of the README:
#   make book   execute every notebook (cpu profile, reusing stored results), build the HTML book
#   make test   unit tests + smoke execution of every notebook, then a strict book build
# Both create the virtual environment on first use. `make kernel` registers the Jupyter kernel
# "advnas"; `make lab` also installs JupyterLab (requirements-lab.txt) and opens the notebooks. Variables: PROFILE=smoke|cpu|paper,
# RECOMPUTE=1 (recompute stored results), WORKERS=N (the stored runs on a Dask LocalCluster of
# N processes first) or SCHEDULER=tcp://HOST:8786 (on an existing Dask cluster), VENV=path,
# PYTHON=interpreter for the venv.

PYTHON ?= python3
VENV ?= .venv
PROFILE ?= cpu
PY := $(VENV)/bin/python
STAMP := $(VENV)/.advnas-installed
RECOMPUTE_FLAG := $(if $(filter 1 yes true,$(RECOMPUTE)),--recompute,)
CLUSTER_FLAGS := $(if $(WORKERS),--workers $(WORKERS),) $(if $(SCHEDULER),--scheduler $(SCHEDULER),)

.PHONY: book test env clean kernel lab

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

book: $(STAMP)
	$(PY) -m advnas book --profile $(PROFILE) $(RECOMPUTE_FLAG) $(CLUSTER_FLAGS)

test: $(STAMP)
	$(PY) -m pytest
	$(PY) -m advnas book --profile smoke --strict

# The Jupyter kernel "advnas" runs this environment's Python, so `import advnas` works in any
# Jupyter front-end; `make lab` also installs JupyterLab and opens the notebooks.
kernel: $(STAMP)
	$(PY) -m ipykernel install --user --name advnas --display-name "Python (advnas)"

lab: kernel
	$(PY) -m pip install --quiet -r requirements-lab.txt
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf build
