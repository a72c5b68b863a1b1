# Two commands for a fresh machine (see README): `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test setup index lint bench

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# the CPU build of PyTorch; without the pin pip would fetch a multi-GB CUDA build
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/confab run

test: $(STAMP)
	$(BIN)/python -m pytest -q

index: $(STAMP)
	$(BIN)/confab index

lint: $(STAMP)
	$(BIN)/ruff check bot agent tests bench
	$(BIN)/mypy bot agent

bench: $(STAMP)
	$(BIN)/python -m bench.pipeline
