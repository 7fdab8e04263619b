# `make test` and `make app` set everything up on a fresh machine (a venv in .venv, MNIST on first use).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test app install clean chromium lint format

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

# the browser end-to-end test drives Debian's chromium through playwright (never `playwright install`)
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

test: $(STAMP) chromium
	$(PY) -m pytest -q

app: $(STAMP)
	$(PY) -m streamlit run app/streamlit_app.py

# ruff, configured in pyproject.toml; CI runs it before the tests
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache

# quick benchmarks (1-2 repeats, few models); full runs and results: docs/results.md
.PHONY: bench
bench: $(STAMP) chromium
	$(PY) bench/throughput.py --quick
	$(PY) bench/inference.py --quick
	$(PY) bench/app_latency.py --quick

# serve the app to a room: replicas behind nginx (deploy/README.md); e.g. REPLICAS=4 PORT=8080 make serve
.PHONY: nginx serve serve-test
nginx:
	@test -x /usr/sbin/nginx || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx)

serve: $(STAMP) nginx
	PYTHON=$(PY) deploy/serve.sh

# two replicas, real browsers, one replica killed mid-run (about 70 s, CPU-heavy)
serve-test: $(STAMP) nginx chromium
	$(PY) -m pytest -q -m serving tests/system/test_serving.py -s
