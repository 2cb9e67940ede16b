# The index of the course's tasks. Start with `make setup`, then `make test`.
PYTHON ?= python3
VENV   ?= .venv
# Set PY to an existing interpreter (e.g. PY=python3 on a GPU machine with torch preinstalled)
# to skip the virtual environment.
PY     ?= $(VENV)/bin/python
JOBS   ?= 2
SUBMISSIONS ?=
# Offline CIFAR-10 for notebook 07: an explicit COURSE_CIFAR10_DIR wins; otherwise use the shared sample
# beside the project when there is one (CI and the course's build machines).
COURSE_CIFAR10_DIR ?= $(wildcard $(abspath ../shared/data/cifar10-sample))
export COURSE_CIFAR10_DIR
OUT    ?= grades
# Set UNSANDBOXED=1 to grade without bubblewrap (the grader names the risk).
UNSANDBOXED ?=

.PHONY: help setup lab run test test-slow test-ui test-fast test-gpu notebooks outputs release test-release site test-site bench grade clean

help:            ## list the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

setup:           ## create .venv, install pinned requirements and the helpers package, register the kernel
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(VENV)/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (ipykernel)" >/dev/null
	$(VENV)/bin/python -m course kernelspec $(VENV)/share/jupyter/kernels/python3/kernel.json
	@echo "Setup done. Next: make test  (or make lab to open the notebooks)"

lab:             ## open JupyterLab on the student notebooks
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

run:             ## execute the whole course headless (FORM=notebooks for student copies, SMOKE=1 for quick parameters)
	$(PY) -m course run --form $(or $(FORM),solutions) $(if $(SMOKE),--smoke)

test:            ## the main suite: every notebook in both forms (nbval, papermill), helpers, checks, quizzes, grader
	OMP_NUM_THREADS=1 $(PY) -m pytest -n $(JOBS) --dist loadgroup -q -m "not slow"

test-slow:       ## the rest of CI's suite: every notebook with the papermill and nbconvert commands, grader stress tests
	OMP_NUM_THREADS=1 $(PY) -m pytest -n $(JOBS) --dist loadgroup -q -m slow

test-ui:         ## Run All of every student notebook in JupyterLab, in headless Chromium (screenshots in build/ui/)
	COURSE_UI=1 $(PY) -m pytest -q -p no:xdist tests/ui

test-fast:       ## unit tests only (no notebook execution)
	$(PY) -m pytest -q -m "not notebook"

test-gpu:        ## the notebook tests with device=cuda (needs an NVIDIA GPU; see README)
	@$(PY) -c "import torch, sys; ok = torch.cuda.is_available(); ok and print('GPU:', torch.cuda.get_device_name(0)); sys.exit(0 if ok else 'make test-gpu needs a CUDA GPU: torch.cuda.is_available() is False on this machine (torch ' + torch.__version__ + '). Run make test for the CPU suite.')"
	COURSE_TEST_DEVICE=cuda $(PY) -m pytest -q -m "not slow" tests/test_notebooks.py

notebooks:       ## regenerate the student notebooks from solutions/
	$(PY) -m course generate

outputs:         ## re-execute solutions/ on CPU, write their outputs back, regenerate notebooks/
	COURSE_DEVICE=cpu $(PY) -m course run --write-back
	$(PY) -m course generate

release:         ## build the class hand-out without answers: build/release/ and its zip
	$(PY) -m course release

test-release:    ## install the hand-out in a fresh venv, as a student would, and run every notebook there
	$(PY) -m course release
	$(PY) -m course check-release

site:            ## build the course website into build/site/ (offline; open build/site/index.html)
	$(PY) -m course.site build

test-site:       ## build the site and check every page in headless Chromium (screenshots in build/site-shots/)
	$(PY) -m course.site build
	COURSE_SITE=1 $(PY) -m pytest -q -p no:xdist tests/site

bench:           ## print speed and accuracy figures (CIFAR-10 training, grader throughput)
	$(PY) -m course bench

grade:           ## grade submissions: make grade SUBMISSIONS=dir [OUT=grades]
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=path/to/submissions [OUT=grades]"; exit 2; }
	$(PY) -m course grade "$(SUBMISSIONS)" --out "$(OUT)" -j $(JOBS) $(if $(UNSANDBOXED),--unsandboxed)

clean:           ## remove build outputs and caches (keeps .venv and data/)
	rm -rf build .pytest_cache
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
