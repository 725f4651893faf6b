# The quick start is two commands: `make demo` (sets everything up, then runs the main job) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# llama.cpp build flags measured on 2-core x86-64 machines: the default OpenMP build collapsed to 1-3 tok/s at
# times with 2 threads, this portable AVX2 build did not (other CPUs: override LLAMA_CMAKE_ARGS, or set it empty).
LLAMA_CMAKE_ARGS ?= -DGGML_OPENMP=OFF -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

LOCK_OPTIONS := --quiet --strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: setup demo test lint lock bench clean

setup: $(VENV)/.ready

# Everything a contributor and CI need, at the versions tested (requirements/dev.lock), then the package itself.
$(VENV)/.ready: pyproject.toml requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@echo "installing (llama-cpp-python compiles llama.cpp: about 5 minutes the first time)"
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet -r requirements/dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/idealprompt models install
	touch $@

# The main job: IDEAL on a shipped example task with the embedded models, printing seed vs optimised scores.
demo: setup
	$(BIN)/idealprompt optimize examples/sports_understanding.yaml --budget 300 --out runs/quickstart --force

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The lock files, after a change of pyproject's dependencies: everything (dev.lock), and without the embedded
# extra (test.lock, what CI's library install uses).
lock: setup
	$(BIN)/pip-compile $(LOCK_OPTIONS) --extra embedded --extra test --extra dev --extra server --extra ray --extra postgres --extra train -o requirements/dev.lock pyproject.toml
	$(BIN)/pip-compile $(LOCK_OPTIONS) --extra test -o requirements/test.lock pyproject.toml

bench: setup
	$(BIN)/python bench/models.py
	$(BIN)/python bench/memory.py
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/warmup.py
	$(BIN)/python bench/optimize.py
	$(BIN)/python bench/style.py

clean:
	rm -rf $(VENV)
