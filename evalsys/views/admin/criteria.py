"""/admin/criteria: the indicator systems as trees, and their weight versions (direct, AHP, compare)."""
from __future__ import annotations

import json
import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ...boundary import discard_changes
from ...domain.errors import DomainError
from ...domain.criteria import CriteriaError, CriteriaSystem
from ...domain.weight_sets import (WeightSetError, ahp_group_weights, ahp_groups, decimal_text, saaty_label,
                                  saaty_value)
from ...domain.weights import ahp_from_upper
from ...extensions import db
from ...forms.criteria import RuleForm, ahp_form, direct_weights_form, pair_field_name, show_problems, weight_field_name
from ...i18n import gettext, in_language
from ...models import Role, WeightVersion
from ...services import admin_query
from ...permissions import roles_required
from ...services import criteria as criteria_svc
from ...services import weights as weights_svc


_SYSTEM_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")


RACE_MESSAGE = "另一位管理员刚刚创建了新的权重版本，请刷新后重试"


def _load_system(system_id: str, version: int) -> CriteriaSystem:
    if not _SYSTEM_ID.match(system_id):
        abort(404)
    try:
        system = criteria_svc.system(system_id, version)
    except CriteriaError:
        abort(404)
    if (system.id, system.version) != (system_id, version):
        abort(404)
    return system


def _category(system: CriteriaSystem) -> str:
    """The ?category= of the request: "" (whole system) or one of the system's categories."""
    code = request.args.get("category", "")
    if code and code not in {c.code for c in system.categories}:
        abort(404)
    return code


def _authors(rows: list[WeightVersion]) -> dict[int, str]:
    ids = {r.author_id for r in rows if r.author_id is not None}
    if not ids:
        return {}
    users = admin_query.users_by_ids(ids)
    return {u.id: u.display_name or u.username for u in users}


def _save(system: CriteriaSystem, **kwargs) -> WeightVersion | str:
    """One service call; the new version, or a Chinese message when another admin won the number."""
    try:
        row = weights_svc.create_weight_version(system, actor=current_user._get_current_object(), **kwargs)
        db.session.flush()
    except IntegrityError:
        discard_changes()
        return RACE_MESSAGE
    except DomainError:  # shown on the form by the caller; nothing of it is kept
        discard_changes()
        raise
    return row


@roles_required(Role.ADMIN)
def criteria():
    """Every valid indicator system version with its hash and number of weight versions."""
    systems = sorted(criteria_svc.available(), key=lambda s: (s.kind, s.id, s.version))
    counts = admin_query.weight_version_counts()
    return render_template("criteria/list.html", systems=systems, counts=counts)


@roles_required(Role.ADMIN)
def criteria_detail(system_id: str, version: int):
    """The tree: groups → indicators, the fields, category overrides and the weight versions."""
    system = _load_system(system_id, version)
    versions = weights_svc.weight_versions(system)
    return render_template("criteria/detail.html", system=system, versions=versions,
                           authors=_authors(versions), rule_labels=weights_svc.RULE_LABELS,
                           category_labels={c.code: c.label for c in system.categories})


@roles_required(Role.ADMIN)
def weights_new(system_id: str, version: int):
    """Set weights directly (prefilled with the latest direct/AHP version or the defaults)."""
    system = _load_system(system_id, version)
    category = _category(system)
    latest = weights_svc.latest_weight_version(system, category)
    base = weights_svc.version_values(latest) if latest is not None and latest.rule in ("direct", "ahp") \
        else weights_svc.default_values(system, category)
    if request.method == "GET":
        form = direct_weights_form(system, {k: decimal_text(v) for k, v in base.items()})
    else:
        form = direct_weights_form(system)
    errors: list[str] = []
    if form.validate_on_submit():
        values = {i.id: form[weight_field_name(i.id)].data for i in system.scored_indicators}
        try:
            result = _save(system, category=category, rule="direct", values=values, reason=form.reason.data)
        except WeightSetError as exc:
            errors = show_problems(form, exc.by_field)
        else:
            if isinstance(result, str):
                errors = [result]
            else:
                flash(gettext("已创建权重版本 %(number)s（直接设定）", number=result.number), "success")
                return redirect(url_for("admin.criteria_detail", system_id=system.id, version=system.version))
    return render_template("criteria/weights_direct.html", system=system, form=form, errors=errors,
                           category=category, latest=latest,
                           category_labels={c.code: c.label for c in system.categories})


@roles_required(Role.ADMIN)
def weights_ahp(system_id: str, version: int):
    """Pairwise comparison of the level-1 groups; "check" shows the CR, "save" creates a version."""
    system = _load_system(system_id, version)
    category = _category(system)
    groups = ahp_groups(system)
    form = ahp_form(system)
    errors: list[str] = []
    preview = None
    status = 200
    if request.method == "GET":
        latest = next((v for v in weights_svc.weight_versions(system, category) if v.rule == "ahp"), None)
        if latest is not None:
            _prefill(form, latest, [g.id for g in groups])
    elif form.validate_on_submit():
        n = len(groups)
        matrix = ahp_from_upper([float(saaty_value(form[pair_field_name(i, j)].data))
                                 for i in range(n) for j in range(i + 1, n)], n)
        try:
            if request.form.get("action") == "check":
                preview = ahp_group_weights(system, matrix, category or None)
            else:
                result = _save(system, category=category, rule="ahp", ahp_matrix=matrix,
                               reason=form.reason.data)
                if isinstance(result, str):
                    errors = [result]
                else:
                    flash(gettext("已创建权重版本 %(number)s（层次分析法，CR = %(cr)s）", number=result.number,
                                  cr=format(float(result.consistency_ratio), ".4f")),
                          "success")
                    return redirect(url_for("admin.criteria_detail", system_id=system.id,
                                            version=system.version))
        except WeightSetError as exc:
            errors = show_problems(form, exc.by_field)
            status = 422 if exc.cr is not None else 200
    return render_template("criteria/weights_ahp.html", system=system, form=form, groups=groups,
                           errors=errors, preview=preview, category=category, pair_field_name=pair_field_name,
                           preview_rows=list(zip(groups, preview.result.weights)) if preview else [],
                           category_labels={c.code: c.label for c in system.categories}), status


@roles_required(Role.ADMIN)
def weights_rule(system_id: str, version: int):
    """Adopt entropy or CRITIC: only the rule is versioned, each run stores its computed values."""
    system = _load_system(system_id, version)
    category = _category(system)
    form = RuleForm()
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            result = _save(system, category=category, rule=form.rule.data, reason=form.reason.data)
        except WeightSetError as exc:
            errors = show_problems(form, exc.by_field)
        else:
            if isinstance(result, str):
                errors = [result]
            else:
                flash(gettext("已创建权重版本 %(number)s（%(rule)s）", number=result.number,
                              rule=gettext(weights_svc.RULE_LABELS[result.rule])), "success")
                return redirect(url_for("admin.criteria_detail", system_id=system.id,
                                        version=system.version))
    return render_template("criteria/weights_rule.html", system=system, form=form, errors=errors,
                           category=category, category_labels={c.code: c.label for c in system.categories})


def _prefill(form, row: WeightVersion, group_ids: list[str]) -> None:
    """Start from the latest AHP judgements when they were made over the same groups."""
    stored = json.loads(row.ahp_matrix or "{}")
    if stored.get("elements") != group_ids:
        return
    matrix = stored["matrix"]
    for i in range(len(group_ids)):
        for j in range(i + 1, len(group_ids)):
            form[pair_field_name(i, j)].data = saaty_label(matrix[i][j])


def _pick(system: CriteriaSystem, token: str) -> tuple[WeightVersion | None, str]:
    """A compare operand: "<id>" of a version, or "default" / "default:<category>"."""
    if token == "default" or token.startswith("default:"):
        code = token.partition(":")[2]
        if code and code not in {c.code for c in system.categories}:
            abort(404)
        return None, code
    if not token.isdigit():
        abort(404)
    row = weights_svc.get_weight_version(system, int(token))
    if row is None:
        abort(404)
    return row, row.category


@roles_required(Role.ADMIN)
def weights_compare(system_id: str, version: int):
    """Two weight sets side by side: old, new, difference, normalised shares."""
    system = _load_system(system_id, version)
    versions = weights_svc.weight_versions(system)
    a_token, b_token = request.args.get("a", "default"), request.args.get("b", "")
    if not b_token and versions:
        b_token = str(versions[0].id)
    comparison, errors = None, []
    if b_token:
        (a, a_cat), (b, b_cat) = _pick(system, a_token), _pick(system, b_token)
        try:
            comparison = weights_svc.compare_versions(a, b, system=system, a_category=a_cat, b_category=b_cat)
        except WeightSetError as exc:
            errors = list(exc.by_field.values())
    choices = [("default", gettext("文件默认权重"))] + [
        (f"default:{c.code}", gettext("文件默认权重（%(category)s）", category=in_language(c))) for c in system.categories]
    labels = {c.code: in_language(c) for c in system.categories}
    choices += [(str(v.id), gettext("%(scope)s 第%(number)s版（%(rule)s）", scope=labels.get(v.category) or gettext("全体"),
                                    number=v.number, rule=gettext(weights_svc.RULE_LABELS[v.rule])))
                for v in versions]
    return render_template("criteria/compare.html", system=system, comparison=comparison, errors=errors,
                           choices=choices, a=a_token, b=b_token,
                           groups={g.id: in_language(g) for g in system.groups})
