#!/usr/bin/env bash
# Create the peers' virtualenvs for the side-by-side benchmarks (never ndengine's own):
#   benchmarks/.peers/mxnet   real MXNet 1.9.1 (it needs NumPy < 1.24 and Python <= 3.11)
#   benchmarks/.peers/torch   PyTorch 2.13.0, CPU build
# Usage: benchmarks/setup_peers.sh [mxnet] [torch]     (default: both)
# PYTHON picks the interpreter (default python3.11 if present, else python3).
set -euo pipefail
cd "$(dirname "$0")"
DIR=${NDENGINE_PEERS_DIR:-.peers}
PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
mkdir -p "$DIR"
want=("$@"); [ ${#want[@]} -eq 0 ] && want=(mxnet torch)
for peer in "${want[@]}"; do
    case "$peer" in
        # with the book's d2l package and its imports (import_time.py times it)
        mxnet) pkgs=("mxnet==1.9.1" "numpy==1.23.5" "contourpy<1.3" "matplotlib==3.7.2"
                     "matplotlib-inline==0.1.6" "pandas==2.0.3" "ipython<9" "requests") ;;
        torch) pkgs=("torch==2.13.0" "numpy") ;;
        *) echo "unknown peer $peer (mxnet|torch)" >&2; exit 2 ;;
    esac
    if [ ! -x "$DIR/$peer/bin/python" ]; then
        "$PY" -m venv "$DIR/$peer"
    fi
    "$DIR/$peer/bin/python" -m pip install --quiet "${pkgs[@]}"
    if [ "$peer" = mxnet ]; then
        "$DIR/$peer/bin/python" -m pip install --quiet --no-deps d2l==1.0.3
    fi
    echo "$peer: $("$DIR/$peer/bin/python" -c "import $peer; print($peer.__version__)")"
done
