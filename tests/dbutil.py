"""Test databases: migrate a template once, then give every test a fresh copy (never delete audit rows)."""
from __future__ import annotations

import itertools
import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

_counter = itertools.count()


def database_url() -> str | None:
    """The PostgreSQL server to test against (DATABASE_URL), or None for SQLite."""
    url = os.environ.get("DATABASE_URL")
    return url or None


def _admin_engine(url: str):
    from evalsys.dbsetup import normalise_url

    return create_engine(normalise_url(url), isolation_level="AUTOCOMMIT", poolclass=None)


class TemplateDatabase:
    """A migrated database that each test clones: a file copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.server_url = database_url()
        self.tag = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
        if self.server_url:
            self.template_name = f"evalsys_tpl_{self.tag}"
            self.template_url = self._url_for(self.template_name)
        else:
            self.template_path = workdir / "template.db"
            self.template_url = f"sqlite:///{self.template_path}"
        self.created: list[str] = []

    def _url_for(self, name: str) -> str:
        from evalsys.dbsetup import normalise_url

        return make_url(normalise_url(self.server_url)).set(database=name).render_as_string(hide_password=False)

    def create_empty(self) -> str:
        """A new empty database (for migration tests); returns its URL."""
        if self.server_url:
            name = f"evalsys_e_{self.tag}_{next(_counter)}"
            self._execute(f'CREATE DATABASE "{name}"')
            self.created.append(name)
            return self._url_for(name)
        path = self.workdir / f"empty_{next(_counter)}.db"
        return f"sqlite:///{path}"

    def build(self, migrate) -> None:
        """Create the template and bring it to the head revision with `migrate(url)`."""
        if self.server_url:
            self._execute(f'CREATE DATABASE "{self.template_name}"')
        migrate(self.template_url)

    def clone(self) -> str:
        """A fresh copy of the template; returns its URL."""
        n = next(_counter)
        if self.server_url:
            name = f"evalsys_t_{self.tag}_{n}"
            self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template_name}"')
            self.created.append(name)
            return self._url_for(name)
        path = self.workdir / f"test_{n}.db"
        shutil.copyfile(self.template_path, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        """Drop a clone once its test is over."""
        if self.server_url:
            name = make_url(url).database
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if name in self.created:
                self.created.remove(name)
        else:
            path = Path(make_url(url).database)
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)

    def destroy(self) -> None:
        """Drop the template and anything left over."""
        if self.server_url:
            for name in [*self.created, self.template_name]:
                self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _execute(self, sql: str) -> None:
        engine = _admin_engine(self.server_url)
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()
