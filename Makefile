PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test test-container fuzz bench screenshots clean

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
	@echo "make test: the container image test is left out (it builds the image): make test-container"

# Builds the image from the Containerfile and runs docs/container.md (podman, runc, mmdebstrap; root).
test-container: $(STAMP)
	IDCARD_MOCK_CONTAINER_TESTS=1 $(BIN)/pytest -q tests/container

# A long Schemathesis run (>= 5,000 cases, stateful phase included); figures in docs/fuzzing.md.
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzzing.run --max-examples 200

# The README's dashboard picture, taken by the browser test (needs Debian's chromium).
screenshots: $(STAMP)
	$(BIN)/pytest -q tests/test_dashboard_browser.py
	cp build/screenshots/requests-1280.png docs/dashboard.png

bench: $(STAMP)
	$(BIN)/python bench/bench_server.py
	$(BIN)/python bench/bench_serving_models.py
	$(BIN)/python bench/bench_fixtures.py
	$(BIN)/python bench/bench_contract.py

clean:
	rm -rf $(VENV) build dist *.egg-info
