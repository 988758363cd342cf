# fm_pose_ros: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DIR ?= build/demo

.PHONY: venv demo test unit lint weights object-weights bench clean

$(STAMP): requirements.txt setup.py package.xml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# the pinned CPU wheel first: an unpinned torch would pull a multi-GB CUDA build
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(PY) -m training.tools.demo --out $(DEMO_DIR)

# everything: lint, unit tests, integration tests (DDS, subprocesses, colcon)
test: lint
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -q -p no:cacheprovider -m "not linter" test

# the unit tier only (seconds): no DDS participants, subprocesses or colcon
unit: venv
	$(PY) -m pytest -q -p no:cacheprovider -m "not linter and not integration" test

# trains fm + the four baselines with one budget (4,000 steps each, the README's second
# table), writes runs/compare4k/results.md, then trains that fm on to 10,000 steps from its
# checkpoint: that is models/hand_fm.safetensors
weights: venv
	$(PY) -m training.compare --out runs/compare4k --set optim.stage1_steps=2000 \
		--set optim.stage2_steps=2000 --exemplars 20000
	mkdir -p runs/hand_fm_long
	cp runs/compare4k/fm/resume.safetensors runs/hand_fm_long/
	$(PY) -m training.train --method fm --out runs/hand_fm_long --resume \
		--set optim.stage1_steps=2000 --set optim.stage2_steps=8000 --set eval_every=2000
	cp runs/hand_fm_long/hand_fm.safetensors models/hand_fm.safetensors

# the object (pybullet duck): five methods with one budget (docs/results_object.md), then that
# fm trained on to 10,000 steps from its checkpoint: models/object_fm.safetensors
object-weights: venv
	LP_NUM_THREADS=1 $(PY) -m training.compare --config training/configs/object_compare.yaml \
		--out runs/object_compare
	mkdir -p runs/object_fm_long
	cp runs/object_compare/fm/resume.safetensors runs/object_fm_long/
	LP_NUM_THREADS=1 $(PY) -m training.train --config training/configs/object_fm.yaml \
		--out runs/object_fm_long --resume
	cp runs/object_fm_long/object_fm.safetensors models/object_fm.safetensors

# benchmarks: run on a quiet machine; each writes its table (with the command) under docs/
bench: venv
	$(PY) -m training.tools.bench_renderer
	$(PY) -m training.tools.bench_exemplar
	$(PY) -m training.tools.bench_node
	LP_NUM_THREADS=1 $(PY) -m training.tools.bench_rgb_renderer

lint: venv
	$(PY) -m pytest -q -p no:cacheprovider -m linter test/test_lint.py

clean:
	rm -rf build install log $(VENV)
