"""Plan-target pages: the ministry edits a base's targets on its page (units people write, lock and
reason after the self-evaluation opens, history), imports them from the generated template; other
roles only read them."""
from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlalchemy import select

from evalsys.extensions import db
from evalsys.models import BaseTarget, BaseTargetVersion, Role
from tests.conftest import audit_events, login, post
from tests.evalutil import make_perf_base, make_round
from tests.factories import make_user


def _world(app, *, locked: bool = False) -> int:
    with app.app_context():
        make_user(Role.ADMIN, username="pt-admin", commit=False)
        base = make_perf_base(authority_code="320000")
        make_user(Role.AUTHORITY, username="pt-js", authority_code="320000", commit=False)
        make_user(Role.APPLICANT, username="pt-op", organisation=base.operator, commit=False)
        if locked:
            make_round([base])
        db.session.commit()
        return base.id


def _client(app, username):
    c = app.test_client()
    assert login(c, username).status_code == 302
    return c


def _inputs(html: str) -> dict[str, str]:
    values = {}
    for m in re.finditer(r'<input[^>]*name="([a-z_]+)"[^>]*>', html):
        v = re.search(r'value="([^"]*)"', m.group(0))
        values[m.group(1)] = v.group(1) if v else ""
    values.pop("csrf_token", None)
    return values


def _value(app, base_id, field_id):
    with app.app_context():
        return db.session.scalar(select(BaseTarget.value).where(BaseTarget.base_id == base_id,
                                                                BaseTarget.field_id == field_id))


def test_admin_enters_targets_in_people_units_and_sees_them_printed(app):
    base_id = _world(app)
    c = _client(app, "pt-admin")
    url = f"/admin/funds/bases/{base_id}/targets"
    page = c.get(url).get_data(as_text=True)
    assert "方案目标：每元中央资金带动社会投资（元/元）" in page and "方案目标：资金到位率（通常 100%）（%）" in page
    form = _inputs(page)
    assert form["plan_leverage"] == "3" and form["plan_arrival_rate"] == "100" and form["plan_budget"] == "30000000"
    form.update(plan_leverage="3.1", plan_satisfaction="92.5", plan_new_jobs="2,400")
    r = post(c, url, form, token_from=url)
    assert r.status_code == 302
    assert (_value(app, base_id, "plan_leverage"), _value(app, base_id, "plan_satisfaction"),
            _value(app, base_id, "plan_new_jobs")) == (31_000, 9_250, 2_400)
    base_page = c.get(f"/admin/funds/bases/{base_id}").get_data(as_text=True)
    assert "3.1 元/元" in base_page and "92.50%" in base_page and "2,400 人" in base_page
    history = c.get(url).get_data(as_text=True)
    assert "3 元/元 → 3.1 元/元" in history and "页面填写" in history
    events = audit_events(app, event="base_targets_changed")
    assert events[-1].username == "pt-admin"


def test_bad_value_is_shown_under_its_field_and_nothing_saved(app):
    base_id = _world(app)
    c = _client(app, "pt-admin")
    url = f"/admin/funds/bases/{base_id}/targets"
    form = _inputs(c.get(url).get_data(as_text=True))
    form.update(plan_leverage="3.12345", plan_tasks="1.5")
    page = post(c, url, form, token_from=url).get_data(as_text=True)
    assert "最多保留四位小数" in page and "请填写整数" in page
    assert _value(app, base_id, "plan_leverage") == 30_000


def test_locked_after_self_evaluation_opens_reason_required(app):
    base_id = _world(app, locked=True)
    c = _client(app, "pt-admin")
    url = f"/admin/funds/bases/{base_id}/targets"
    page = c.get(url).get_data(as_text=True)
    assert "目标值已锁定" in page
    assert "目标值已锁定" in c.get(f"/admin/funds/bases/{base_id}").get_data(as_text=True)
    form = _inputs(page)
    form["plan_tasks"] = "10"
    refused = post(c, url, form, token_from=url)
    assert refused.status_code == 200 and "修改必须填写理由" in refused.get_data(as_text=True)
    assert _value(app, base_id, "plan_tasks") == 12
    form["reason"] = "经批复调整创建任务数"
    assert post(c, url, form, token_from=url).status_code == 302
    assert _value(app, base_id, "plan_tasks") == 10
    assert "锁定后修改" in c.get(url).get_data(as_text=True)
    with app.app_context():
        v = db.session.scalars(select(BaseTargetVersion).order_by(BaseTargetVersion.id.desc())).first()
        assert v.after_lock and v.reason == "经批复调整创建任务数"


def test_stale_form_does_not_overwrite_a_newer_version(app):
    base_id = _world(app)
    c = _client(app, "pt-admin")
    url = f"/admin/funds/bases/{base_id}/targets"
    first = _inputs(c.get(url).get_data(as_text=True))
    second = dict(first)
    first["plan_tasks"] = "13"
    assert post(c, url, first, token_from=url).status_code == 302
    second["plan_tasks"] = "14"
    assert "已被他人修改" in post(c, url, second, token_from=url).get_data(as_text=True)
    assert _value(app, base_id, "plan_tasks") == 13


def test_other_roles_read_but_cannot_edit(app):
    base_id = _world(app)
    for username, page in (("pt-js", f"/authority/funds/bases/{base_id}"),
                           ("pt-op", f"/applicant/funds/bases/{base_id}")):
        c = _client(app, username)
        html = c.get(page).get_data(as_text=True)
        assert "3 元/元" in html and "填写或修改目标值" not in html
        assert c.get(f"/admin/funds/bases/{base_id}/targets").status_code == 403
        assert post(c, f"/admin/funds/bases/{base_id}/targets", {"plan_tasks": "1"}).status_code == 403
        assert c.get("/admin/funds/targets/template.xlsx").status_code == 403
    assert _value(app, base_id, "plan_tasks") == 12


def test_template_download_and_import_through_the_page(app):
    base_id = _world(app)
    c = _client(app, "pt-admin")
    r = c.get("/admin/funds/targets/template.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.data))
    ws = wb.worksheets[0]
    header = [cell.value for cell in ws[1]]
    col = header.index("方案目标：新增就业人数（人）") + 1
    assert ws.cell(row=2, column=col).value == 2000
    ws.cell(row=2, column=col).value = "两千"
    bad = io.BytesIO()
    wb.save(bad)
    url = "/admin/funds/targets/import"
    page = post(c, url, {"file": (io.BytesIO(bad.getvalue()), "t.xlsx")}, token_from=url,
                content_type="multipart/form-data").get_data(as_text=True)
    assert "未保存任何目标值" in page and "请填写数字" in page and "方案目标：新增就业人数（人）" in page
    assert _value(app, base_id, "plan_new_jobs") == 2000
    ws.cell(row=2, column=col).value = 2600
    good = io.BytesIO()
    wb.save(good)
    r = post(c, url, {"file": (io.BytesIO(good.getvalue()), "t.xlsx")}, token_from=url,
             content_type="multipart/form-data")
    assert r.status_code == 302 and _value(app, base_id, "plan_new_jobs") == 2600
    assert audit_events(app, event="base_targets_imported")
