# `make test` and `make app` set everything up on a fresh machine (a venv in .venv, MNIST on first use).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test app install clean chromium runtime lint format

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

# onnxruntime-web (version and integrity pinned in app/live/package-lock.json), WebAssembly build only, for the
# Explore page's in-browser decoding; without it the app decodes on the server (and says so). The 14 MB .wasm
# ships gzipped (3.7 MB): Streamlit would compress it on every request (0.5 s of CPU each); the browser inflates it
ORT       := app/static/ort
ORT_DIST  := app/live/node_modules/onnxruntime-web/dist
ORT_FILES := ort.wasm.min.mjs ort-wasm-simd-threaded.mjs ort-wasm-simd-threaded.wasm

runtime: $(ORT)/.installed

$(ORT)/.installed: app/live/package-lock.json app/live/ONNXRUNTIME-LICENSE Makefile
	@if ! command -v npm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; \
	  else echo "make runtime: npm is missing and installing it needs root (apt-get install nodejs npm);" \
	            "the app will decode on the server until then"; exit 0; fi; fi; \
	cd app/live && npm ci --ignore-scripts --no-audit --no-fund --omit=dev --loglevel=error && cd ../.. && \
	rm -rf $(ORT).tmp && mkdir -p $(ORT).tmp && \
	cp $(addprefix $(ORT_DIST)/,$(ORT_FILES)) $(ORT).tmp/ && cp app/live/ONNXRUNTIME-LICENSE $(ORT).tmp/LICENSE && \
	gzip -6 -n $(ORT).tmp/ort-wasm-simd-threaded.wasm && \
	rm -rf $(ORT) && mv $(ORT).tmp $(ORT) && touch $@

test: $(STAMP) chromium runtime
	CHROMIUM=$(CHROMIUM) $(PY) -m pytest -q

app: $(STAMP) runtime
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
