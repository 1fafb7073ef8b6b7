"""Weight versions: direct (exact decimals), AHP over the level-1 groups, rules, numbering, audit, compare."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from evalsys.domain.weight_sets import (WeightSetError, ahp_group_weights, ahp_groups, check_direct,
                                        parse_weight)
from evalsys.domain.weights import ahp_from_upper
from evalsys.extensions import db
from evalsys.models import AuditRecord, Role, WeightVersion
from evalsys.services import criteria as criteria_svc
from evalsys.services import weights as svc
from tests.factories import make_user

BASE = ("base-2015-b2", 1)
ENTERPRISE = ("enterprise-2015-2016", 1)


def consistent_matrix(weights: list[float]) -> list[list[float]]:
    """a[i][j] = w_i / w_j: perfectly consistent, its AHP weights are w normalised."""
    return [[wi / wj for wj in weights] for wi in weights]


def direct_values(system, **overrides) -> dict[str, str]:
    values = {i.id: str(i.weight) for i in system.scored_indicators}
    values.update(overrides)
    return values


def audit_count(event: str) -> int:
    return db.session.scalar(select(func.count(AuditRecord.id)).where(AuditRecord.event == event))


def test_direct_versions_are_numbered_per_category_stored_exactly_and_audited(app):
    with app.app_context():
        admin = make_user(Role.ADMIN, commit=False)
        system = criteria_svc.system(*ENTERPRISE)
        first_id = system.scored_indicators[0].id
        v1 = svc.create_weight_version(system, rule="direct", reason="专家论证会意见",
                                       values=direct_values(system, **{first_id: "12.50"}), actor=admin)
        v2 = svc.create_weight_version(system, rule="direct", reason="再次调整",
                                       values=direct_values(system, **{first_id: "0.1"}), actor=admin)
        other = svc.create_weight_version(system, category="service", rule="direct", reason="服务类",
                                          values=direct_values(system), actor=admin)
        assert (v1.number, v2.number, other.number) == (1, 2, 1)
        stored = json.loads(v1.values)
        assert stored[first_id] == "12.5" and set(stored) == {i.id for i in system.scored_indicators}
        assert svc.version_values(v2)[first_id] == Decimal("0.1")  # never passes through float
        assert v1.author_id == admin.id and v1.reason == "专家论证会意见" and v1.created_at is not None
        assert audit_count("weight_version_created") == 3
        row = db.session.scalar(select(AuditRecord).where(AuditRecord.object_id == str(v2.id)))
        assert row.object_type == "weight_versions" and json.loads(row.detail)["number"] == 2
        assert [v.number for v in svc.weight_versions(system, "")] == [2, 1]
        assert svc.latest_weight_version(system, "service").id == other.id
        assert svc.latest_weight_version(system, "retail") is None


@pytest.mark.parametrize("override, message", [
    ("-1", "不能为负数"), ("abc", "须为数字"), ("NaN", "有限"), ("1e400", "不能大于"),
    ("0.0000001", "6 位小数"), ("", "请填写权重")])
def test_direct_refuses_bad_values_naming_the_indicator(app, override, message):
    with app.app_context():
        system = criteria_svc.system(*BASE)
        target = system.scored_indicators[2]
        with pytest.raises(WeightSetError) as err:
            svc.create_weight_version(system, rule="direct", reason="x", actor=None,
                                      values=direct_values(system, **{target.id: override}))
        assert message in err.value.by_field[target.id] and target.title in err.value.by_field[target.id]
        assert db.session.scalar(select(func.count(WeightVersion.id))) == 0


def test_direct_refuses_all_zero_missing_unknown_and_no_reason_all_at_once(app):
    with app.app_context():
        system = criteria_svc.system(*BASE)
        with pytest.raises(WeightSetError, match="全部为零"):
            check_direct(system, {i.id: "0" for i in system.scored_indicators})
        values = direct_values(system)
        missing = system.scored_indicators[0].id
        del values[missing]
        values["gate_firms"] = "1"  # a gate gives no points, so it takes no weight
        with pytest.raises(WeightSetError) as err:
            svc.create_weight_version(system, rule="direct", values=values, reason="  ", actor=None)
        assert set(err.value.by_field) == {"", missing, "reason"}
        assert "gate_firms" in err.value.by_field[""]
        with pytest.raises(WeightSetError) as err:
            svc.create_weight_version(system, rule="direct", values=direct_values(system),
                                      reason="含\x00字节", actor=None)
        assert "控制字符" in err.value.by_field["reason"]
        with pytest.raises(WeightSetError):
            svc.create_weight_version(system, category="retail", rule="direct",
                                      values=direct_values(system), reason="无此类别", actor=None)


def test_parse_weight_is_exact_and_canonical():
    assert str(parse_weight(" 4.500 ")) == "4.5" and str(parse_weight("10")) == "10"
    assert str(parse_weight("-0")) == "0" and str(parse_weight("1E+1")) == "10"
    with pytest.raises(ValueError):
        parse_weight(0.1)  # a float has already lost the decimal the user typed


def test_ahp_consistent_matrix_gives_the_known_group_weights_split_by_default_shares(app):
    with app.app_context():
        system = criteria_svc.system(*BASE)
        groups = ahp_groups(system)
        assert "eligibility" not in [g.id for g in groups]  # the gate group gives no points
        known = [4.0, 1.0, 2.0, 1.0, 0.5, 0.5][:len(groups)]
        version = svc.create_weight_version(system, rule="ahp", ahp_matrix=consistent_matrix(known),
                                            reason="AHP 专家判断", actor=None)
        assert float(version.consistency_ratio) <= 1e-12
        values = svc.version_values(version)
        total = sum(known)
        for g, k in zip(groups, known):
            members = [i for i in system.scored_indicators if i.group == g.id]
            group_sum = sum(values[i.id] for i in members)
            assert abs(float(group_sum) - 100 * k / total) < 1e-5
            default_sum = sum(i.weight for i in members)
            for i in members:  # inside a group the file's proportions are kept
                assert abs(float(values[i.id]) - 100 * k / total * i.weight / default_sum) < 1e-5
        stored = json.loads(version.ahp_matrix)
        assert stored["over"] == "groups" and stored["elements"] == [g.id for g in groups]
        assert audit_count("weight_version_created") == 1


def test_ahp_uses_the_category_overrides_for_the_shares(app):
    with app.app_context():
        system = criteria_svc.system(*ENTERPRISE)
        n = len(ahp_groups(system))
        plain = ahp_group_weights(system, consistent_matrix([1.0] * n)).values
        innovation = ahp_group_weights(system, consistent_matrix([1.0] * n), "innovation").values
        assert plain != innovation
        overrides = dict(system.category("innovation").weights)
        changed = [k for k in plain if plain[k] != innovation[k]]
        assert set(changed) & set(overrides)


def test_ahp_inconsistent_matrix_is_refused_with_its_cr(app):
    with app.app_context():
        system = criteria_svc.system(*BASE)
        n = len(ahp_groups(system))
        # Circular judgements: 1 ≫ 2, 2 ≫ 3, yet 3 ≫ 1.
        upper = [9.0 if j == i + 1 else 1.0 for i in range(n) for j in range(i + 1, n)]
        upper[1] = 1 / 9
        with pytest.raises(WeightSetError) as err:
            svc.create_weight_version(system, rule="ahp", ahp_matrix=ahp_from_upper(upper, n),
                                      reason="循环判断", actor=None)
        assert err.value.cr is not None and err.value.cr >= 0.10
        assert f"{err.value.cr:.4f}" in err.value.by_field[""]
        with pytest.raises(WeightSetError, match="判断矩阵须为"):
            ahp_group_weights(system, consistent_matrix([1.0, 2.0]))
        assert db.session.scalar(select(func.count(WeightVersion.id))) == 0


@pytest.mark.parametrize("rule", ["entropy", "critic"])
def test_entropy_and_critic_store_the_rule_only(app, rule):
    with app.app_context():
        system = criteria_svc.system(*BASE)
        version = svc.create_weight_version(system, rule=rule, reason="按数据定权", actor=None)
        assert version.rule == rule and json.loads(version.values) == {} and version.ahp_matrix is None
        assert svc.version_values(version) == {}
        with pytest.raises(WeightSetError, match="无法比较"):
            svc.compare_versions(None, version, system=system)
    with app.app_context(), pytest.raises(WeightSetError, match="未知"):
        svc.create_weight_version(criteria_svc.system(*BASE), rule="borda", reason="x", actor=None)


def test_compare_reports_old_new_difference_and_shares(app):
    with app.app_context():
        system = criteria_svc.system(*BASE)
        first, second = system.scored_indicators[0], system.scored_indicators[1]
        a = svc.create_weight_version(system, rule="direct", reason="a", actor=None,
                                      values=direct_values(system))
        b = svc.create_weight_version(system, rule="direct", reason="b", actor=None,
                                      values=direct_values(system, **{first.id: str(first.weight + 10),
                                                                       second.id: "0"}))
        comparison = svc.compare_versions(a, b)
        rows = {r.indicator_id: r for r in comparison.rows}
        assert {r.indicator_id for r in comparison.changed} == {first.id, second.id}
        assert rows[first.id].difference == Decimal(10)
        assert rows[second.id].new == 0 and rows[second.id].difference == -Decimal(str(second.weight))
        assert sum(r.new_share for r in comparison.rows) == pytest.approx(Decimal(1), abs=Decimal("1e-5"))
        assert rows[first.id].new_share == pytest.approx(
            Decimal(str(first.weight + 10)) / Decimal(100 + 10 - second.weight), abs=Decimal("1e-6"))
        assert rows[first.id].share_difference > 0 > rows[second.id].share_difference
        # Against the file's defaults, version a (the defaults themselves) changes nothing.
        assert svc.compare_versions(None, a, system=system).changed == []
