#!/usr/bin/env bash
# make bench: run every benchmark script in bench/ (each prints its baseline, figures and ratios).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
status=0
for script in bench/*.py; do
  echo "== $script"
  "$PY" "$script" || status=1
done
exit $status
