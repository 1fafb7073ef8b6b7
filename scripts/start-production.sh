#!/usr/bin/env bash
# Production start: refuse an unsafe deployment, then serve with gunicorn. Configuration comes from
# the environment (see README, "Deployment"): EVALSYS_ENV_NAME=production, SECRET_KEY,
# EVALSYS_AUDIT_HMAC_KEY, DATABASE_URL, EVALSYS_INSTANCE_PATH, EVALSYS_RATELIMIT_STORAGE_URI.
set -euo pipefail
cd "$(dirname "$0")/.."
. .venv/bin/activate
export EVALSYS_ENV_NAME=production
flask --app evalsys check-deploy
exec gunicorn --workers "${WEB_CONCURRENCY:-4}" --bind "${BIND:-127.0.0.1:8000}" \
  --access-logfile - --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" "evalsys:create_app()"
