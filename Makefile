# PeerPath: the two commands of the README's quick start, and their building blocks.
#   make demo   install everything and start the dev LMS + the tool (SQLite)
#   make test   install everything and run the whole test suite (browser tests included)
# Set PEERPATH_TEST_DATABASE_URL=postgresql://... to run the suite on PostgreSQL.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install system-deps browser-deps lint bench clean

demo: install
	$(BIN)/peerpath demo

test: install browser-deps
	$(BIN)/ruff check .
	$(BIN)/pytest

install: system-deps $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

system-deps:
	scripts/install-system-deps

browser-deps: node_modules/axe-core/axe.min.js
	scripts/install-system-deps --with-browser

node_modules/axe-core/axe.min.js: package.json package-lock.json
	scripts/install-system-deps --with-browser
	npm ci --no-audit --no-fund --silent
	touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python bench/launch.py
	$(BIN)/python bench/content.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache
