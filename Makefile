# Convenience targets; the README's two commands do the same with nothing but Python and pip.
PYTHON ?= python3
VENV := .venv

.PHONY: demo test bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

demo: $(VENV)/bin/python
	$(VENV)/bin/pip install -q -e .
	$(VENV)/bin/tagline demo

test: $(VENV)/bin/python
	$(VENV)/bin/pip install -q -e '.[test,dask]'
	$(VENV)/bin/python -m pytest

bench: $(VENV)/bin/python
	$(VENV)/bin/python benchmarks/startup.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
