# The two commands: `make run` and `make test`. Both set everything up first and are idempotent.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .make
PARTICIPANTS ?= 300
SECONDS ?= 20
WORKSHOPS ?= 1000
SEEDS ?= 200
MINUTES ?= 10

.PHONY: run test deps deps-test migrate screenshots bench-realtime bench-soak bench-backlog bench-export bench-grouping bench-sync-fuzz audit clean

run: deps migrate
	$(PY) app.py

test: deps-test
	$(PY) -m pytest

deps: $(STAMPS)/python $(STAMPS)/node
deps-test: deps $(STAMPS)/python-test

$(STAMPS)/python: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/python-test: $(STAMPS)/python pyproject.toml
	$(PY) -m pip install --quiet -e '.[test]'
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/node: package.json package-lock.json
	npm ci --no-audit --no-fund
	@mkdir -p $(STAMPS) && touch $@

migrate: deps
	$(VENV)/bin/flask --app app db-upgrade

bench-realtime: deps-test
	$(PY) benchmarks/realtime.py --participants $(PARTICIPANTS) --seconds $(SECONDS)

bench-soak: deps-test
	$(PY) benchmarks/soak.py --participants $(PARTICIPANTS) --minutes $(MINUTES)

bench-backlog: deps-test
	$(PY) benchmarks/backlog.py --workshops $(WORKSHOPS)

bench-export: deps-test
	$(PY) benchmarks/export.py --workshops $(WORKSHOPS)

bench-grouping: deps-test
	$(PY) benchmarks/grouping.py

bench-sync-fuzz: deps-test
	$(PY) benchmarks/sync_fuzz.py --seeds $(SEEDS)

screenshots: deps-test
	PUBLISH_SCREENSHOTS=1 $(PY) -m pytest tests/browser tests/test_export_print.py -q

audit: deps-test
	$(PY) .ci/audit.py

clean:
	rm -rf $(STAMPS) $(VENV) node_modules
