# `make test` and `make app` set everything up on a fresh machine (a venv in .venv, MNIST on first use).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test app install clean chromium node runtime lint format

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

# the browser end-to-end tests drive Debian's chromium through playwright (never `playwright install`).
# Installed with apt only as root; otherwise the browser tests skip and say how to enable them (under
# CI=true a missing browser fails them instead).
CHROMIUM ?= /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "$(CHROMIUM) is missing and installing it needs root: the browser tests will be skipped." \
		     "Enable them with: sudo apt-get install -y chromium (or sudo make chromium)"; \
	fi

# Node runs the browser code's linter (Biome, pinned in app/live/package-lock.json) and its unit tests
# (node --test); installed with apt only as root, as chromium is
node:
	@command -v node >/dev/null && command -v npm >/dev/null || if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; \
	else \
		echo "node is missing and installing it needs root: sudo apt-get install -y nodejs npm (or sudo make node)"; \
	fi

BIOME := app/live/node_modules/.bin/biome
$(BIOME): app/live/package-lock.json | node
	cd app/live && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $(BIOME)

# onnxruntime-web's WebAssembly build (version and sha512 pinned in app/live/package-lock.json), for decoding in
# the browser; without it the app decodes on the server (and says so). tools/web_runtime.py fetches it from the npm
# registry with Python alone (no Node needed); the wheel build runs the same step (setup.py).
runtime:
	@$(PYTHON) tools/web_runtime.py || true

test: $(STAMP) chromium node runtime
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest -q

# LATENT_LAB_MODELS=DIR[:DIR...] make app lists the ONNX model folders in each DIR beside the shipped models
app: $(STAMP) runtime
	$(PY) -m streamlit run app/server.py

# ruff (pyproject.toml) for the Python, Biome (biome.json) for the browser code; CI runs it before the tests
lint: $(STAMP) $(BIOME)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(BIOME) ci app/live

format: $(STAMP) $(BIOME)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	$(BIOME) check --write app/live

clean:
	rm -rf $(VENV) .pytest_cache

# quick benchmarks (1-2 repeats, few models); full runs and results: docs/results.md
.PHONY: bench
bench: $(STAMP) chromium
	$(PY) bench/throughput.py --quick
	$(PY) bench/inference.py --quick
	$(PY) bench/app_latency.py --quick

# serve the app to a room: replicas behind nginx (deploy/README.md); e.g. REPLICAS=4 PORT=8080 make serve.
# ADDRESS is where nginx listens: 127.0.0.1 (this machine only) unless you say otherwise, e.g.
# `make serve ADDRESS=0.0.0.0` (every interface: the students' machines can reach it)
ADDRESS ?= 127.0.0.1
.PHONY: nginx serve serve-test
nginx:
	@test -x /usr/sbin/nginx || if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; \
	else \
		echo "nginx is missing and installing it needs root: sudo apt-get install -y nginx"; \
	fi

serve: $(STAMP) nginx
	ADDRESS=$(ADDRESS) PYTHON=$(PY) deploy/serve.sh

# two replicas, real browsers, one replica killed mid-run (about 70 s, CPU-heavy); one replica on another address
serve-test: $(STAMP) nginx chromium
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest -q -m serving tests/system/test_serving.py tests/system/test_serve_address.py -s
