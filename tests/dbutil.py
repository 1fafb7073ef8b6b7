"""Test databases: migrate a template once, then give every test a fresh copy.

On PostgreSQL a copy is `CREATE DATABASE … TEMPLATE`, which writes the whole template (11 MB) to the
write-ahead log, and `DROP DATABASE` unlinks its 400 files: together about 0.25 s per test with both
test workers busy. A finished test's database is therefore put back to the template's state instead
and handed to the next test: its rows deleted (triggers off for that one transaction, so the
audit trail's append-only rule and the foreign keys do not apply to the reset), the template's rows
copied back, its sequences set where the template's were. The reset refuses, and the database is
dropped as before, unless the schema is still exactly the template's (a test that downgrades or
alters it never hands it on)."""
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
        self.spare: list[str] = []  # reset databases waiting for their next test (PostgreSQL)
        self.snapshot: _Snapshot | None = None
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
        if self.server_url:
            self.snapshot = _Snapshot.read(self._conninfo(self.template_name))

    def clone(self) -> str:
        """A fresh copy of the template; returns its URL."""
        n = next(_counter)
        if self.server_url:
            if self.spare:
                return self._url_for(self.spare.pop())
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
            if name in self.created and self._reset(name):
                self.spare.append(name)
                return
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

    def _reset(self, name: str) -> bool:
        """Put a used copy back to the template's state; False (nothing changed) where it cannot be."""
        import psycopg

        if self.snapshot is None:
            return False
        self._execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      f"WHERE datname = '{name}' AND pid <> pg_backend_pid()")
        try:
            with psycopg.connect(self._conninfo(name), autocommit=True) as conn:
                return self.snapshot.restore(conn)
        except psycopg.Error:
            return False

    def _conninfo(self, name: str) -> str:
        return make_url(self.server_url).set(drivername="postgresql", database=name).render_as_string(
            hide_password=False)

    def _execute(self, sql: str) -> None:
        engine = _admin_engine(self.server_url)
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()


# Everything a test could change in a database's schema or settings: its tables and their columns,
# indexes, sequences, constraints, triggers (and whether they are enabled), functions, types, the
# migration revision, per-database settings and large objects.
_SCHEMA_PRINT = """
SELECT md5(string_agg(item, ',' ORDER BY item)) FROM (
  SELECT 'r:' || n.nspname || '.' || c.relname || ':' || c.relkind::text || ':' ||
         coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
                                     || CASE WHEN a.attnotnull THEN '!' ELSE '' END, ',' ORDER BY a.attnum)
                   FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  UNION ALL SELECT 'c:' || conname || ':' || pg_get_constraintdef(c.oid) FROM pg_constraint c
  JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  UNION ALL SELECT 't:' || tgname || ':' || tgenabled::text || ':' || tgfoid::regproc::text FROM pg_trigger
  UNION ALL SELECT 'f:' || p.proname || ':' || md5(p.prosrc) FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  UNION ALL SELECT 'e:' || t.typname || ':' || e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
  UNION ALL SELECT 'v:' || version_num FROM alembic_version
  UNION ALL SELECT 's:' || array_to_string(setconfig, ',') FROM pg_db_role_setting
  WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
  UNION ALL SELECT 'l:' || count(*) FROM pg_largeobject_metadata
) AS schema_items(item)
"""


class _Snapshot:
    """The template's schema print, tables, rows (COPY text) and sequence positions."""

    def __init__(self, schema_print: str, tables: list[str], rows: dict[str, bytes],
                 sequences: list[tuple[str, int, bool]]):
        self.schema_print = schema_print
        self.tables = tables
        self.rows = rows
        self.sequences = sequences

    @classmethod
    def read(cls, conninfo: str) -> "_Snapshot":
        import psycopg

        with psycopg.connect(conninfo, autocommit=True) as conn:
            schema_print = conn.execute(_SCHEMA_PRINT).fetchone()[0]
            tables = [r[0] for r in conn.execute(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")]
            rows = {}
            for table in tables:
                data = bytearray()
                with conn.cursor().copy(f"COPY {table} TO STDOUT") as copy:
                    for chunk in copy:
                        data += chunk
                if data:
                    rows[table] = bytes(data)
            sequences = [(r[0], r[1], r[2]) for r in conn.execute(
                "SELECT format('%I.%I', schemaname, sequencename), coalesce(last_value, start_value), "
                "last_value IS NOT NULL FROM pg_sequences "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")]
        return cls(schema_print, tables, rows, sequences)

    def restore(self, conn) -> bool:
        """Reset the database `conn` is connected to; False (and nothing changed) if its schema differs."""
        if conn.execute(_SCHEMA_PRINT).fetchone()[0] != self.schema_print:
            return False
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")  # no triggers, no foreign keys
            for table in self.tables:
                conn.execute(f"DELETE FROM {table}")
            for table, data in self.rows.items():
                with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                    copy.write(data)
            for sequence, value, called in self.sequences:
                conn.execute("SELECT setval(%s::regclass, %s, %s)", (sequence, value, called))
        return True
