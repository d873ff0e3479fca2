# Everything starts from here on a fresh machine with only Python 3.11+ and pip: each target creates .venv,
# installs the pinned requirements and starts the services it needs (embedded PostgreSQL from pip).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
RESULTS := reports

.PHONY: install pgbouncer tls-edge test lint unit fuzz acceptance mutation report verify run token migrate bench clean node-deps better-auth railway-types

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check .

unit: $(STAMP)
	$(PY) -m pytest

# Schemathesis against the development app's OpenAPI (also run by `unit`; ADR 0017). FUZZ_SEED=<seed> replays.
fuzz: $(STAMP)
	$(PY) -m pytest -q tests/backend/test_fuzz.py

# The acceptance suite: BASE_URL set → verify that live URL; unset → rehearse production locally first.
# Results of an earlier run are removed first: a run that stops before writing any must not leave them behind.
acceptance: $(STAMP)
	@rm -rf $(RESULTS)/behave.json $(RESULTS)/run.json $(RESULTS)/junit
	@$(PY) -m behave

# Verification power: the live-safe suite against the real app broken by each named fault (tests/mutation/);
# fails on a surviving fault or a false alarm on the unbroken app. Writes $(RESULTS)/mutation.json for the report.
mutation: $(STAMP)
	$(PY) -m tests.mutation

# The audit report, generated from the suite's results into $(RESULTS)/ (ignored by git: no tracked file changes).
report: $(STAMP)
	@$(PY) -m audit

# The main job: acceptance suite, then the report (written even when the suite failed); fails if either failed.
verify: $(STAMP)
	@status=0; $(MAKE) --no-print-directory acceptance || status=$$?; \
	$(MAKE) --no-print-directory report || status=$$?; exit $$status

# Debian's pgbouncer for the tests that need it, installed when this user may (root, or sudo without a password);
# otherwise one line says how to enable them, and they are skipped.
pgbouncer: $(STAMP)
	@$(PY) -m backend.local.pgbouncer install

# Debian's haproxy: the rehearsal's TLS edge (backend/local/tls_edge.py), installed the same way; without it the
# rehearsal serves plain HTTP and its run record says so.
tls-edge: $(STAMP)
	@$(PY) -m backend.local.tls_edge install

test: pgbouncer tls-edge lint node-deps unit acceptance mutation

# Node checks (a real Better Auth server; Railway's SDK types): `npm ci` from the committed lockfiles, again only
# when a lockfile changed. Without npm the checks skip themselves with one line each (tests/node_projects.py).
NODE_PROJECTS := integration/better-auth .railway
node-deps:
	@if ! command -v npm >/dev/null 2>&1; then echo "npm not found: Better Auth and Railway SDK checks will be skipped"; \
	else for dir in $(NODE_PROJECTS); do [ $$dir/node_modules/.ci-done -nt $$dir/package-lock.json ] || \
	  { npm ci --prefix $$dir --no-audit --no-fund --loglevel=error && touch $$dir/node_modules/.ci-done; } || exit 1; \
	done; fi

# A real Better Auth signs users up; the backend must accept its tokens for their own tasks only (ADR 0007).
better-auth: $(STAMP) node-deps
	$(PY) -m pytest -q tests/backend/test_better_auth.py

# .railway/railway.ts type-checked against Railway's own SDK (ADR 0014).
railway-types: $(STAMP) node-deps
	$(PY) -m pytest -q tests/audit/test_railway_sdk.py tests/audit/test_railway_iac.py

run: $(STAMP)
	$(PY) -m backend.local.dev

# A token the `make run` server accepts (valid 24 h, across reloads and restarts): make token USER=alice
token: $(STAMP)
	@$(PY) -m backend.local.dev token "$(USER)"

migrate: $(STAMP)
	$(PY) -m alembic upgrade head

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .data $(RESULTS) .pytest_cache .ruff_cache .hypothesis
