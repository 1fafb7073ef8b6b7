"""Forms of the creation-plan targets: the edit form is built from the criteria file's `plan`
fields (one text input per field, labelled with the unit people write), so a field added to the
file appears without code. Values are parsed by the service (domain/units.py); forms only validate."""
from __future__ import annotations

from flask_babel import lazy_gettext as _
from flask_wtf.file import FileField
from wtforms import HiddenField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

from ..domain.criteria import Field
from ..domain.units import unit_label
from ..i18n import in_language
from .base import BaseForm

REASON_HELP = "自评开始后目标值已锁定，修改必须填写理由"


class _TargetsBase(BaseForm):
    version = HiddenField()
    reason = TextAreaField(_("修改理由"), validators=[Optional(), Length(max=500)],
                           render_kw={"maxlength": 500, "rows": 2})
    submit = SubmitField(_("保存目标值"))


def field_label(f: Field):
    unit = unit_label(f)
    return _("%(label)s（%(unit)s）", label=in_language(f), unit=_(unit)) if unit else in_language(f)


def targets_form(fields: list[Field], **kwargs) -> BaseForm:
    """A form with one input per plan field, named by the field id."""

    class TargetsForm(_TargetsBase):
        pass

    for f in fields:
        setattr(TargetsForm, f.id, StringField(field_label(f), validators=[Optional(), Length(max=40)],
                                               render_kw={"maxlength": 40, "inputmode": "decimal"}))
    form = TargetsForm(**kwargs)
    form.plan_fields = [getattr(form, f.id) for f in fields]
    return form


class TargetsImportForm(BaseForm):
    """An xlsx filled from the targets template, with the reason for locked bases."""

    file = FileField(_("Excel文件（xlsx）"))
    reason = TextAreaField(_("修改理由（修改已锁定基地的目标值时必填）"), validators=[Optional(), Length(max=500)],
                           render_kw={"maxlength": 500, "rows": 2})
    submit = SubmitField(_("导入"))
