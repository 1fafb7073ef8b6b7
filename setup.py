"""Build steps setup.cfg cannot declare: the wheel carries the compiled translations and copies of
criteria/ and migrations/, so an installed evalsys runs outside the checkout.

The copies go to evalsys/bundled/ in the build only; a checkout keeps using the top-level folders
(evalsys.resources decides which one a running app reads).
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("criteria", "migrations")


def compile_translations(source: Path, target: Path) -> None:
    """Every evalsys/translations/<lang>/LC_MESSAGES/messages.po → messages.mo under ``target``."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo = target / po.relative_to(source).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as fh:
            catalog = read_po(fh)
        with mo.open("wb") as fh:
            write_mo(fh, catalog)


class BuildWithData(build_py):
    """build_py, then the .mo files and the bundled copies of criteria/ and migrations/."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout itself
            return
        package = Path(self.build_lib) / "evalsys"
        compile_translations(ROOT / "evalsys" / "translations", package / "translations")
        for name in BUNDLED:
            target = package / "bundled" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithData})
