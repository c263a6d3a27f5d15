#!/usr/bin/env bash
# The prepared GPU check (issue: every session lent a GPU runs it first; about 5 minutes).
#
#   bash benchmarks/gpu_check.sh            # on a machine with a CUDA GPU
#
# 1. the CUDA tests (pytest -m gpu), among them a model trained on the GPU, pickled, and
#    loaded and used in a CPU-only process (CUDA_VISIBLE_DEVICES="");
# 2. fit time per epoch against a bare PyTorch loop over the same module, for every
#    estimator, at two modalities of 512 and 1,024 features and N = 100,000.
# Results go to $OUT (the device tool's output folder) or benchmarks/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${OUT:-benchmarks/results}"
mkdir -p "$out"
if [ ! -x .venv/bin/python ]; then
    python -m venv .venv
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet torch  # the CUDA build on a GPU machine
    .venv/bin/python -m pip install --quiet -e ".[test]"
fi
py=.venv/bin/python
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
$py -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0))" | tee -a "$out/gpu.txt"
# 1. CUDA tests
timeout 150 $py -m pytest -q -m gpu -p no:cacheprovider tests 2>&1 | tee "$out/gpu_tests.txt"
# 2. speed against the bare loop on the GPU (2 epochs measured after a warm-up epoch)
timeout 240 $py benchmarks/bench_speed.py --device cuda --cases synthetic \
    --synthetic-samples 100000 --epochs 3 --predict-reps 2 \
    --models raml redcore concat late trusted fuzzy --out "$out/speed_gpu" 2>&1 | tail -40
