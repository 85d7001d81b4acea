# The two set-up commands of README.md. Each creates .venv when missing and installs what is needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

CHROMIUM := /usr/bin/chromium

.PHONY: run test lint bench bench-dashboard diagram clean browser

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) run.py serve --demo

# The browser tests (tests/e2e/test_browser.py) drive Debian's Chromium with Chinese fonts; install them
# from Debian's packages when missing (as root, as CI runs). Playwright never downloads a browser.
browser:
	@if [ ! -x $(CHROMIUM) ] || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
		echo "Installing Chromium and CJK fonts from Debian's packages for the browser tests"; \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-cjk; \
	fi

# Lint (ruff, the small rule set in pyproject.toml), then the whole suite: tests/unit (pure, seconds),
# tests/integration (real database and Redis), tests/e2e (HTTP, the WeChat protocol, the browser).
test: $(STAMP) browser
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .

# Figures, not pass/fail. The dashboard benchmark (100k proposals) is separate: it takes minutes.
bench: $(STAMP)
	$(PY) -m bench.actions
	$(PY) -m bench.notify
	$(PY) -m bench.webhook --db sqlite --rounds 1

bench-dashboard: $(STAMP)
	$(PY) -m bench.dashboard

diagram: $(STAMP)
	$(PY) run.py workflow diagram > docs/workflow.md

clean:
	rm -rf $(VENV) data
