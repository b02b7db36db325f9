#!/usr/bin/env bash
# One command on a machine with an NVIDIA GPU: is ndengine's GPU path right, and how fast?
#
#   scripts/gpu_check.sh [--torch] [--plan] [--out DIR]
#
# 1. finds the GPUs and the CUDA version of the driver (nvidia-smi); without them it
#    stops at once: "no NVIDIA GPU found: ..." (exit 3), before installing anything;
# 2. creates a virtualenv ($GPU_CHECK_VENV, default .venv-gpu) with ndengine (test and
#    demo extras) and the CuPy wheel for that CUDA major version (cupy-cuda11x,
#    cupy-cuda12x or cupy-cuda13x; with CUDA's own libraries from PyPI, the [ctk] extra,
#    unless a CUDA toolkit of that major version is installed); --torch adds PyTorch for that CUDA version
#    (a large download) for the benchmark's comparison column;
# 3. runs tests/device/test_gpu.py (gpu(0), and gpu(1) when there are two), the seed
#    chapters' examples (examples/run_all.py: "Automatic Parallelism" on the GPUs that
#    d2l.try_all_gpus() finds; "Asynchronous Computation" again with gpu(0) as the
#    default device) and a short benchmark (scripts/gpu_bench.py: NumPy, ndengine, CuPy,
#    PyTorch CUDA when installed);
# 4. writes everything to one file, DIR/results.md (default out/gpu_check/), with each
#    step's log beside it.  Every step has a time limit; the whole is meant to take
#    under 8 minutes once the wheels are downloaded.
# --plan prints what would be installed and run, and stops.  GPU_CHECK_SKIP_INSTALL=1
# reuses the virtualenv $GPU_CHECK_VENV as it is (a second run).
# Exit status: 0 all steps passed, 1 a step failed, 2 bad usage, 3 no GPU.
set -uo pipefail

case "${BASH_SOURCE[0]}" in */*) cd "${BASH_SOURCE[0]%/*}/.." ;; *) cd .. ;; esac
ROOT=$PWD

die_nogpu() { echo "gpu_check: no NVIDIA GPU found: $*" >&2; exit 3; }

TORCH=0 PLAN=0 OUT=out/gpu_check
while [ $# -gt 0 ]; do
    case "$1" in
        --torch) TORCH=1 ;;
        --plan) PLAN=1 ;;
        --out) shift; OUT=${1:?--out needs a folder} ;;
        -h|--help) sed -n '2,24p' "$ROOT/scripts/gpu_check.sh"; exit 0 ;;
        *) echo "gpu_check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done

# -- 1. the GPU, before anything is installed ---------------------------------------
command -v nvidia-smi >/dev/null 2>&1 || die_nogpu "nvidia-smi missing (no NVIDIA driver \
on this machine's PATH; this check needs a machine with an NVIDIA GPU)"
SMI=$(nvidia-smi 2>&1) || die_nogpu "nvidia-smi failed: $(printf '%s\n' "$SMI" | head -n 1)"
GPUS=$(nvidia-smi --query-gpu=index,name,driver_version,memory.total \
       --format=csv,noheader 2>&1) || die_nogpu "nvidia-smi --query-gpu failed: $GPUS"
NGPU=$(printf '%s\n' "$GPUS" | grep -c '[^[:space:]]')
[ "$NGPU" -gt 0 ] || die_nogpu "nvidia-smi lists no GPU"
CUDA=$(printf '%s\n' "$SMI" | grep -o 'CUDA Version: *[0-9][0-9]*\.[0-9]*' | head -n 1 \
       | grep -o '[0-9][0-9.]*$')
[ -n "$CUDA" ] || die_nogpu "nvidia-smi does not show the driver's CUDA version"
CUDA_MAJOR=${CUDA%%.*}
CUDA_MINOR=${CUDA#*.}
case "$CUDA_MAJOR" in
    11) WHEEL="cupy-cuda11x<14" ;;          # CuPy 13 is the last with CUDA 11 wheels
    12) WHEEL="cupy-cuda12x" ;;
    1[3-9]) WHEEL="cupy-cuda13x" ;;
    *) die_nogpu "the driver supports CUDA $CUDA only; CuPy's wheels need CUDA 11 or newer \
(update the NVIDIA driver)" ;;
esac
# CUDA's own libraries (cuBLAS, NVRTC...) from PyPI too (CuPy's [ctk] extra) unless an
# installed toolkit has the wheel's major version ($GPU_CHECK_CTK=0/1 decides instead)
TOOLKIT=""
if command -v nvcc >/dev/null 2>&1; then
    TOOLKIT=$(nvcc --version 2>/dev/null | grep -o 'release [0-9][0-9]*' | grep -o '[0-9]*$')
fi
WHEEL_MAJOR=$(printf '%s' "$WHEEL" | grep -o 'cuda[0-9]*' | grep -o '[0-9]*$')
CTK=${GPU_CHECK_CTK:-$( [ "$TOOLKIT" = "$WHEEL_MAJOR" ] && echo 0 || echo 1 )}
if [ "$CTK" = 1 ]; then
    WHEEL="${WHEEL%%<*}[ctk]${WHEEL#"${WHEEL%%<*}"}"
fi
# PyTorch's CUDA builds: the newest one this driver runs (torch.org's index names)
TORCH_CU=""
minor=$((10#${CUDA_MINOR%%.*})); [ "$minor" -gt 9 ] && minor=9
for cu in 130 129 128 126 124 121 118; do
    if [ $((CUDA_MAJOR * 10 + minor)) -ge "$cu" ]; then TORCH_CU=cu$cu; break; fi
done

VENV=${GPU_CHECK_VENV:-.venv-gpu}
echo "gpu_check: $NGPU GPU(s), driver CUDA $CUDA -> $WHEEL (CUDA toolkit installed:" \
     "${TOOLKIT:-none}); venv $VENV; results in $OUT/results.md"
printf '%s\n' "$GPUS" | sed 's/^/  gpu /'
if [ "$PLAN" = 1 ]; then
    echo "plan: pip install -e '.[test,demo]' '$WHEEL'" \
         "$( [ "$TORCH" = 1 ] && echo "+ torch from https://download.pytorch.org/whl/${TORCH_CU:-cpu}")"
    echo "plan: tests/device/test_gpu.py; examples/run_all.py; async_computation on gpu(0);" \
         "scripts/gpu_bench.py"
    exit 0
fi

# -- steps ------------------------------------------------------------------------
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
START=$SECONDS
STEPS=()         # "name|status|seconds|log"
FAILED=0
step() {         # step NAME TIMEOUT_S CMD...: run with a time limit, log to $OUT/NAME.log
    local name=$1 limit=$2 t0=$SECONDS status rc
    shift 2
    echo "== $name (limit ${limit} s)"
    timeout --kill-after=10 "$limit" "$@" >"$OUT/$name.log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then status=passed
    elif [ $rc -eq 124 ] || [ $rc -eq 137 ]; then status="TIMED OUT"; FAILED=1
    else status="FAILED (exit $rc)"; FAILED=1
    fi
    STEPS+=("$name|$status|$((SECONDS - t0))|$name.log")
    echo "   $status in $((SECONDS - t0)) s; last lines of $OUT/$name.log:"
    tail -n 3 "$OUT/$name.log" | sed 's/^/   | /'
    return $rc
}
PY="$VENV/bin/python"
export VENV PY WHEEL TORCH TORCH_CU CUDA

install() {       # run by `timeout` in a child bash (export -f)
    if [ "${GPU_CHECK_SKIP_INSTALL:-0}" = 1 ]; then    # reuse $GPU_CHECK_VENV as it is
        echo "GPU_CHECK_SKIP_INSTALL=1: using $PY as it is"; "$PY" -c "import ndengine"
        return
    fi
    [ -x "$PY" ] || python3 -m venv "$VENV" || return 1
    "$PY" -m pip install --quiet --upgrade pip || return 1
    "$PY" -m pip install --quiet -e ".[test,demo]" "$WHEEL" || return 1
    if [ "$TORCH" = 1 ]; then
        "$PY" -m pip install --quiet torch --index-url \
            "https://download.pytorch.org/whl/${TORCH_CU:?no PyTorch CUDA build for CUDA $CUDA}" \
            || return 1
    fi
}
export -f install


export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
TEST_SUMMARY="not run"
if step install 420 bash -c install && step probe 120 "$PY" scripts/gpu_probe.py; then
    step test_gpu 240 "$PY" -m pytest -p no:cacheprovider -rA --timeout 120 \
        tests/device/test_gpu.py || true
    TEST_SUMMARY=$(grep -E '(passed|failed|skipped|error).* in [0-9.]+s' \
                   "$OUT/test_gpu.log" | tail -n 1 | tr -d '=' | sed 's/^ *//; s/ *$//')
    # the module skipped as a whole (CuPy sees no device) passes pytest, not this check
    if ! grep -q "passed" <<<"$TEST_SUMMARY"; then
        FAILED=1; STEPS+=("test_gpu: no test passed|FAILED|0|test_gpu.log")
    fi
    step examples 300 "$PY" examples/run_all.py --out "$OUT/demo" || true
    step async_on_gpu0 180 "$PY" scripts/gpu_run_example.py 'gpu(0)' \
        examples/async_computation.py --json "$OUT/async_on_gpu0.json" || true
    step bench 240 "$PY" scripts/gpu_bench.py --device 'gpu(0)' --out "$OUT/bench.md" \
        --json "$OUT/bench.json" || true
fi
TOTAL=$((SECONDS - START))

# -- the results file ---------------------------------------------------------------
{
    echo "# ndengine GPU check"
    echo
    echo "Run by \`scripts/gpu_check.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') (${HOSTNAME:-?}), $TOTAL s" \
         "in all$( [ $TOTAL -gt 480 ] && echo ' (over the 8-minute budget)')." \
         "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')."
    echo
    echo "GPUs (nvidia-smi: index, name, driver, memory); driver CUDA $CUDA; wheel \`$WHEEL\`:"
    echo
    printf '%s\n' "$GPUS" | sed 's/^/    /'
    echo
    [ -s "$OUT/probe.log" ] && { echo "CuPy and ndengine:"; echo; sed 's/^/    /' "$OUT/probe.log"; echo; }
    echo "| step | result | seconds | log |"
    echo "|---|---|---:|---|"
    for s in "${STEPS[@]}"; do
        IFS='|' read -r n st sec lg <<<"$s"
        echo "| $n | $st | $sec | \`$lg\` |"
    done
    echo
    echo "tests/device/test_gpu.py: $TEST_SUMMARY"
    echo
    if [ -s "$OUT/test_gpu.log" ]; then
        echo "Failures and skips (pytest -rA):"; echo
        grep -E '^(FAILED|ERROR|SKIPPED)' "$OUT/test_gpu.log" | sed 's/^/    /'
        echo
    fi
    [ -s "$OUT/bench.md" ] && { sed 's/^## /## /' "$OUT/bench.md"; echo; }
    if [ -s "$OUT/demo/results.md" ]; then     # its headings one level down
        sed 's/^#/##/; s|](timeline|](demo/timeline|' "$OUT/demo/results.md"
        echo
    fi
} >"$OUT/results.md"
echo "gpu_check: $( [ $FAILED = 0 ] && echo 'all steps passed' || echo 'SOME STEPS FAILED' )" \
     "in $TOTAL s; wrote $OUT/results.md"
exit $FAILED
