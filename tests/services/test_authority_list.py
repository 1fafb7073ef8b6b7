"""The authorities as reference data: read once per engine (an app and its database), the same rows as the table."""
from __future__ import annotations

from sqlalchemy import event, select

from evalsys.extensions import db
from evalsys.models import Authority
from evalsys.services import authority_list
from evalsys.services.accounts import authority_choices


def test_authority_rows_are_the_table_read_once(app):
    with app.app_context():
        authority_list._read.clear()
        table = [(a.code, a.name, a.full_name) for a in db.session.scalars(select(Authority).order_by(Authority.code))]
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            first = authority_list.authority_rows()
            again = authority_list.authority_rows()
            names = authority_list.authority_names()
            choices = authority_choices()
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert [(a.code, a.name, a.full_name) for a in first] == table and len(table) == 37
        assert again is first and len([s for s in statements if "authorities" in s]) == 1
        assert names == {code: name for code, name, _ in table}
        assert choices == [(code, f"{code} {full}") for code, _, full in table]
        assert authority_list.full_name_of("320000") == dict((c, f) for c, _, f in table)["320000"] != ""
        assert authority_list.full_name_of(None) == authority_list.full_name_of("999999") == ""


def test_another_app_on_the_same_database_reads_them_afresh(app, db_url, tmp_path, make_app):
    """Remembered per engine, not per URL: a database that changed under a new app is read again."""
    from tests.conftest import make_test_config

    with app.app_context():
        assert authority_list.full_name_of("320000") != "改过的全称"
        db.session.execute(db.update(Authority).where(Authority.code == "320000").values(full_name="改过的全称"))
        db.session.commit()
        assert authority_list.full_name_of("320000") != "改过的全称"  # this app keeps what it read
    other = make_app(make_test_config(db_url, str(tmp_path / "other")))
    with other.app_context():
        assert authority_list.full_name_of("320000") == "改过的全称"
