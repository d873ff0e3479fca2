# Everything starts from here on a fresh machine with only Python 3.11+ and pip: each target creates .venv,
# installs the pinned requirements and starts the services it needs (embedded PostgreSQL from pip).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
RESULTS := reports

.PHONY: install test lint unit acceptance report verify run migrate bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check .

unit: $(STAMP)
	$(PY) -m pytest

# The acceptance suite: BASE_URL set → verify that live URL; unset → rehearse production locally first.
acceptance: $(STAMP)
	$(PY) -m behave

# The audit report, generated from the suite's results in $(RESULTS)/.
report: $(STAMP)
	$(PY) -m audit

# The main job: acceptance suite, then the report (written even when the suite failed); fails if either failed.
verify: $(STAMP)
	@status=0; $(MAKE) --no-print-directory acceptance || status=$$?; \
	$(MAKE) --no-print-directory report || status=$$?; exit $$status

test: lint unit acceptance

run: $(STAMP)
	$(PY) -m backend.local.dev

migrate: $(STAMP)
	$(PY) -m alembic upgrade head

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .data $(RESULTS) .pytest_cache .ruff_cache
