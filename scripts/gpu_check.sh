#!/usr/bin/env bash
# The CUDA path, checked and measured on one GPU in about 8 minutes:
#   1. the cuda-marked tests (tests/test_cuda.py);
#   2. every notebook at the smoke profile, computed afresh on the GPU (into a scratch store);
#   3. the speed and memory benchmarks at the paper's network size (stored in results/);
#   4. the cost of one step of every paper-profile search setup (stored in results/), from
#      which the Reproducing page projects the paper profile's wall time.
# Everything it measures goes through the results store; commit results/benchmarks/paper/
# afterwards. Each step prints its wall time; a failing step stops the script.
#
#   bash scripts/gpu_check.sh            # on a machine with a CUDA GPU
#   bash scripts/gpu_check.sh --dry-run  # the same steps on the CPU at the smoke profile
#                                        # (no GPU needed; stores nothing in results/)
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}"
DRY=0
case "${1:-}" in
  --dry-run) DRY=1 ;;
  "") ;;
  *) echo "error: the only option is --dry-run; got $1" >&2; exit 2 ;;
esac
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT

step() {  # step NAME COMMAND...: run it, print its wall time
  local name="$1"; shift
  local start=$SECONDS
  echo "[gpu_check] $name ..."
  "$@"
  echo "[gpu_check] $name: $((SECONDS - start)) s"
}

if [ "$DRY" = 1 ]; then
  export ADVNAS_CUDA_TESTS_DEVICE=cpu      # the cuda tests, on the CPU
  BENCH_PROFILE=smoke
  BENCH_STORE="$SCRATCH/benchmarks"        # a dry run stores nothing in results/
else
  "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'error: no CUDA device (use --dry-run on a CPU)')"
  "$PY" -c "from advnas.device import describe; print('[gpu_check] device:', describe())"
  BENCH_PROFILE=paper
  BENCH_STORE=""
fi

step "cuda tests" "$PY" -m pytest -q -m cuda tests/test_cuda.py
for name in $("$PY" -c "from advnas.runlist import RUNLIST; print(*RUNLIST)"); do
  step "notebook $name (smoke)" env ADVNAS_RESULTS_DIR="$SCRATCH/smoke-results" \
    "$PY" -m advnas run "$name" --profile smoke --recompute --output "$SCRATCH/executed/$name.ipynb"
done
for bench in nb201_speed memory ptb_speed paper_epoch; do
  step "benchmark $bench ($BENCH_PROFILE)" env ${BENCH_STORE:+ADVNAS_RESULTS_DIR="$BENCH_STORE"} \
    "$PY" "benchmarks/$bench.py" --profile "$BENCH_PROFILE"
done
echo "[gpu_check] all steps passed"
