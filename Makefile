# make demo  - set up (first time) and run the whole lesson
# make test  - set up (first time) and run the test suite (what CI runs)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test browser clean

$(BIN)/aedemo: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch 2.13.0 CPU is preferred where a local wheel exists; any torch>=2.1 works
	$(BIN)/pip install --quiet "torch==2.13.0" || $(BIN)/pip install --quiet "torch>=2.1"
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

demo: $(BIN)/aedemo
	$(BIN)/aedemo demo --out runs/demo

browser:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the report test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: $(BIN)/aedemo browser
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) runs .pytest_cache
