#!/usr/bin/env bash
# Run the whole test suite: ruff and mypy, then Python (pytest: core, OD, cards on the virtual PC/SC bench, native
# messaging, installer build, real browsers) and the extension's JavaScript unit tests (node).
# Extra arguments go to pytest, e.g. `bash tests/run.sh -k od` or `--soak`.
set -uo pipefail
cd "$(dirname "$0")/.."
# Missing test prerequisites (pcscd, vpcd, browsers) fail the run instead of skipping tests.
export CI="${CI:-1}"
PY=${PYTHON:-.venv/bin/python}
[[ -x "$PY" ]] || PY=python3

status=0
if [[ -f extension/package.json ]]; then
  echo "==> extension: node --test, tsc (JSDoc types), then web-ext lint of the Firefox build"
  (cd extension && npm test --silent && npm run typecheck --silent && npm run lint --silent) || status=1
fi

echo "==> ruff (lint) and mypy (strict, bridge/): configured in pyproject.toml; a finding fails the run"
"$PY" -m ruff check bridge tests benchmarks extension/build.py || status=1
"$PY" -m mypy || status=1

echo "==> pytest"
"$PY" -m pytest -q -p no:cacheprovider "$@"
code=$?
if [[ $code -eq 5 ]]; then
  echo "pytest collected no tests: that is a failure here" >&2
  code=1
fi
[[ $code -ne 0 ]] && status=$code
exit $status
