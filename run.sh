#!/usr/bin/env bash
# One entry point for a fresh machine: creates ./.venv on first use, installs ndengine
# (editable, with the test and demo extras) and runs what you ask for.
#   ./run.sh demo    the seed chapters end to end (examples/run_all.py)
#   ./run.sh test    the test suite
#   ./run.sh bench   the benchmarks side by side (benchmarks/run_all.py)
set -euo pipefail
cd "$(dirname "$0")"
VENV=${NDENGINE_VENV:-.venv}
PY=${PYTHON:-python3}
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
if [ ! -f "$VENV/.installed" ] || [ pyproject.toml -nt "$VENV/.installed" ]; then
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e ".[test,demo]"
    # the book's package, for tests/test_d2l_package.py (its imports are in the test extra)
    "$VENV/bin/python" -m pip install --quiet --no-deps d2l==1.0.3
    touch "$VENV/.installed"
fi
cmd=${1:-demo}
shift || true
case "$cmd" in
    demo)  exec "$VENV/bin/python" examples/run_all.py "$@" ;;
    # no paths given: pyproject's testpaths ("tests"); its addopts gives -q (one more
    # would hide pytest's summary line)
    test)  exec "$VENV/bin/python" -m pytest -p no:cacheprovider "$@" ;;
    bench) exec "$VENV/bin/python" benchmarks/run_all.py "$@" ;;
    *) echo "usage: ./run.sh demo|test|bench [args]" >&2; exit 2 ;;
esac
