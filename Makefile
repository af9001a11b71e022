# Two commands on a fresh clone:  `make run` (serve the demo)  and  `make test`.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app wsgi
HOST    ?= 127.0.0.1
PORT    ?= 5000
# Debian packages the app and its tests need: WeasyPrint's Pango/HarfBuzz (subset = 4x faster
# PDFs), fonts, graphviz (flow diagrams), Chromium + libatomic1 for Playwright (never `playwright install`), poppler.
APT_RUN  := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-dejavu-extra graphviz
APT_TEST := chromium libatomic1 poppler-utils

MO       := web/translations/en/LC_MESSAGES/messages.mo

.PHONY: run test test-pg test-api install system-deps system-deps-test lint lint-imports bench lock clean translations

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -c requirements.lock -e '.[dev]'
	touch $@

install: $(VENV)/.installed $(MO)

# English catalog of the Indonesian interface (compiled here, never committed).
$(MO): web/translations/en/LC_MESSAGES/messages.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d web/translations

# After changing user-facing text: re-extract and merge, then translate the new entries.
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel extract --no-location --sort-output -F babel.cfg -k _l -k lazy_gettext -o web/translations/messages.pot .
	$(VENV)/bin/pybabel update --ignore-obsolete -i web/translations/messages.pot -d web/translations

# Install missing Debian packages (root, or sudo if available).
define ensure_apt
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null \
	  | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Memasang paket Debian / installing Debian packages:" $$missing; \
	  SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
endef

system-deps:
	$(call ensure_apt,$(APT_RUN))

system-deps-test:
	$(call ensure_apt,$(APT_RUN) $(APT_TEST))

instance/secret_key:
	@mkdir -p instance
	@$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(48))" > $@
	@chmod 600 $@

# The address printed on documents and slips (production refuses to start without it).
# One command, two processes: a queue worker (exports, period openings, the deadline runner;
# web/tasks.py) in the background, stopped with the web server.
run: export PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
run: install system-deps instance/secret_key
	$(FLASK) init-db
	$(FLASK) demo
	@$(FLASK) worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(FLASK) run --host $(HOST) --port $(PORT)

# pytest-xdist workers (tests/xdist_scheduling.py says how the suite is shared among them).
TEST_WORKERS ?= 2

test: install system-deps-test
	$(VENV)/bin/pytest -q -n $(TEST_WORKERS)

# The whole suite against PostgreSQL (CI runs this too): TEST_DATABASE_URL=postgresql://…
test-pg: install system-deps-test
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://root@127.0.0.1:5432/test} \
		$(VENV)/bin/pytest -q -n $(TEST_WORKERS)

# The JSON API against its served OpenAPI document (schemathesis: fixed seed, bounded examples,
# tokens of several roles; tests/contract). `make test` leaves it out; CI runs it after.
test-api: install
	$(VENV)/bin/pytest -q -n0 -m contract tests/contract

# Static checks, run by CI before the tests: ruff, mypy (pyproject.toml says what and how
# strictly), then import-linter's layer contracts.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# The layer contracts of pyproject.toml [tool.importlinter] (docs/architecture.md).
lint-imports: install
	$(VENV)/bin/lint-imports

bench: install system-deps
	$(PY) bench/engine.py
	$(PY) bench/open_period.py
	$(PY) bench/pdf.py

lock: install
	{ echo "# Exact versions verified together (pip constraints). Regenerate: make lock"; \
	  $(VENV)/bin/pip freeze --exclude-editable; } > requirements.lock

clean:
	rm -rf $(VENV) instance/penilaian.sqlite* test-artifacts
