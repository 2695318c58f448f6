#!/usr/bin/env bash
# make run: embedded defaults (SQLite, files and Celery's broker under var/), web + worker + beat.
# The web server is gunicorn with deploy/gunicorn.conf.py, as in the Dockerfile (without nginx in front).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
# Unless SITE_URL is set, the settings derive it from HOST and PORT: absolute links name this port.
export HOST PORT
mkdir -p var
# two local storage locations: every stored file is copied to the replica and checked (README, Preservation)
if [ -z "${STORAGE_LOCATIONS:-}" ]; then
  VAR=${VAR_DIR:-var}
  export STORAGE_LOCATIONS="primary=file://$VAR/storage/primary replica=file://$VAR/storage/replica"
  export STORAGE_LOCATION_SITES=${STORAGE_LOCATION_SITES:-"primary=local replica=local"}
fi
$PY manage.py migrate --noinput -v0
$PY manage.py compile_catalogs -v0
$PY manage.py seed_demo --records "${DEMO_RECORDS:-20}"
$PY manage.py preflight

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "stopping…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # give them 10 s to finish running tasks, then stop whatever is left
  for _ in $(seq 1 20); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for pid in "${pids[@]}"; do pkill -KILL -P "$pid" 2>/dev/null || true; kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
# Ctrl-C (or a TERM) is the normal way to stop: everything stops and the script exits 0.
trap 'cleanup; exit 0' INT TERM
trap cleanup EXIT

.venv/bin/celery -A repository worker -B -l info --concurrency 2 \
  --schedule "${VAR_DIR:-var}/celerybeat-schedule" > var/celery.log 2>&1 &
pids+=($!)
GUNICORN_BIND="$HOST:$PORT" .venv/bin/gunicorn -c deploy/gunicorn.conf.py &
pids+=($!)

$PY -c "import sys; from repository.loopback import wait_for_port; wait_for_port(int(sys.argv[1]))" "$PORT" \
  || echo "(nothing answers on 127.0.0.1:$PORT yet; see the gunicorn output above)"
cat <<MSG

  The portal runs at http://$HOST:$PORT/
  Demo logins (password: ${DEMO_PASSWORD:-demo-password}): admin (staff), curator (stockholm-ai), depositor
  Celery worker + beat log: var/celery.log     Stop everything with Ctrl-C.

MSG
wait -n "${pids[@]}"
