"""Weight forms of /admin/criteria, built from the indicator system: direct weights and AHP judgements.

The forms only check the input's shape (text, control characters, allowed scale values); the
weight rules themselves are checked once, in `domain/weight_sets.py`, and the service's problems
are put back on the fields with `show_problems`.
"""
from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired

from ..domain.criteria import CriteriaSystem
from ..domain.marking import N_
from ..domain.weight_sets import SAATY_MEANING, SAATY_SCALE, ahp_groups
from ..i18n import in_language
from .base import BaseForm, options

REASON_HELP = "说明为何调整权重（依据、会议或文件），将记入版本与审计日志"


def weight_field_name(indicator_id: str) -> str:
    """The form field holding an indicator's weight."""
    return f"w_{indicator_id}"


def pair_field_name(i: int, j: int) -> str:
    """The select holding the judgement of group i over group j (i < j, file order)."""
    return f"p_{i}_{j}"


def _scale_label(text: str):
    num, _sep, den = text.partition("/")
    n = int(den or num)
    meaning = SAATY_MEANING.get(n)
    if meaning is None:
        return text
    if n == 1:
        return _("1 %(meaning)s", meaning=_(meaning))
    if den:
        return _("%(value)s 右方%(meaning)s", value=text, meaning=_(meaning))
    return _("%(value)s 左方%(meaning)s", value=text, meaning=_(meaning))


SCALE_CHOICES = [(text, _scale_label(text)) for text, _value in SAATY_SCALE]


class _WeightsBase(BaseForm):
    reason = TextAreaField(_("变更原因"), render_kw={"maxlength": 2000, "rows": 3})


def direct_weights_form(system: CriteriaSystem, data: Mapping[str, object] | None = None) -> BaseForm:
    """A form with one decimal text input per scored indicator (prefilled from ``data``)."""
    attrs = {weight_field_name(i.id): StringField(in_language(i), render_kw={"maxlength": 20,
                                                                      "inputmode": "decimal"})
             for i in system.scored_indicators}
    cls = type("DirectWeightsForm", (_WeightsBase,), attrs)
    if data is None:
        return cls()
    return cls(data={weight_field_name(k): v for k, v in data.items()})


def ahp_form(system: CriteriaSystem) -> BaseForm:
    """One select per upper-triangle pair of AHP groups on Saaty's scale (default 1)."""
    n = len(ahp_groups(system))
    attrs = {pair_field_name(i, j): SelectField(choices=options(SCALE_CHOICES), default="1",
                                                validators=[InputRequired(N_("请选择判断值"))])
             for i in range(n) for j in range(i + 1, n)}
    return type("AhpForm", (_WeightsBase,), attrs)()


class RuleForm(_WeightsBase):
    """Choose a data-driven rule: the values are computed from each run's own matrix."""

    rule = SelectField(_("权重规则"), choices=options([("entropy", _("熵权法")), ("critic", _("CRITIC法"))]),
                       validators=[InputRequired(N_("请选择权重规则"))])


def show_problems(form: BaseForm, problems: Mapping[str, str]) -> list[str]:
    """Put the service's problems on the matching fields; return those that belong to no field."""
    general = []
    for key, message in problems.items():
        name = key if key in ("reason",) else weight_field_name(key) if key else ""
        field = form._fields.get(name) if name else None
        if field is None:
            general.append(message)
        else:
            field.errors = list(field.errors) + [message]
    return general
