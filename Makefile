# Two commands matter: `make run` and `make test` (see README). Both set up what they need:
# a .venv, the pinned requirements, compiled Thai translations. Stamps in .venv make a second
# run skip installation until a requirements file changes.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MO := locale/th/LC_MESSAGES/django.mo
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

# Debian packages the tests use: xmlsec1 cross-checks our XML signatures; chromium is the
# browser Playwright drives in tests/ui (Playwright cannot download its own browsers here) and
# fonts-thai-tlwg gives it, and the receiving stamp on PDFs, Thai fonts (docs/ui.md).
SYSTEM_PACKAGES := xmlsec1 chromium fonts-thai-tlwg curl

.PHONY: run test lint setup translations system-packages clean

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	@# Debian's python3 lacks ensurepip unless python3-venv is installed: fall back to PyPI's pip.
	$(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV) && $(PYTHON) -m venv --without-pip $(VENV) && $(PY) tools/bootstrap_pip.py; }

$(VENV)/.runtime-installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt $(VENV)/.runtime-installed
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(MO): locale/th/LC_MESSAGES/django.po $(VENV)/.runtime-installed
	$(PY) -m config.compile_translations

translations: $(MO)

setup: $(VENV)/.runtime-installed $(MO)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo

run: setup
	@echo
	@echo "  Saraban Exchange Hub: http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "  Sign in with one of the demo logins above. Ctrl-C stops the web server, worker and beat."
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile

system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; \
	  else echo "Install the Debian packages:$$missing (as root: apt-get install$$missing)"; exit 1; fi; \
	  echo "Installing Debian packages:$$missing"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

test: system-packages $(VENV)/.dev-installed $(MO)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

clean:
	rm -rf var/test
