# make demo  - set up (first time) and run the whole lesson
# make test  - set up (first time) and run the test suite (what CI runs)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test browser samples clean

$(BIN)/aedemo: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch 2.13.0 CPU is preferred where a local wheel exists; any torch>=2.4 works
	$(BIN)/pip install --quiet "torch==2.13.0" || $(BIN)/pip install --quiet "torch>=2.4"
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

demo: $(BIN)/aedemo
	$(BIN)/aedemo demo --out runs/demo --resume

# regenerate samples/ (the characters sheet, a small pretrained run with its detectors' results and its lesson page,
# the picture of the playground page), the shipped readouts and the shipped aligner
samples: $(BIN)/aedemo
	$(BIN)/aedemo identities --sheet samples/characters.png
	rm -f aedemo/pretrained/readouts-*.pt && $(BIN)/python -c "from aedemo.cache import write_shipped; write_shipped()"
	$(BIN)/python -c "from aedemo.prealign import write_pretrained_aligner; write_pretrained_aligner()"
	rm -rf runs/sample-build samples/blob-robot && $(BIN)/aedemo demo --out runs/sample-build
	mkdir -p samples/blob-robot/preview
	cd runs/sample-build && cp config.json log.csv loss.png metrics.json explain.json latent_pca.png swap.gif \
	  ablation.json ablation.png ../../samples/blob-robot/ && cp $$(ls preview/*.png | tail -1) ../../samples/blob-robot/preview/
	$(BIN)/python -c "from aedemo.checkpoint import compact_checkpoint as c; c('runs/sample-build/checkpoint.pt', 'samples/blob-robot/checkpoint.pt')"
	$(BIN)/python -c "from aedemo import load_run; from aedemo.detect import detect; detect(load_run('samples/blob-robot'))"
	rm -f samples/blob-robot/detector.pt
	$(BIN)/python -c "from aedemo.lesson.report import write_report as w; w('samples/blob-robot')"
	$(BIN)/python -c "from aedemo.browser import page_picture; page_picture('samples/blob-robot', 'samples/play.png')"

browser:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the report test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: $(BIN)/aedemo browser
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) runs .pytest_cache
