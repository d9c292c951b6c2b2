# Two commands set everything up: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint unit bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# With no Slack credentials this opens the local console on the bundled sample data.
run: $(STAMP)
	$(BIN)/tierbot run

lint: $(STAMP)
	$(BIN)/ruff check bot handlers storage tests bench
	$(BIN)/mypy bot handlers storage
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest

test: lint unit

# Each prints its numbers against its targets; tier_http needs wrk (apt-get install wrk).
# Set TEST_DATABASE_URL to run the digest benchmarks on PostgreSQL too.
bench: $(STAMP)
	$(BIN)/python -m bench.tier_http
	$(BIN)/python -m bench.import_accounts
	$(BIN)/python -m bench.decisions
	$(BIN)/python -m bench.digest

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
