#!/usr/bin/env bash
# Install the optional MMPose 2D backend into the project venv (default .venv): `make mmpose`.
# Takes ~10-15 minutes on 2 cores (mmcv's C++ ops are compiled from source). Needs a C++ compiler and
# network access to PyPI. Safe to re-run: finished steps are skipped.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$HERE/.venv}"
PY="$VENV/bin/python"
PIP=("$PY" -m pip install --no-deps)

if [ ! -x "$PY" ]; then
    echo "install_mmpose: $PY not found; run 'make venv' first" >&2
    exit 1
fi

echo "[1/4] runtime dependencies and OpenMMLab packages (no-deps: no opencv-python, chumpy, torchvision)"
"${PIP[@]}" "setuptools<81" wheel
"${PIP[@]}" -r "$HERE/requirements-mmpose.txt"

echo "[2/4] xtcocotools from source against the installed numpy"
if ! "$PY" -c "import xtcocotools.coco" 2>/dev/null; then
    "${PIP[@]}" --no-build-isolation --no-binary xtcocotools "xtcocotools==1.14.3"
fi

echo "[3/4] mmcv 2.1.0 with C++ ops, built from source (slow)"
if ! "$PY" -c "import mmcv.ops" 2>/dev/null; then
    MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-2}" FORCE_CUDA="${FORCE_CUDA:-0}" \
        "${PIP[@]}" --no-build-isolation --no-binary mmcv "mmcv==2.1.0"
fi

echo "[4/4] check"
(cd "$HERE" && "$PY" - <<'PY'
import mmcv, mmcv.ops, mmdet, mmengine, mmpose  # noqa: F401
from detectors.mmpose_backend import _require_mmpose
_require_mmpose()  # mmpose.apis with the torchvision stand-in, as the backend loads it
print(f"mmpose {mmpose.__version__}, mmdet {mmdet.__version__}, mmcv {mmcv.__version__}, mmengine {mmengine.__version__}")
PY
)
if "$PY" -m pip list 2>/dev/null | grep -q "^opencv-python "; then
    echo "install_mmpose: opencv-python got installed; it breaks PyQt5. Fix with:" >&2
    echo "  $PY -m pip uninstall -y opencv-python && $PY -m pip install --no-deps --force-reinstall opencv-python-headless" >&2
    exit 1
fi
echo "MMPose backend installed: python main.py detect VIDEO --detector mmpose"
