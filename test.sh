#!/usr/bin/env bash
# Run the test suite (after ./install.sh). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
exec .venv/bin/python -m pytest -q "$@"
