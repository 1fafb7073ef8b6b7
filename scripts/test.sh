#!/usr/bin/env bash
# Install the test dependencies (and Debian's Chromium for the browser tests), then run the whole suite.
# DATABASE_URL=postgresql://… runs it against PostgreSQL instead of SQLite. Extra arguments go to pytest.
source "$(dirname "$0")/_env.sh"
ensure_venv "[test]"
[ -x /usr/bin/chromium ] || apt_install chromium || echo "warning: no Chromium; browser tests will fail" >&2
workers="${EVALSYS_TEST_WORKERS:-2}"
exec python -m pytest -n "$workers" --dist loadfile --durations=15 "$@"
