# Two commands set everything up: `make run` and `make test`.
# Packages come from the lock files (requirements.lock: runtime; requirements-dev.lock: runtime and
# dev tools), exact versions with hashes, installed by uv. Added or changed a dependency in
# pyproject.toml? `make lock`, then commit pyproject.toml and both lock files (DEVELOPERS.md).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
UV := $(BIN)/uv
# --compile-bytecode: without it the first `tierbot run` compiled on import and took 14 s instead of
# 5 s; uv compiles in parallel at install, so make run reached the console sooner overall (33 s vs 35-40 s).
UV_PIP := $(UV) pip install --quiet --compile-bytecode --python $(BIN)/python
# uv must use the venv's interpreter, never fetch a Python of its own.
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test lint unit bench lock lock-upgrade clean

# The venv without pip (`python3 -m venv` with pip took 13 s here, without it 0.3 s); the machine's
# own pip (22.3 or newer, for --python) puts uv into it, and uv installs everything else.
$(UV):
	test -x $(BIN)/python || $(PY) -m venv --without-pip $(VENV)
	$(PY) -m pip --python $(BIN)/python install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# `uv pip check` fails when pyproject.toml asks for something the lock does not have: run `make lock`.
$(VENV)/.installed-run: requirements.lock pyproject.toml | $(UV)
	$(UV_PIP) --require-hashes -r requirements.lock
	$(UV_PIP) --no-deps -e .
	$(UV) pip check --quiet --python $(BIN)/python || (echo "a dependency is not in the lock: make lock" && false)
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(UV)
	$(UV_PIP) --require-hashes -r requirements-dev.lock
	$(UV_PIP) --no-deps -e .
	$(UV) pip check --quiet --python $(BIN)/python || (echo "a dependency is not in the lock: make lock" && false)
	touch $@

# With no Slack credentials this opens the local console on the bundled sample data.
run: $(VENV)/.installed-run
	$(BIN)/tierbot run

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check bot handlers storage tests bench
	$(BIN)/mypy bot handlers storage
	$(BIN)/lint-imports

unit: $(VENV)/.installed-dev
	$(BIN)/pytest

test: lint unit

# Re-resolve after editing dependencies in pyproject.toml; versions already locked stay where they
# are unless the change needs otherwise (`make lock-upgrade` moves everything to the newest allowed).
# The dev lock is resolved first and the runtime lock within it, so the two never disagree.
LOCK := $(UV) pip compile pyproject.toml --quiet --universal --python-version 3.11 --generate-hashes \
	--no-emit-index-url --custom-compile-command "make lock"
lock: | $(UV)
	$(LOCK) $(LOCK_ARGS) --extra dev -o requirements-dev.lock
	$(LOCK) $(LOCK_ARGS) -c requirements-dev.lock -o requirements.lock

lock-upgrade:
	$(MAKE) lock LOCK_ARGS=--upgrade

# Each prints its numbers against its targets; tier_http, serve_setups need wrk (apt-get install wrk).
# Set TEST_DATABASE_URL to run the digest benchmarks on PostgreSQL too.
bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.tier_http
	$(BIN)/python -m bench.serve_setups
	$(BIN)/python -m bench.slow_clients
	$(BIN)/python -m bench.tier_match
	$(BIN)/python -m bench.import_accounts
	$(BIN)/python -m bench.import_memory
	$(BIN)/python -m bench.decisions
	$(BIN)/python -m bench.digest
	$(BIN)/python -m bench.scenarios
	$(BIN)/python -m bench.alerts

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
