"""/admin/criteria: the tree, direct and AHP weight versions with reasons, compare, role refusal."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from evalsys.domain.weight_sets import ahp_groups
from evalsys.extensions import db
from evalsys.models import Role, WeightVersion
from evalsys.services import criteria as criteria_svc
from tests.conftest import audit_events, csrf_token, login
from tests.factories import make_user

SYSTEM = "base-2015-b2"
URL = f"/admin/criteria/{SYSTEM}/1"


@pytest.fixture
def admin_client(app):
    with app.app_context():
        make_user(Role.ADMIN, username="crit-admin")
    c = app.test_client()
    assert login(c, "crit-admin").status_code == 302
    return c


@pytest.fixture
def system(app):
    with app.app_context():
        return criteria_svc.system(SYSTEM, 1)


def versions(app) -> list[WeightVersion]:
    with app.app_context():
        rows = db.session.scalars(select(WeightVersion).order_by(WeightVersion.id)).all()
        db.session.expunge_all()
        return rows


def prefilled(html: str) -> dict[str, str]:
    """The values a browser would post back: every input of the form as rendered."""
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html))
    data.update({n: "" for n in re.findall(r'<textarea[^>]*name="([^"]+)"', html)})
    return data


def direct_post(client, system, path=URL + "/weights/new", **changes):
    data = prefilled(client.get(path).get_data(as_text=True))
    assert len([k for k in data if k.startswith("w_")]) == len(system.scored_indicators)
    data.update(changes)
    return client.post(path, data=data)


def test_list_and_tree_show_systems_fields_indicators_and_overrides(app, admin_client, system):
    html = admin_client.get("/admin/criteria").get_data(as_text=True)
    assert system.sha256 in html and URL in html and "指标体系" in html
    html = admin_client.get(URL).get_data(as_text=True)
    for group in system.groups:
        assert group.title in html
    derived = next(f for f in system.fields if f.derived)
    assert derived.formula.source in html
    guided = next(i for i in system.indicators if i.guidance)
    assert guided.guidance.full in html
    ent = admin_client.get("/admin/criteria/enterprise-2015-2016/1").get_data(as_text=True)
    assert "电商服务类" in ent and "尚无权重版本" in ent
    assert admin_client.get("/admin/criteria/nope/1").status_code == 404
    assert admin_client.get("/admin/criteria/..%2Fsecret/1").status_code == 404
    assert admin_client.get(URL + "/weights/new?category=unknown").status_code == 404


def test_direct_version_with_reason_creates_the_next_number_and_an_audit_row(app, admin_client, system):
    first = system.scored_indicators[0]
    r = direct_post(admin_client, system, reason="依据专家论证会意见调整", **{f"w_{first.id}": "7.25"})
    assert r.status_code == 302 and r.headers["Location"] == URL
    r = direct_post(admin_client, system, reason="再次调整")
    assert r.status_code == 302
    rows = versions(app)
    assert [(v.number, v.rule) for v in rows] == [(1, "direct"), (2, "direct")]
    assert json.loads(rows[0].values)[first.id] == "7.25"
    # The second form was prefilled from version 1, so the change was kept.
    assert json.loads(rows[1].values)[first.id] == "7.25"
    events = audit_events(app, event="weight_version_created")
    assert [e.object_id for e in events] == [str(v.id) for v in rows]
    assert events[0].username == "crit-admin" and "依据专家论证会意见调整" in events[0].detail
    html = admin_client.get(URL).get_data(as_text=True)
    assert "依据专家论证会意见调整" in html and "直接设定" in html


@pytest.mark.parametrize("changes, message", [
    ({"w_{first}": "-1", "reason": "负数"}, "不能为负数"),
    ({"w_{first}": "abc", "reason": "文本"}, "须为数字"),
    ({"reason": ""}, "请填写变更原因"),
    ({"reason": "含\x00字节"}, "控制字符"),
    ({"w_{first}": "1\x002", "reason": "字段中的 NUL"}, "控制字符"),
])
def test_bad_direct_input_is_a_chinese_form_error_and_creates_nothing(app, admin_client, system, changes,
                                                                      message):
    first = system.scored_indicators[0].id
    changes = {k.replace("{first}", first): v for k, v in changes.items()}
    r = direct_post(admin_client, system, **changes)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert message in html and "invalid-feedback" in html
    assert versions(app) == [] and audit_events(app, event="weight_version_created") == []


def test_all_zero_weights_are_refused(app, admin_client, system):
    zeros = {f"w_{i.id}": "0" for i in system.scored_indicators}
    r = direct_post(admin_client, system, reason="全零", **zeros)
    assert r.status_code == 200 and "权重不能全部为零" in r.get_data(as_text=True)
    assert versions(app) == []


def test_category_form_is_prefilled_with_its_overrides_and_saved_per_category(app, admin_client):
    path = "/admin/criteria/enterprise-2015-2016/1/weights/new?category=innovation"
    with app.app_context():
        ent = criteria_svc.system("enterprise-2015-2016", 1)
    data = prefilled(admin_client.get(path).get_data(as_text=True))
    for iid, weight in ent.category("innovation").weights:
        assert float(data[f"w_{iid}"]) == weight
    assert direct_post(admin_client, ent, path=path, reason="创新类").status_code == 302
    (row,) = versions(app)
    assert (row.category, row.number) == ("innovation", 1)


def ahp_data(client, system, path, upper: list[str], **extra) -> dict:
    data = {"csrf_token": csrf_token(client, path)}
    n = len(ahp_groups(system))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    assert len(pairs) == len(upper)
    data.update({f"p_{i}_{j}": v for (i, j), v in zip(pairs, upper)})
    data.update(extra)
    return data


def test_ahp_consistent_matrix_is_accepted_with_cr_about_zero(app, admin_client, system):
    path = URL + "/weights/ahp"
    n = len(ahp_groups(system))
    html = admin_client.get(path).get_data(as_text=True)
    assert html.count("<select") == n * (n - 1) // 2 and "1/9" in html and "<script>" not in html
    # Group 0 twice as important as each other group, the others equal: perfectly consistent.
    upper = ["2" if i == 0 else "1" for i in range(n) for j in range(i + 1, n)]
    r = admin_client.post(path, data=ahp_data(admin_client, system, path, upper, action="check"))
    assert r.status_code == 200 and "一致性检验通过：CR = 0.0000" in r.get_data(as_text=True)
    assert versions(app) == []
    r = admin_client.post(path, data=ahp_data(admin_client, system, path, upper, action="save",
                                              reason="专家组两两比较"))
    assert r.status_code == 302
    (row,) = versions(app)
    assert row.rule == "ahp" and float(row.consistency_ratio) < 1e-9
    values = {k: float(v) for k, v in json.loads(row.values).items()}
    first_group = {i.id for i in system.scored_indicators if i.group == ahp_groups(system)[0].id}
    assert sum(v for k, v in values.items() if k in first_group) == pytest.approx(200 / (n + 1), abs=1e-4)
    assert "CR = 0.0000" in admin_client.get(URL).get_data(as_text=True)  # the flash on the detail page
    assert len(audit_events(app, event="weight_version_created")) == 1
    # The next AHP form starts from these judgements.
    again = admin_client.get(path).get_data(as_text=True)
    assert re.search(r'name="p_0_1"[^>]*>(?:(?!</select>).)*<option selected value="2"', again, re.S)


def test_ahp_inconsistent_matrix_is_refused_showing_the_cr_and_keeping_the_input(app, admin_client, system):
    path = URL + "/weights/ahp"
    n = len(ahp_groups(system))
    upper = ["9" if j == i + 1 else "1" for i in range(n) for j in range(i + 1, n)]
    upper[1] = "1/9"  # group 0 ≫ 1 ≫ 2, yet 2 ≫ 0
    r = admin_client.post(path, data=ahp_data(admin_client, system, path, upper, action="save",
                                              reason="循环判断"))
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    m = re.search(r"CR = (\d+\.\d{4})（须小于 0.10）", html)
    assert m and float(m.group(1)) >= 0.10
    assert re.search(r'name="p_0_2"[^>]*>(?:(?!</select>).)*<option selected value="1/9"', html, re.S)
    assert "循环判断" in html
    assert versions(app) == []
    # A value off the scale is a form error, never a 500.
    upper[0] = "10"
    r = admin_client.post(path, data=ahp_data(admin_client, system, path, upper, action="save", reason="x"))
    assert r.status_code == 200 and versions(app) == []


def test_compare_shows_the_differences(app, admin_client, system):
    first, second = system.scored_indicators[0], system.scored_indicators[1]
    assert direct_post(admin_client, system, reason="v1").status_code == 302
    assert direct_post(admin_client, system, reason="v2", **{f"w_{first.id}": str(first.weight + 3),
                                                             f"w_{second.id}": "0"}).status_code == 302
    a, b = versions(app)
    html = admin_client.get(f"{URL}/weights/compare?a={a.id}&b={b.id}").get_data(as_text=True)
    assert "共 2 项指标权重不同" in html
    row = re.search(re.escape(first.title) + r".*?</tr>", html, re.S).group(0)
    assert ">3<" in row and "table-warning" in html
    same = admin_client.get(f"{URL}/weights/compare?a=default&b={a.id}").get_data(as_text=True)
    assert "共 0 项指标权重不同" in same
    assert admin_client.get(f"{URL}/weights/compare?a=999&b={a.id}").status_code == 404
    assert admin_client.get(f"{URL}/weights/compare?a=default:nope&b={a.id}").status_code == 404


def test_entropy_rule_version_stores_the_rule_only_and_is_not_compared(app, admin_client):
    path = URL + "/weights/rule"
    token = csrf_token(admin_client, path)
    r = admin_client.post(path, data={"csrf_token": token, "rule": "entropy", "reason": ""})
    assert r.status_code == 200 and "请填写变更原因" in r.get_data(as_text=True) and versions(app) == []
    r = admin_client.post(path, data={"csrf_token": token, "rule": "borda", "reason": "x"})
    assert r.status_code == 200 and versions(app) == []
    r = admin_client.post(path, data={"csrf_token": token, "rule": "entropy", "reason": "按数据定权"})
    assert r.status_code == 302
    (row,) = versions(app)
    assert (row.rule, json.loads(row.values)) == ("entropy", {})
    html = admin_client.get(f"{URL}/weights/compare?a=default&b={row.id}").get_data(as_text=True)
    assert "无法比较" in html and "熵权法" in html


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
def test_other_roles_are_refused(app, system, role):
    with app.app_context():
        make_user(role, username="other")
    c = app.test_client()
    assert login(c, "other").status_code == 302
    token = csrf_token(c, "/auth/password")
    for path in ("/admin/criteria", URL, URL + "/weights/new", URL + "/weights/ahp",
                 URL + "/weights/rule", URL + "/weights/compare"):
        assert c.get(path).status_code == 403
    zeros = {f"w_{i.id}": "1" for i in system.scored_indicators}
    r = c.post(URL + "/weights/new", data={"csrf_token": token, "reason": "越权", **zeros})
    assert r.status_code == 403 and versions(app) == []
