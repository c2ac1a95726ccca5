# `make test` and `make run` set themselves up: a .venv with the project and its test extras.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: test run adapt bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

run: $(STAMP)
	$(BIN)/caddy-py adapt --config Caddyfile.example --pretty

adapt: $(STAMP)
	$(BIN)/caddy-py adapt --config Caddyfile.example --pretty

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
