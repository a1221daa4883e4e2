# Two commands on a fresh machine (Python 3.11+ and make):
#   make demo   install, build the demo county (SQLite), serve it with gunicorn on http://127.0.0.1:8000
#   make test   install with the test tools, run the whole test suite (set DATABASE_URL for PostgreSQL)
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: demo test install install-dev browser lint messages clean

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install -q "uv==$(UV_VERSION)"

install: $(if $(findstring .tools,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --no-dev
	$(VENV)/bin/linli compilemessages

install-dev: $(if $(findstring .tools,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen
	$(VENV)/bin/linli compilemessages

demo: install
	$(VENV)/bin/linli demo

# Browser tests drive Debian's Chromium; install it (and CJK fonts) when missing and we may.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
	  else echo "Browser tests need Debian's chromium: sudo apt-get install chromium fonts-noto-cjk"; exit 1; fi; fi

test: install-dev browser
	$(VENV)/bin/pytest

lint: install-dev
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .tools var artifacts
