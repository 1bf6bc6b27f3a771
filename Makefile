# Vivold: `make run` serves the site, `make test` runs the suite, `make bench` measures,
# `make stack-test` boots the docker-compose stack and checks it end to end.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt constraints.txt | cksum | cut -d' ' -f1)
PORT ?= 8000
# The Nu HTML Checker for the page-quality tests, from npm (its own install script is not run: Java is the machine's).
VNU_VERSION := 26.9.27
VNU_STAMP := var/node/.vnu-jar-$(VNU_VERSION)

.PHONY: run test bench lint format worker clean frontcache stack-test

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit("Vivold needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

run: $(STAMP)
	@PORT=$(PORT) PY=$(PY) scripts/run.sh

test: $(STAMP) $(VNU_STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

$(VNU_STAMP):
	@if command -v npm >/dev/null; then \
	  npm install --prefix var/node --no-save --no-package-lock --ignore-scripts --no-audit --no-fund --loglevel error vnu-jar@$(VNU_VERSION) \
	  && rm -f var/node/.vnu-jar-* && touch $@; \
	else echo "npm not found: the HTML checker tests will be skipped"; fi

# Varnish in front of the web server (FRONT_PORT, default 6081; BACKEND, default 127.0.0.1:8000).
frontcache:
	@deploy/varnish/start.sh

bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# Needs a Docker engine and compose; STACK_IMAGES=public builds on the registry's images.
stack-test:
	$(PYTHON) deploy/stack_test.py

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
