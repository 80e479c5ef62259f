# The two commands: `make serve` and `make test`. Both are idempotent and work on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
VENDOR := src/coursehost/static/vendor

.PHONY: serve test test-js deps test-deps npm-deps chromium worker bench bench-runtime conformance-scorm2004 conformance-lrs conformance-cmi5 conformance-packages lint clean

serve: deps
	$(BIN)/coursehost serve

worker: deps
	$(BIN)/coursehost worker

# pytest-xdist is installed; the suite runs in one process by default. `make test PYTEST_XDIST="-n auto --dist
# worksteal"` runs it on one worker per core (each worker has its own SQLite files, PostgreSQL databases, live
# servers and browser): measured on this 2-core machine, 21 m 39 s of pytest against ~32 m in one process, but two
# browsers and two servers at once made one timing-sensitive browser test fail once (docs/PERFORMANCE.md "The test
# suite's wall time"), so CI stays in one process until those waits are made robust to load.
PYTEST_XDIST ?= -n0

test: lint chromium test-js
	$(BIN)/pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

# ruff (configured in pyproject.toml) and the import-linter contracts; `make test` runs it first.
lint: test-deps
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

# The player's JavaScript modules with Node's built-in runner, on the real scorm-again dist.
test-js: npm-deps
	node --test tests/js/

deps: $(VENV)/.deps-installed npm-deps

test-deps: $(VENV)/.test-deps-installed npm-deps

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.deps-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-deps-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.deps-installed

npm-deps: $(VENDOR)/.installed

$(VENDOR)/.installed: package.json package-lock.json
	# --omit=optional: pdfjs-dist's optional @napi-rs/canvas (35 MB, native) is for Node; we serve the browser build
	SCARF_ANALYTICS=false npm ci --omit=optional --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)/scorm-again
	cp node_modules/scorm-again/dist/*.min.js $(VENDOR)/scorm-again/
	mkdir -p $(VENDOR)/swagger-ui
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
	   node_modules/swagger-ui-dist/favicon-32x32.png $(VENDOR)/swagger-ui/
	# pdf.js for the media viewer (static/player/media-viewer.js): the library and its worker as .js (a
	# JavaScript type whatever the platform's table says of .mjs), fonts, character maps and decoders.
	rm -rf $(VENDOR)/pdfjs && mkdir -p $(VENDOR)/pdfjs
	cp node_modules/pdfjs-dist/build/pdf.min.mjs $(VENDOR)/pdfjs/pdf.min.js
	cp node_modules/pdfjs-dist/build/pdf.worker.min.mjs $(VENDOR)/pdfjs/pdf.worker.min.js
	cp node_modules/pdfjs-dist/LICENSE $(VENDOR)/pdfjs/
	cp -r node_modules/pdfjs-dist/standard_fonts node_modules/pdfjs-dist/cmaps node_modules/pdfjs-dist/wasm \
	   node_modules/pdfjs-dist/iccs $(VENDOR)/pdfjs/
	# htmx for the console's pages (progressive enhancement: every page works without it); axe-core
	# is for the browser tests only (tests/console/support.py injects it from node_modules), never served.
	mkdir -p $(VENDOR)/htmx
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	# Chart.js for the console's charts (each chart also has its numbers in a table beside it)
	mkdir -p $(VENDOR)/chartjs
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/LICENSE.md $(VENDOR)/chartjs/
	touch $@

# Browser tests use Debian's Chromium; Playwright's own browser download is not possible here.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

bench: test-deps
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing Debian's wrk"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }
	$(BIN)/python bench/ping.py

# AICC HACP PutParam and cmi5 statement POSTs against SCORM commits, 200 learners each (docs/PERFORMANCE.md)
bench-runtime: test-deps
	$(BIN)/python bench/runtime.py

conformance-scorm2004: test-deps
	$(BIN)/python -m tests.conformance.scorm2004

# ADL's LRS suite, cloned and npm-installed outside the tree: COURSEHOST_LRS_SUITE=/path/to/suite
conformance-lrs: test-deps
	$(BIN)/python -m tests.conformance.lrs

# ADL's CATAPULT LMS test suite (cmi5), the lts/ folder of a CATAPULT checkout kept outside the tree:
# COURSEHOST_CATAPULT_LTS=/path/to/CATAPULT/lts. It is copied to COURSEHOST_CATAPULT_LTS_WORK
# (default /tmp/coursehost-catapult-lts), npm-installed and its packages built there when not yet done;
# Debian's Chromium drives the AUs. CMI5_ARGS passes e.g. --database-url.
conformance-cmi5: test-deps chromium
	$(BIN)/python -m tests.conformance.cmi5 $(CMI5_ARGS)

# Real packages from public repositories played in Chromium through launch links: checkouts kept outside
# the tree, named by COURSEHOST_CATAPULT, COURSEHOST_TINCAN_PROTOTYPES, COURSEHOST_TINCANJS and
# COURSEHOST_ELEARNING_MODULE_PARSER (tests/conformance/packages/conftest.py).
conformance-packages: test-deps chromium
	COURSEHOST_CONFORMANCE_PACKAGES=1 $(BIN)/pytest tests/conformance/packages $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules $(VENDOR) build *.egg-info src/*.egg-info
