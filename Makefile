# `make test` and `make app` set everything up on a fresh machine (a venv in .venv, MNIST on first use).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test app install clean chromium

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

clean:
	rm -rf $(VENV) .pytest_cache

# quick benchmarks (1-2 repeats, few models); full runs and results: bench/RESULTS.md
.PHONY: bench
bench: $(STAMP) chromium
	$(PY) bench/throughput.py --quick
	$(PY) bench/inference.py --quick
	$(PY) bench/app_latency.py --quick
