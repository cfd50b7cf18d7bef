#!/bin/sh
# Everything a session lent a GPU measures, in one command (issue 29), writing its tables to $OUT.
# On our lent machines (/work/.library/device/README.md: ~15 minutes of device time in all, nothing
# downloadable there) run it from the checkout's root as
#   run(command="sh bench/device_session.sh", carry=[".whl"], timeout_s=590)
# with torch-fidelity's, tomli-w's and submitit's wheels in .whl/ and ../shared's bench/ and data/
# copied into ./shared (both git-ignored). On a machine of your own: install the package, then
#   OUT=/tmp/out sh bench/device_session.sh
set -u
OUT=${OUT:-/tmp/gans-device}
mkdir -p "$OUT"
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site
    python3 -m pip install -q --no-index --no-deps --no-build-isolation -e .
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$OUT/device.txt" 2>&1
# the CUDA-only tests: graph replays bitwise equal to eager, resume under graphs, KID/FID on the device
CUBLAS_WORKSPACE_CONFIG=:4096:8 timeout 150 python3 -m pytest -q -m "" -k on_cuda \
    tests/training/test_static_step.py tests/training/test_cuda_graph.py tests/eval/test_metrics.py \
    > "$OUT/cuda_tests.txt" 2>&1
echo "cuda tests: exit $?" | tee -a "$OUT/cuda_tests.txt"
# Inception alone, each way of running a feature-only export (layout, folded BN, bf16; random weights there:
# fid-helper's 81 MB wheel is past the 64 MiB carry): what the eval target needs
timeout 45 python3 bench/inception.py --device cuda --batch 500 --rounds 7 > "$OUT/inception.txt" 2>&1
echo "inception: exit $?" | tee -a "$OUT/inception.txt"
# train (eager / graph x bf16 x channels-last, and the reference), eval (and its profile), study (+ MPS)
timeout 380 python3 bench/gpu_session.py --device cuda --budget-s 320 --study-steps 100 > "$OUT/gpu_session.txt" 2>&1
echo "gpu_session: exit $?" | tee -a "$OUT/gpu_session.txt"
tail -n 60 "$OUT/gpu_session.txt"
