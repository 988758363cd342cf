# fm_pose_ros: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DIR ?= build/demo

.PHONY: venv demo test unit lint weights hand-compare hand-curve object-compare object-curve object-weights bench gpu-check clean

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

# the shipped hand model: the recipe training/configs/recipes/hand_fm.yaml, as `python -m
# training.train` trains it with no --config: hand_fm_long.yaml (40,000 steps), then
# hand_fm_dr.yaml from its weights (12,000 steps with sensor copies), then hand_fm_mirror.yaml
# (6,000 steps, half of each batch mirrored: both hands); about 100 minutes on 2 cores
# (docs/hand_tuning.md, docs/hand_data.md). Each step's validation curve against wall-clock lands in
# runs/hand_fm/<step>/curve.csv
weights: venv
	$(PY) -m training.train --config training/configs/recipes/hand_fm.yaml --out runs/hand_fm
	cp runs/hand_fm/hand_fm.safetensors models/hand_fm.safetensors

# fm + the four baselines with one budget (4,000 steps each; docs/results_hand.md)
hand-compare: venv
	$(PY) -m training.compare --config training/configs/recipes/hand_compare.yaml \
		--out runs/compare4k --exemplars 20000

# error against the number of labelled real frames, four methods
# (docs/results/hand_learning_curve.md)
hand-curve: venv
	$(PY) -m training.tools.learning_curve --config training/configs/recipes/hand_curve.yaml \
		--sizes 100,300,1500 --out runs/hand_curve --table docs/results/hand_learning_curve.md

# the object (pybullet duck): five methods with one budget (docs/results_object.md)
object-compare: venv
	LP_NUM_THREADS=1 $(PY) -m training.compare \
		--config training/configs/recipes/object_compare.yaml --out runs/object_compare

# 2D projection against the number of labelled real frames, four methods
# (docs/results/object_learning_curve.md)
object-curve: venv
	LP_NUM_THREADS=1 $(PY) -m training.tools.learning_curve --task object \
		--config training/configs/recipes/object_curve.yaml --sizes 50,1000 --out runs/object_curve \
		--table docs/results/object_learning_curve.md

# the shipped object model: the recipe training/configs/recipes/object_fm.yaml, as `python -m
# training.train --task object` trains it with no --config; about 39 minutes on 2 cores
# (docs/results_object.md). Its validation curve against wall-clock lands in
# runs/object_fm/curve.csv
object-weights: venv
	LP_NUM_THREADS=1 $(PY) -m training.train --config training/configs/recipes/object_fm.yaml \
		--out runs/object_fm
	cp runs/object_fm/object_fm.safetensors models/object_fm.safetensors

# benchmarks: run on a quiet machine; each writes its table (with the command) under
# docs/results/
bench: venv
	$(PY) -m training.tools.bench_renderer
	$(PY) -m training.tools.bench_exemplar
	$(PY) -m benchmarks.bench_node
	$(PY) -m training.tools.bench_train_step
	LP_NUM_THREADS=1 $(PY) -m training.tools.demo --task object --out build/demo_object
	$(PY) -m benchmarks.bench_objects
	LP_NUM_THREADS=1 $(PY) -m training.tools.bench_rgb_renderer

# the CUDA paths: both nodes with device cuda on the demo bags, the networks alone, 200
# training steps of each task; writes docs/results/benchmarks_gpu.md. Without a CUDA device:
# one line, status 0
gpu-check: venv
	$(PY) -m benchmarks.gpu_check

lint: venv
	$(PY) -m pytest -q -p no:cacheprovider -m linter test/test_lint.py

clean:
	rm -rf build install log $(VENV)
