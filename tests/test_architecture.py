"""The layers hold: the import-linter contracts of setup.cfg are kept, and a broken one is reported.

Contracts (setup.cfg, [importlinter]): views | cli > services > models > domain; the domain without
Flask, Werkzeug or SQLAlchemy; services without views or forms; forms without the database.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parents[1]


def _lint_imports(config: Path) -> subprocess.CompletedProcess:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "lint-imports is not installed (pip install -e '.[test]')"
    return subprocess.run([exe, "--config", str(config), "--no-cache"], cwd=REPO, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("evalsys", include_external_packages=True, cache_dir=None)


def test_every_contract_is_kept():
    result = _lint_imports(REPO / "setup.cfg")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout and "4 kept" in result.stdout


def test_a_broken_contract_fails(tmp_path):
    # The views do import the services: a contract forbidding it must be reported broken.
    config = tmp_path / "broken.cfg"
    config.write_text("[importlinter]\nroot_package = evalsys\n\n"
                      "[importlinter:contract:x]\nname = views without services\ntype = forbidden\n"
                      "source_modules =\n    evalsys.views\nforbidden_modules =\n    evalsys.services\n",
                      encoding="utf-8")
    result = _lint_imports(config)
    assert result.returncode != 0 and "BROKEN" in result.stdout


def test_services_never_build_the_app(graph):
    # create_app lives in the package root, outside every layer; a job entry point belongs in evalsys.jobs.
    offenders = sorted(m for m in graph.find_descendants("evalsys.services")
                       if "evalsys" in graph.find_modules_directly_imported_by(m))
    assert offenders == []
    assert "evalsys" in graph.find_modules_directly_imported_by("evalsys.jobs")


def test_services_build_no_responses_and_no_links(graph):
    # A service returns data (a stored file's bytes, a path from notify.path_for); the views make
    # the HTTP response and the links (views/common/downloads.py, url_for in views and templates).
    offenders = []
    for module in sorted(graph.find_descendants("evalsys.services")):
        for imported in ("flask", "werkzeug"):
            if not graph.direct_import_exists(importer=module, imported=imported):
                continue
            for detail in graph.get_import_details(importer=module, imported=imported):
                if any(name in detail["line_contents"] for name in ("Response", "url_for", "send_file")):
                    offenders.append(f"{module}: {detail['line_contents']}")
    assert offenders == []
