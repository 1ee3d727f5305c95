# `make run` opens the GUI on the bundled sample video; `make test` runs the test suite.
# Both create .venv and install the pinned requirements first when needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SAMPLE_VIDEO := assets/media/sports2d_demo.mp4

.PHONY: run test venv lint bench mmpose clean

$(STAMP): requirements.txt requirements-nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip "setuptools<81" wheel
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) main.py gui $(SAMPLE_VIDEO)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .

bench: $(STAMP)
	$(PY) benchmarks/lifter_speed.py --quick
	$(PY) benchmarks/detector_speed.py
	$(PY) benchmarks/pipeline_speed.py
	$(PY) benchmarks/train_speed.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Optional MMPose backend (builds mmcv from source: ~10 minutes on 2 cores).
mmpose: $(STAMP)
	bash scripts/install_mmpose.sh $(PY)
