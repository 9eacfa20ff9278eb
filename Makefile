# The two commands of the README:
#   make book   execute every notebook (cpu profile, reusing stored results), build the HTML book
#   make test   unit tests + smoke execution of every notebook, then a strict book build
# and `make test-offline`: the tests that read data once more as a fresh clone offline would
# (no data mirror; CI runs it after `make test`).
# Both create the virtual environment on first use. `make kernel` registers the Jupyter kernel
# "advnas"; `make lab` also installs JupyterLab (requirements-lab.txt) and opens the notebooks. Variables: PROFILE=smoke|cpu|paper,
# RECOMPUTE=1 (recompute stored results), WORKERS=N (the stored runs on a Dask LocalCluster of
# N processes first) or SCHEDULER=tcp://HOST:8786 (on an existing Dask cluster), VENV=path,
# PYTHON=interpreter for the venv (3.11 or newer).

PYTHON ?= python3
VENV ?= .venv
PROFILE ?= cpu
PY := $(VENV)/bin/python
STAMP := $(VENV)/.advnas-installed
RECOMPUTE_FLAG := $(if $(filter 1 yes true,$(RECOMPUTE)),--recompute,)
CLUSTER_FLAGS := $(if $(WORKERS),--workers $(WORKERS),) $(if $(SCHEDULER),--scheduler $(SCHEDULER),)

.PHONY: book test test-offline env clean kernel lab

# The pins need Python 3.11 or newer (numpy 2.4, pandas 3.1, matplotlib 3.11, ipykernel 7.4).
# Checked on the interpreter the environment will run: an existing venv's own, else $(PYTHON).
# make expands a recipe before running any of its lines, so a too-old interpreter stops it
# with one line before anything is created.
ENV_PYTHON = $(if $(wildcard $(PY)),$(PY),$(PYTHON))
PYTHON_INFO = $(shell $(ENV_PYTHON) -c 'import platform, sys; print(platform.python_version(), int(sys.version_info >= (3, 11)))' 2>/dev/null)
comma := ,
PYTHON_FIX = $(if $(wildcard $(PY)),remove $(VENV) or set VENV to a new folder$(comma) and set PYTHON=python3.11,set PYTHON=python3.11)
python_check = $(if $(filter 1,$(word 2,$(1))),,$(error advnas needs Python 3.11 or newer; $(ENV_PYTHON) \
	$(if $(1),is $(word 1,$(1)),could not be run) ($(PYTHON_FIX))))

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(call python_check,$(PYTHON_INFO))
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

book: $(STAMP)
	$(PY) -m advnas book --profile $(PROFILE) $(RECOMPUTE_FLAG) $(CLUSTER_FLAGS)

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest
	$(PY) -m advnas book --profile smoke --strict

# Without ADVNAS_DATA_DIR, with an empty data folder and scratch results and build folders (so
# that everything is computed afresh; the golden runs' cache is reused): the smoke notebooks of
# the chapters that read CIFAR-10 or PTB, the data layer and the shipped samples, the command-line
# search killed and resumed, and the fault tests. A few minutes on 2 cores. The smoke profile
# reads only the data shipped with advnas, so this passes on a fresh clone without network.
OFFLINE_TESTS := $(foreach nb,nb201 ptb zero_op dense,"tests/test_notebooks.py::test_smoke_execution[$(nb)]") \
	tests/test_samples.py tests/test_data.py tests/test_faults.py \
	"tests/test_nb201_search.py::test_command_line_search_killed_and_restarted_ends_as_uninterrupted"

test-offline: $(STAMP)
	@scratch="$$(mktemp -d)" && trap 'rm -rf "$$scratch"' EXIT && \
	env -u ADVNAS_DATA_DIR ADVNAS_PROJECT_DATA="$$scratch/data" ADVNAS_RESULTS_DIR="$$scratch/results" \
	  ADVNAS_BUILD_DIR="$$scratch/build" ADVNAS_BEHAVIOUR_CACHE="$(CURDIR)/build/behaviour-cache.json" \
	  $(PY) -m pytest -q -p no:cacheprovider $(OFFLINE_TESTS)

# The Jupyter kernel "advnas" runs this environment's Python, so `import advnas` works in any
# Jupyter front-end; `make lab` also installs JupyterLab and opens the notebooks.
kernel: $(STAMP)
	$(PY) -m ipykernel install --user --name advnas --display-name "Python (advnas)"

lab: kernel
	$(PY) -m pip install --quiet -r requirements-lab.txt
	$(VENV)/bin/jupyter lab notebooks/

clean:
	rm -rf build
