"""Where the data folders the application reads live: criteria/ and migrations/.

In a checkout (and an editable install) they are the top-level folders beside the package. A
wheel carries copies in evalsys/bundled/ (setup.py puts them there), so an installed app finds
them without the checkout. The settings CRITERIA_DIR and MIGRATIONS_DIR (EVALSYS_CRITERIA_DIR,
EVALSYS_MIGRATIONS_DIR) override both. Pure Python: the domain may use it.
"""
from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def project_folder(name: str) -> Path:
    """The bundled copy of a project folder ("criteria", "migrations") when installed, else the checkout's."""
    bundled = PACKAGE / "bundled" / name
    return bundled if bundled.is_dir() else PACKAGE.parent / name
