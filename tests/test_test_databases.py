"""Every test starts from the migrated template: a copy a test has used is either put back to the
template's rows, sequences and schema before the next test gets it, or dropped."""
from __future__ import annotations

from sqlalchemy import create_engine, inspect, select, text

from evalsys.cli.ops import schema_problems
from evalsys.extensions import db
from evalsys.models import Authority, Role
from evalsys.services import audit
from tests.conftest import make_test_config
from tests.factories import make_user


def _row_counts(url: str) -> dict[str, int]:
    from evalsys.dbsetup import normalise_url

    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            names = inspect(conn).get_table_names()
            return {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}
    finally:
        engine.dispose()


def _use(url: str, tmp_path, work):
    from evalsys import create_app

    app = create_app(make_test_config(url, str(tmp_path / "instance")))
    try:
        with app.app_context():
            return work()
    finally:
        with app.app_context():
            db.engine.dispose()


def _write_rows():
    user = make_user(Role.ADMIN)
    audit.record("probe.event", actor=user)
    db.session.execute(db.update(Authority).where(Authority.code == "320000").values(name="改过的名称"))
    db.session.commit()
    return user.id


def test_a_used_database_reaches_the_next_test_as_the_template_left_it(template_db, tmp_path):
    template_counts = _row_counts(template_db.template_url)
    first = template_db.clone()
    first_user_id = _use(first, tmp_path, _write_rows)
    assert _row_counts(first) != template_counts  # the test really changed it (audit rows included)
    template_db.drop(first)

    second = template_db.clone()
    try:
        if template_db.server_url:
            assert second == first  # put back and handed on, not dropped and created again
        assert _row_counts(second) == template_counts
        name = _use(second, tmp_path, lambda: db.session.scalar(select(Authority.name).where(
            Authority.code == "320000")))
        assert name == "江苏"
        # Sequences where the template's were: the same first id again.
        assert _use(second, tmp_path, _write_rows) == first_user_id
    finally:
        template_db.drop(second)


def test_a_database_whose_schema_a_test_changed_is_not_handed_on(template_db, tmp_path):
    from flask_migrate import downgrade

    first = template_db.clone()
    _use(first, tmp_path, lambda: downgrade(revision="-1"))
    template_db.drop(first)

    second = template_db.clone()
    try:
        assert second != first
        assert _use(second, tmp_path, schema_problems) == []  # at the head again, all of it
    finally:
        template_db.drop(second)
