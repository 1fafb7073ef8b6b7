"""How long an API token may live: the default and the longest validity, in days (forms and services share them)."""
from __future__ import annotations

DEFAULT_DAYS = 90
MAX_DAYS = 366
