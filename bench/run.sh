#!/usr/bin/env bash
# make bench: run every benchmark script in bench/ (each prints its baseline, figures and ratios).
#
#   bash bench/run.sh                      every bench/*.py
#   bash bench/run.sh upload               only bench/upload.py (several names: upload oai_harvest)
#   bash bench/run.sh upload -- --size-mib 256   options after "--" go to each script run
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
# benchmarks measure speed, not the limiter (README, Security): unthrottled unless a run says otherwise
export RATELIMIT_ENABLE=${RATELIMIT_ENABLE:-false}

names=()
while (($#)); do
  if [[ $1 == "--" ]]; then
    shift
    break
  fi
  names+=("$1")
  shift
done

scripts=()
if ((${#names[@]} == 0)); then
  scripts=(bench/*.py)
else
  for name in "${names[@]}"; do
    name=${name#bench/}
    name=${name%.py}
    if [[ ! -f bench/$name.py ]]; then
      echo "no benchmark named '$name'; there are: $(cd bench && ls ./*.py | sed 's|^\./||; s|\.py$||' | tr '\n' ' ')" >&2
      exit 2
    fi
    scripts+=("bench/$name.py")
  done
fi

status=0
for script in "${scripts[@]}"; do
  echo "== $script"
  "$PY" "$script" "$@" || status=1
done
exit $status
