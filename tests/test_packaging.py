"""A wheel built from the tree runs outside the checkout: it migrates a new database, finds its
indicator systems and speaks English from the compiled catalogue it carries.

The wheel is installed without dependencies into a fresh virtual environment that reuses the
installed ones (a .pth line), and every command runs from an empty folder, so nothing can come
from the checkout.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(args: list[str], **kw) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str]:
    """(wheel, build output)."""
    # Built from a copy of what a source tree holds, so no build/ folder is left in (or reused from) the checkout.
    source = tmp_path_factory.mktemp("source")
    for name in ("setup.py", "setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    for name in ("evalsys", "criteria", "migrations"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo"))
    out = tmp_path_factory.mktemp("wheel")
    result = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)])
    return next(out.glob("evalsys-*.whl")), result.stdout + result.stderr


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory) -> Path:
    """The python of a new environment holding the wheel (and, through a .pth line, today's dependencies)."""
    env_dir = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)])
    python = env_dir / "bin" / "python"
    purelib = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                   .stdout.strip())
    (purelib / "evalsys-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(built[0])])
    return python


def test_the_wheel_builds_quietly_and_carries_its_data(built):
    wheel, output = built
    assert "absent from" not in output and "Warning" not in output, output
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "evalsys/translations/en/LC_MESSAGES/messages.mo" in names
    assert "evalsys/templates/base.html" in names and "evalsys/static/css/evalsys.css" in names
    assert "evalsys/bundled/criteria/enterprise-2015-2016.v1.toml" in names
    assert "evalsys/bundled/criteria/outlines/base.toml" in names
    assert "evalsys/bundled/migrations/env.py" in names
    versions = sorted(p.name for p in (REPO / "migrations" / "versions").glob("*.py"))
    assert versions and all(f"evalsys/bundled/migrations/versions/{v}" in names for v in versions)
    assert not [n for n in names if "__pycache__" in n or n.startswith(("criteria/", "migrations/", "tests/"))]


# Run inside the new environment, in one process (each start of the app costs seconds): the
# commands an operator runs after installing, through Flask's own command line.
SCRIPT = """
import sys
import evalsys
from flask_babel import force_locale, gettext
app = evalsys.create_app()
print("module", evalsys.__file__)
runner = app.test_cli_runner()
for args in (["db", "upgrade"], ["criteria", "check"], ["db", "heads"]):
    result = runner.invoke(args=args)
    print(result.output)
    if result.exit_code:
        sys.exit(f"{args} failed: {result.exception!r}")
with app.test_request_context(), force_locale("en"):
    print("english", gettext("评审专家"))
"""


def test_the_installed_wheel_runs_outside_the_checkout(installed, tmp_path):
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("EVALSYS_") and k not in ("DATABASE_URL", "VIRTUAL_ENV", "PYTHONPATH")}
    env["EVALSYS_INSTANCE_PATH"] = str(tmp_path / "instance")
    out = _run([str(installed), "-c", SCRIPT], cwd=cwd, env=env).stdout
    module = next(line for line in out.splitlines() if line.startswith("module "))
    assert str(REPO) not in module and "site-packages" in module
    assert (tmp_path / "instance" / "evalsys.db").is_file()
    systems = len(list((REPO / "criteria").glob("*.toml")))
    assert sum(line.startswith("ok ") for line in out.splitlines()) == systems
    assert "(head)" in out
    assert "english Reviewer" in out
