PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
SIMULATOR_PORT ?= 8001
# Jobs in the AK/SK demo tenant's project (the IAM token tenant's has 300 and the showcase).
DEMO_EXTRA_PROJECT_JOBS ?= 150

.PHONY: venv run ready screenshots test test-outbound test-prod lint format bench soak serve worker beat

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

# The demo tenants point at the simulator on loopback: custom endpoints must be allowed.
# The development credential-key warning is said once, in the ready block, not by each of the
# five Python processes below.
KEY_WARNING := DASHBOARD_CREDENTIAL_KEYS is not set
run: export DRS_ALLOW_CUSTOM_ENDPOINTS ?= 1
# Links in notifications point at this dashboard, on whatever PORT it runs.
run: export DASHBOARD_BASE_URL ?= http://127.0.0.1:$(PORT)
# The terminal shows notifications and problems, not a line per page request or DRS call.
run: export REQUEST_LOG_LEVEL ?= WARNING
run: export DRS_CALL_LOG_LEVEL ?= WARNING
run: export NOTIFY_ALLOW_PRIVATE_TARGETS = 1
run: export PYTHONWARNINGS = ignore:$(KEY_WARNING)
run: venv
	@$(PY) manage.py migrate --noinput -v0
	@# --log-channel: notifications without an external service, a channel per demo tenant
	@# that writes one line per message to this terminal.
	@$(PY) manage.py demo --simulator-url http://127.0.0.1:$(SIMULATOR_PORT) --log-channel >/dev/null
	@# Notifications without an external service: a channel that writes to this terminal.
	@$(PY) manage.py drs_simulator --port $(SIMULATOR_PORT) --quiet \
		--extra-project-jobs $(DEMO_EXTRA_PROJECT_JOBS) & sim=$$!; \
	$(PY) manage.py sync --loop & sync=$$!; \
	trap 'kill $$sim $$sync $$ready 2>/dev/null' EXIT INT TERM; \
	{ until $(PY) -c "import socket as s; [s.create_connection(('127.0.0.1', p), 1).close() for p in ($(PORT), $(SIMULATOR_PORT))]" 2>/dev/null; \
	  do sleep 0.3; done; $(MAKE) -s ready; } & ready=$$!; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Printed by `make run` once both servers listen.
ready:
	@echo ""
	@echo "================================ ready ================================"
	@echo "Dashboard:  http://127.0.0.1:$(PORT)/"
	@echo "Sign in as  demo (superuser), admin, operator or viewer; password $${DEMO_PASSWORD:-drs-demo-2026}"
	@echo "Simulator:  http://127.0.0.1:$(SIMULATOR_PORT)/_sim/state  (the demo tenants' DRS)"
	@echo "Start a live job (runs 2 minutes, then fails; use SUCCESS to succeed):"
	@echo "  curl -s -X POST http://127.0.0.1:$(SIMULATOR_PORT)/_sim/jobs -H 'Content-Type: application/json' -d '{\"duration_seconds\": 120, \"outcome\": \"FAILED\", \"name\": \"my-first-job\"}'"
	@[ -n "$$DASHBOARD_CREDENTIAL_KEYS" ] || echo "Warning:    $(KEY_WARNING): tenant credentials are encrypted with a key derived from the development secret key. Never run like this in production."
	@echo "Stop with Ctrl-C."
	@echo "======================================================================="

# pytest exits 5 when it collected no test: that is a failure here too.
test: venv
	$(PY) -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

# Every page at desktop and phone width, light and dark, into screenshots/ (ignored by git).
# Needs /usr/bin/chromium, like the browser tests it reuses (the simulator, a synced tenant).
SCREENSHOTS_DIR ?= screenshots
screenshots: venv
	rm -rf $(SCREENSHOTS_DIR)
	SCREENSHOTS=$(abspath $(SCREENSHOTS_DIR)) $(PY) -m pytest tests/browser/test_every_page.py \
		-k screenshots -q -p no:cacheprovider
	@echo "$$(ls $(SCREENSHOTS_DIR)/*.png | wc -l) screenshots in $(SCREENSHOTS_DIR)/"

# The hostile-outbound suite again, inside a network namespace of its own with only loopback up
# (needs root or user namespaces): whatever a test gets wrong, no packet can leave the machine.
test-outbound: venv
	unshare --net sh -c 'ip link set lo up && $(PY) -m pytest tests/upstream/outbound -q -p no:cacheprovider'

# The same suite on the production stack. Defaults match what .ci/run starts.
PROD_DATABASE_URL ?= postgres://drs:drs@127.0.0.1:5432/drs
PROD_REDIS_URL ?= redis://127.0.0.1:6379/1
test-prod: venv
	@$(PY) -c "import psycopg, psycopg.conninfo as c; psycopg.connect(c.make_conninfo('$(PROD_DATABASE_URL)', dbname='postgres')).close()" \
		|| { echo "PostgreSQL is not reachable at $(PROD_DATABASE_URL) (see .ci/services)"; exit 1; }
	@$(PY) -c "import redis; redis.Redis.from_url('$(PROD_REDIS_URL)').ping()" \
		|| { echo "Redis is not reachable at $(PROD_REDIS_URL) (see .ci/services)"; exit 1; }
	DATABASE_URL=$(PROD_DATABASE_URL) REDIS_URL=$(PROD_REDIS_URL) $(PY) -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

# Production-like on this machine (needs DJANGO_SECRET_KEY, REDIS_URL etc., see README): web,
# Celery worker and beat, as the Procfile lists them for a process manager.
serve: venv
	$(PY) manage.py collectstatic --noinput -v0
	$(MAKE) -s worker & worker=$$!; $(MAKE) -s beat & beat=$$!; \
	trap 'kill $$worker $$beat 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/gunicorn -c dashboard/gunicorn.conf.py dashboard.wsgi

worker: venv
	$(VENV)/bin/celery -A dashboard worker --loglevel=INFO --concurrency=$${SYNC_CONCURRENCY:-4}

beat: venv
	$(VENV)/bin/celery -A dashboard beat --loglevel=INFO --schedule=/tmp/drs-dashboard-celerybeat

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: venv
	$(PY) -m tests.bench.run

# 200 watchers for 60 s on gunicorn + Redis (+ PostgreSQL if up) while the simulator injects
# faults; exits non-zero on any server error. Not part of CI.
soak: venv
	$(PY) -m tests.bench.soak
