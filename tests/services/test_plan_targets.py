"""Creation-plan targets: versions with author, time and reason, the lock once a round's
self-evaluation opens, the template and all-or-nothing import, a field added to the criteria file,
and the unit round trip through scoring into the issued report."""
from __future__ import annotations

import io
import json
import shutil
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from evalsys.domain.criteria import default_criteria_dir
from evalsys.domain.units import format_plan, parse_plan, parse_printed
from evalsys.extensions import db
from evalsys.models import AuditRecord, BaseTarget, BaseTargetVersion, Role
from evalsys.reporting.evaluation_report import render_evaluation_report
from evalsys.services import plan_targets as svc
from evalsys.services import plan_targets_import as importer
from evalsys.services.evaluation_reports import build_doc
from evalsys.models.types import utcnow
from tests.evalutil import PLAN_TARGETS, make_perf_base, make_round
from tests.factories import make_user

EXTRA_FIELD = '''
[[fields]]
id = "plan_live_streams"
label = "方案目标：直播带货场次"
kind = "integer"
unit = "场"
min = 0
source = "plan"
'''


def _targets(base) -> dict[str, int]:
    return {t.field_id: t.value for t in db.session.scalars(select(BaseTarget).where(BaseTarget.base_id == base.id))}


def _workbook(rows: list[list]) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _template_rows(data: bytes) -> list[list]:
    wb = load_workbook(io.BytesIO(data))
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


def test_each_change_is_a_version_with_author_time_reason_and_audit(app):
    with app.app_context():
        admin = make_user(Role.ADMIN, commit=False)
        base = make_perf_base()
        assert svc.current_version(base) == 1  # registering the base with targets is version 1
        system = svc.plan_system(base)
        values, errors = svc.parse_targets(system, {**{f.id: "" for f in svc.plan_fields(system)},
                                                    "plan_leverage": "3.1", "plan_new_jobs": "2,500",
                                                    "plan_arrival_rate": "100%"})
        assert errors == {}
        change = svc.set_targets(base, values, actor=admin, reason="按批复的创建方案填写")
        db.session.commit()
        v = change.version
        assert (v.number, v.created_by_id, v.reason, v.after_lock, v.source) == (2, admin.id, "按批复的创建方案填写",
                                                                                 False, "form")
        assert v.created_at is not None and v.changes["plan_leverage"] == [30_000, 31_000]
        assert _targets(base) == {"plan_leverage": 31_000, "plan_new_jobs": 2_500, "plan_arrival_rate": 10_000}
        assert v.values == _targets(base)
        record = db.session.scalars(select(AuditRecord).where(AuditRecord.event == "base_targets_changed")
                                    .order_by(AuditRecord.id.desc())).first()
        detail = json.loads(record.detail)
        assert record.user_id == admin.id and detail["version"] == 2
        assert detail["changes"]["plan_new_jobs"] == [2000, 2500]
        # Saving the same values again makes no version.
        assert not svc.set_targets(base, values, actor=admin).changed
        assert [h.number for h in svc.history(base)] == [2, 1]


def test_refusals_unknown_field_stale_version_and_non_integers(app):
    with app.app_context():
        admin = make_user(Role.ADMIN, commit=False)
        base = make_perf_base()
        with pytest.raises(svc.PlanTargetError, match="未知的目标字段"):
            svc.set_targets(base, {"plan_unknown": 1}, actor=admin)
        with pytest.raises(svc.PlanTargetError, match="已被他人修改"):
            svc.set_targets(base, {"plan_tasks": 13}, actor=admin, expected_version=0)
        with pytest.raises(TypeError):
            svc.set_targets(base, {"plan_tasks": 13.0}, actor=admin)  # type: ignore[dict-item]
        assert _targets(base)["plan_tasks"] == 12


def test_locked_once_the_round_self_evaluation_opens(app):
    with app.app_context():
        admin = make_user(Role.ADMIN, commit=False)
        base = make_perf_base()
        assert svc.locking_round(base) is None
        round_ = make_round([base])
        assert svc.locking_round(base).id == round_.id
        with pytest.raises(svc.PlanTargetError, match="已锁定") as refused:
            svc.set_targets(base, {**_targets(base), "plan_tasks": 10}, actor=admin)
        assert "reason" in refused.value.errors and _targets(base)["plan_tasks"] == 12
        change = svc.set_targets(base, {**_targets(base), "plan_tasks": 10}, actor=admin, reason="批复调整创建任务")
        db.session.commit()
        assert change.version.after_lock and _targets(base)["plan_tasks"] == 10
        record = db.session.scalars(select(AuditRecord).where(AuditRecord.event == "base_targets_changed")
                                    .order_by(AuditRecord.id.desc())).first()
        detail = json.loads(record.detail)
        assert detail["after_lock"] is True and detail["round"] == round_.code
        assert detail["reason"] == "批复调整创建任务"


def test_template_lists_every_base_and_import_round_trips(app):
    with app.app_context():
        admin = make_user(Role.ADMIN, commit=False)
        a, b = make_perf_base(), make_perf_base()
        system = svc.plan_system()
        rows = _template_rows(importer.template_bytes(system, [a, b]))
        assert rows[0][:3] == ["基地编号", "基地名称", "方案目标：资金到位率（通常 100%）（%）"]
        assert "方案目标：每元中央资金带动社会投资（元/元）" in rows[0]
        lev = rows[0].index("方案目标：每元中央资金带动社会投资（元/元）")
        assert rows[1][0] == a.code and rows[1][lev] == 3  # 30000 in 1/10000 is 3 元/元
        rows[1][lev] = 3.1                                  # typed in Excel as a number
        rows[2][lev] = "2.75"
        result = importer.import_targets(_workbook(rows), actor=admin, filename="t.xlsx", system=system)
        assert result.ok and result.changed == [a.code, b.code]
        db.session.commit()
        assert _targets(a)["plan_leverage"] == 31_000 and _targets(b)["plan_leverage"] == 27_500
        assert svc.history(a)[0].source == "import"
        # Importing the same file again changes nothing and adds no version.
        again = importer.import_targets(_workbook(rows), actor=admin, system=system)
        assert again.changed == [] and again.unchanged == [a.code, b.code]


def test_import_is_all_or_nothing_with_a_row_and_column_report(app):
    with app.app_context():
        admin = make_user(Role.ADMIN, commit=False)
        a, b = make_perf_base(), make_perf_base()
        make_round([b])  # b is locked
        system = svc.plan_system()
        rows = _template_rows(importer.template_bytes(system, [a, b]))
        header = rows[0]
        jobs = header.index("方案目标：新增就业人数（人）")
        rate = header.index("方案目标：项目验收合格率（%）")
        rows[1][jobs] = 2100           # valid change of a
        rows[2][jobs] = 2200           # change of locked b without a reason
        rows.append(["B9-99", "无此基地"] + [None] * (len(header) - 2))
        rows.append([a.code, a.name] + [None] * (len(header) - 2))
        rows[1][rate] = "95.555"
        result = importer.import_targets(_workbook(rows), actor=admin, system=system)
        assert not result.ok
        report = [(e.row, e.column, e.message) for e in result.errors]
        assert (2, "方案目标：项目验收合格率（%）", "百分比最多保留两位小数") in report
        assert any(r == 3 and c == "基地编号" and "已锁定" in m for r, c, m in report)
        assert (4, "基地编号", "基地编号 B9-99 不存在") in report
        assert (5, "基地编号", "与第2行是同一个基地") in report
        assert _targets(a)["plan_new_jobs"] == 2000 and _targets(b)["plan_new_jobs"] == 2000  # nothing saved
        # With a reason and the mistakes fixed, both are saved; b's change is marked as after the lock.
        rows[1][rate] = 95
        ok = importer.import_targets(_workbook(rows[:3]), actor=admin, system=system, reason="创建方案调整")
        assert ok.ok and ok.changed == [a.code, b.code]
        assert _targets(a)["plan_new_jobs"] == 2100 and svc.history(b)[0].after_lock


def test_import_refuses_wrong_template(app):
    with app.app_context():
        admin = make_user(Role.ADMIN, commit=False)
        with pytest.raises(svc.PlanTargetError, match="模板不正确"):
            importer.import_targets(_workbook([["基地编号", "别的列"]]), actor=admin, system=svc.plan_system())
        with pytest.raises(svc.PlanTargetError, match="不是有效的Excel"):
            importer.import_targets(b"PK\x03\x04 not a workbook", actor=admin, system=svc.plan_system())


class TestLimits:
    @pytest.fixture
    def app_config(self, app_config):
        app_config.update(FUNDS_IMPORT_MAX_BYTES=20_000, PLAN_IMPORT_MAX_ROWS=5)
        return app_config

    def test_size_and_rows_are_refused_before_parsing(self, app, monkeypatch):
        with app.app_context():
            admin = make_user(Role.ADMIN, commit=False)
            system = svc.plan_system()
            header = importer.headers(system)

            def must_not_parse(*args, **kwargs):
                raise AssertionError("openpyxl must not see a refused file")

            monkeypatch.setattr(importer, "load_workbook", must_not_parse)
            with pytest.raises(svc.PlanTargetError, match="行数过多"):
                importer.import_targets(_workbook([header] + [["B1-01"]] * 10), actor=admin, system=system)
            with pytest.raises(svc.PlanTargetError, match="文件过大"):
                importer.import_targets(b"x" * 20_001, actor=admin, system=system)


class TestAddedField:
    """A plan field added to a (copied) criteria file appears in the form, template and import."""

    @pytest.fixture
    def app_config(self, app_config, tmp_path):
        folder = tmp_path / "criteria"
        shutil.copytree(default_criteria_dir(), folder)
        perf = folder / "perf-base-b1.v1.toml"
        perf.write_text(perf.read_text(encoding="utf-8") + EXTRA_FIELD, encoding="utf-8")
        app_config["CRITERIA_DIR"] = str(folder)
        return app_config

    def test_extra_field_everywhere_without_code(self, app):
        from tests.conftest import login, post

        with app.app_context():
            admin = make_user(Role.ADMIN, username="plan-admin", commit=False)
            base = make_perf_base()
            system = svc.plan_system(base)
            assert "plan_live_streams" in [f.id for f in svc.plan_fields(system)]
            rows = _template_rows(importer.template_bytes(system, [base]))
            assert rows[0][-1] == "方案目标：直播带货场次（场）"
            rows[1][-1] = 120
            assert importer.import_targets(_workbook(rows), actor=admin, system=system).ok
            db.session.commit()
            assert _targets(base)["plan_live_streams"] == 120
            base_id = base.id
        client = app.test_client()
        login(client, "plan-admin")
        url = f"/admin/funds/bases/{base_id}/targets"
        page = client.get(url).get_data(as_text=True)
        assert "方案目标：直播带货场次（场）" in page and 'name="plan_live_streams"' in page and 'value="120"' in page
        assert "120 场" in client.get(f"/admin/funds/bases/{base_id}").get_data(as_text=True)
        form = {f: v for f, v in _form_values(page).items()}
        form["plan_live_streams"] = "150"
        r = post(client, url, form, token_from=url)
        assert r.status_code == 302
        with app.app_context():
            assert db.session.scalar(select(BaseTarget.value).where(BaseTarget.field_id == "plan_live_streams")) == 150


def _form_values(html: str) -> dict[str, str]:
    import re

    values = {}
    for m in re.finditer(r'<input[^>]*name="([a-z_]+)"[^>]*>', html):
        tag = m.group(0)
        v = re.search(r'value="([^"]*)"', tag)
        values[m.group(1)] = v.group(1) if v else ""
    values.pop("csrf_token", None)
    return values


def test_entered_target_is_the_number_printed_in_the_report(app):
    """Property over the whole path: typed → stored → scored → the report's table and PDF text."""
    with app.app_context():
        admin = make_user(Role.ADMIN, commit=False)
        base = make_perf_base()
        ev = make_round([base]).evaluations[0]
        system = svc.plan_system(base)
        fields = {f.id: f for f in svc.plan_fields(system)}
        by_target = {i.rule.target_field: i for i in system.scored_indicators if i.type != "E"}
        places = {"money": 2, "ratio": 2, "integer": 0, "decimal": 4}

        @settings(max_examples=25, deadline=None)
        @given(st.sampled_from(sorted(by_target)), st.integers(min_value=1, max_value=10**8))
        def check(field_id, n):
            f = fields[field_id]
            entered = Decimal(n % 10_000 if f.kind == "ratio" else n).scaleb(-places[f.kind]) or Decimal(1)
            value = parse_plan(f, f"{entered:f}")
            svc.set_targets(base, {**PLAN_TARGETS, field_id: value}, actor=admin, reason="性质测试")
            doc = build_doc(ev, serial="TEST-0001-ABCDEFGHJK", issued_at=utcnow(), system=system)
            printed_target = dict(doc.targets)[f.label]
            row = next(r for g in doc.groups for r in g.rows if r.title == by_target[field_id].title)
            for printed in (printed_target, row.target):
                assert parse_printed(f, printed) == entered, (printed, entered)
                assert printed == format_plan(f, value)

        check()
        svc.set_targets(base, {**PLAN_TARGETS, "plan_leverage": parse_plan(fields["plan_leverage"], "3.1")},
                        actor=admin, reason="回到 3.1")
        pdf = render_evaluation_report(build_doc(ev, serial="TEST-0001-ABCDEFGHJK", issued_at=utcnow(),
                                                 system=system))
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        assert "3.1 元/元" in text and "31000" not in text and "31,000" not in text
