#!/usr/bin/env bash
# Install sayso and everything it needs on a fresh machine, then render the bundled example.
#   ./install.sh            # venv in .venv, pinned packages, example -> examples/astronaut.mp4
# Environment: PYTHON (default python3.11 or python3), SAYSO_SKIP_EXAMPLE=1 to skip the render.
set -euo pipefail
cd "$(dirname "$0")"

# 1. System packages. The engine needs none (PyAV bundles FFmpeg, mediapipe its own GL
#    libraries, piper its espeak-ng data); the studio's browser tests drive Debian's
#    Chromium through its ChromeDriver, and the distributed runner's tests (sayso serve
#    --broker, sayso worker) start Debian's redis-server. Installed when missing, where
#    apt-get exists.
NEED=()
command -v python3.11 >/dev/null 2>&1 || python3 -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null \
  || NEED+=(python3.11 python3.11-venv)
command -v chromium >/dev/null 2>&1 || NEED+=(chromium)
command -v chromedriver >/dev/null 2>&1 || NEED+=(chromium-driver)
command -v redis-server >/dev/null 2>&1 || NEED+=(redis-server)
if [ "${#NEED[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${NEED[@]}"
  else
    echo "install.sh: please install ${NEED[*]} (the studio's browser tests need Chromium and ChromeDriver, the Celery runner's redis-server)" >&2
  fi
fi

# 2. Python environment with the pinned, tested set (--no-deps: mediapipe's metadata
#    asks for jax, jaxlib and a second OpenCV that sayso never imports).
PY="${PYTHON:-$(command -v python3.11 || command -v python3)}"
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), "sayso needs Python 3.11, found " + sys.version' 
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
.venv/bin/python -m pip check >/dev/null 2>&1 || true  # mediapipe's unused extras are reported here; ignore

# 3. One-time model preparation (patched voice cached in ~/.cache/sayso), and pymatting's
#    numba kernels compiled once into the venv (a minute or two; a render would else pay it).
.venv/bin/python -m sayso.speech.prepare
.venv/bin/python -c 'import pymatting'

# 4. The independent judge, when the shared folder is beside this checkout.
if [ -x ../shared/eval/setup.sh ]; then ../shared/eval/setup.sh; fi

# 5. The main job on the bundled example.
if [ "${SAYSO_SKIP_EXAMPLE:-}" != "1" ]; then
  .venv/bin/sayso make examples/astronaut.png \
    "In the golden hour she smiles and says 'Hello! I am sayso, and I run on your own computer.' Slow push-in." \
    -o examples/astronaut.mp4 --captions
fi
echo "sayso is installed: .venv/bin/sayso --help; the studio: .venv/bin/sayso serve"
