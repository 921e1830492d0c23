# gankit — every target works on a fresh clone: each depends on the virtual environment.
PY      := .venv/bin/python
GANKIT  := .venv/bin/gankit
STAMP   := .venv/.installed
DEMO    ?= runs/demo
PYTEST_ARGS ?=
# Tests run on one worker per core (pytest-xdist); tests that share a trained run are grouped.
PYTEST_WORKERS ?= auto

.PHONY: setup demo test test-fast bench bench-modes lint figures clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv .venv
	$(PY) -m pip install --quiet -e '.[test]'
	@# Fashion-MNIST comes from Debian; install it when we can (root, apt), else the demo falls back.
	@if [ ! -d /usr/share/datasets/fashion-mnist ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist) >/dev/null 2>&1 \
	  || echo "setup: could not install dataset-fashion-mnist; demo and tests fall back to digits"; fi
	@# Chromium renders `gankit report` pages in the tests; without it that one test skips, saying why.
	@if ! command -v chromium >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
	  || echo "setup: could not install chromium; the report's browser test will skip"; fi
	@# Real colour images for the folder tests and the bench: 3,786 Twemoji PNGs (CC-BY 4.0) from npm.
	@if command -v npm >/dev/null; then $(GANKIT) datasets --fetch emoji-twitter >/dev/null 2>&1 \
	  || echo "setup: could not fetch emoji-twitter with npm; tests on a real image folder will skip"; \
	  else echo "setup: no npm; tests on a real image folder will skip (apt-get install npm)"; fi
	touch $(STAMP)

demo: setup
	$(PY) -m gankit.demo --out $(DEMO)   # ends by printing the path of RUN/report.html

test: setup
	@# pytest exits 5 when it collects no test: that is a failure here, never a silent pass.
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

test-fast: setup
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup -m 'not slow' $(PYTEST_ARGS)

bench: setup
	$(PY) -m gankit.bench --out BENCHMARKS.md

bench-modes: setup
	$(GANKIT) bench modes --runs runs/bench-modes --jobs $$(nproc)

figures: setup
	$(PY) -m gankit.paper.docs_figures

lint: setup
	$(PY) -m compileall -q src tests

clean:
	rm -rf .venv runs build dist src/*.egg-info
