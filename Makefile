# The two set-up commands of the README: `make demo` and `make test`.
# Each creates .venv when it is missing and installs the package (editable, with the test extra).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.neurocompare-installed
DOCS_STAMP := $(VENV)/.neurocompare-docs-installed
DATA_DIR ?= $(abspath ../shared/data)

.PHONY: demo test test-all install benchmark docs clean

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

# The docs site (Sphinx, MyST, numpydoc, pydata-sphinx-theme) into docs/_build/html; every warning is an error.
$(DOCS_STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -e ".[test,docs]"
	@touch $(DOCS_STAMP) $(STAMP)

docs: $(DOCS_STAMP)
	MPLBACKEND=Agg $(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

benchmark: $(STAMP)
	$(PY) benchmarks/extraction.py

clean:
	rm -rf $(VENV) neurocompare-demo .pytest_cache docs/_build docs/generated
