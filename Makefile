# The two set-up commands of the README: `make demo` and `make test`.
# Each creates .venv when it is missing and installs the package (editable, with the test extra).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.neurocompare-installed
DATA_DIR ?= $(abspath ../shared/data)

.PHONY: demo test test-all install benchmark clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/neurocompare demo --out neurocompare-demo

test: $(STAMP)
	NEUROCOMPARE_DATA_DIR="$${NEUROCOMPARE_DATA_DIR:-$(DATA_DIR)}" $(PY) -m pytest

# Everything, the slow tests included (not part of `make test`).
test-all: $(STAMP)
	NEUROCOMPARE_DATA_DIR="$${NEUROCOMPARE_DATA_DIR:-$(DATA_DIR)}" $(PY) -m pytest -m ""

benchmark: $(STAMP)
	$(PY) benchmarks/extraction.py

clean:
	rm -rf $(VENV) neurocompare-demo .pytest_cache
