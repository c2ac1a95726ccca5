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

# the example backend in the background (stopped when this exits), caddy-py in the foreground
run: $(STAMP)
	$(BIN)/python -m caddy_py.examples.backend --listen 127.0.0.1:6081 & backend=$$!; \
	trap 'kill $$backend 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	$(BIN)/caddy-py run --config Caddyfile.example --adapter caddyfile

adapt: $(STAMP)
	$(BIN)/caddy-py adapt --config Caddyfile.example --pretty

# every benchmark, then the summary table in bench/RESULTS.md (needs wrk: apt-get install wrk)
bench: $(STAMP)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
