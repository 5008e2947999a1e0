PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/idcard-mock serve

test: $(STAMP)
	$(BIN)/ruff check mock_server tests bench contract_tests scripts
	$(BIN)/lint-imports
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/bench_server.py
	$(BIN)/python bench/bench_fixtures.py
	$(BIN)/python bench/bench_contract.py

clean:
	rm -rf $(VENV) build dist *.egg-info
