#!/usr/bin/env bash
# Installs everything the tests need on a fresh machine (Python 3.11, node and npm present) and runs the whole
# suite: lint and types, the TypeScript unit tests, then pytest over every tier (unit, sandbox, server, hub, browser,
# sdk and slow: tests/README.md). The fast loop while working is `pytest -m "not slow"`.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install --quiet -e ".[test]"      # builds the JupyterLab extension with npm on the way

if ! command -v chromium >/dev/null 2>&1; then    # Debian's Chromium for the browser tests
    if [ "$(id -u)" = "0" ]; then
        apt-get update -qq && apt-get install -y -qq chromium >/dev/null
    else
        echo "Chromium is missing: run 'sudo apt-get install -y chromium' (the browser tests need it)." >&2
        exit 1
    fi
fi
python -m jupyter_qcred.demo.proxy           # configurable-http-proxy for the JupyterHub tests

ruff check .
ruff format --check .
mypy
(cd labextension && npm test)

python -m pytest -p no:cacheprovider tests "$@"
