#!/usr/bin/env bash
# Set up on first use, then serve the site. Safe and quick to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_DEBUG="${DJANGO_DEBUG:-1}"
# Links in mails and feeds point at this server unless SITE_URL says otherwise.
export SITE_URL="${SITE_URL:-http://127.0.0.1:${PORT}}"
mkdir -p var
"$PY" manage.py migrate --no-input -v 0
"$PY" manage.py seed_demo
"$PY" manage.py ensure_admin
if [ -n "${REDIS_URL:-}" ]; then
  # Tasks go through Redis: a worker and the scheduler (digests at 07:00, the
  # delivery sweeper) run beside the web server and stop with it.
  mkdir -p var/celery
  "$PY" -m celery -A vivold worker --loglevel INFO --pool threads --concurrency 4 &
  worker=$!
  "$PY" -m celery -A vivold beat --loglevel INFO --schedule var/celery/beat-schedule &
  beat=$!
  trap 'kill $worker $beat 2>/dev/null || true' EXIT INT TERM
fi
echo "Vivold is at http://127.0.0.1:${PORT}/ (admin: http://127.0.0.1:${PORT}/admin/)"
"$PY" manage.py runserver "127.0.0.1:${PORT}"
