"""The objection form (enterprise) and the resolution form (operator), with display labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.disputes.services import EVIDENCE_MAX, NOTE_MAX, REASON_MAX
from app.forms import outcome_field, required_text

STATUS_LABELS = {
    "open": _l("处理中"),
    "corrected": _l("已更正"),
    "withdrawn": _l("记录已撤销"),
    "upheld": _l("维持原记录"),
}
STATUS_BADGES = {"open": "badge-warn", "corrected": "badge-ok", "withdrawn": "badge-ok",
                 "upheld": ""}  # fmt: skip
OUTCOME_CHOICES = [
    SelectChoice("corrected", _l("更正：按下列值改正记录")),
    SelectChoice("withdrawn", _l("撤销：该记录不再使用")),
    SelectChoice("upheld", _l("维持：记录无误，说明理由")),
]
FIELD_LABELS = {
    "category": _l("类别"), "ref_no": _l("决定文书号"), "authority": _l("决定机关"),
    "decided_on": _l("决定日期"), "valid_until": _l("有效期至"), "content": _l("内容"),
    "penalty_amount": _l("罚款金额"), "severity": _l("严重程度"), "year": _l("评价年度"),
    "grade": _l("纳税信用级别"), "period": _l("所属期"), "tax_type": _l("税种"),
    "amount": _l("实缴金额"), "due_on": _l("缴款期限"), "paid_on": _l("缴款日期"),
    "utility": _l("类别"), "amount_due": _l("应缴金额"), "amount_paid": _l("实缴金额"),
    "headcount": _l("参保人数"),
}  # fmt: skip


class DisputeForm(FlaskForm):
    """What the enterprise contests and why."""

    field = SelectField(_l("有误的字段（可选）"), choices=[], validators=[Optional()])
    reason = required_text(_l("异议理由"), _l("请填写异议理由"), REASON_MAX)
    evidence = TextAreaField(
        _l("证明材料说明（可选）"),
        validators=[Optional(), Length(max=EVIDENCE_MAX, message=_l("内容过长"))],
    )
    files = MultipleFileField(_l("证明材料文件（可选，PDF、JPEG 或 PNG）"))


class ForwardForm(FlaskForm):
    """转交来源机关: the authority that holds the record, and what it is asked."""

    authority = StringField(
        _l("来源机关"),
        validators=[
            DataRequired(message=_l("请填写来源机关")),
            Length(max=200, message=_l("内容过长")),
        ],
    )
    note = TextAreaField(
        _l("转交说明（可选）"),
        validators=[Optional(), Length(max=NOTE_MAX, message=_l("内容过长"))],
    )


class ResolveForm(FlaskForm):
    """The operator's decision; the corrected values are `value_<field>` inputs added per
    source by `resolve_form()`."""

    outcome = outcome_field(_l("处理结果"), OUTCOME_CHOICES, _l("请选择处理结果"))
    note = required_text(_l("处理说明"), _l("请填写处理说明"), NOTE_MAX)


def resolve_form(value_fields: tuple[str, ...], current: dict) -> ResolveForm:
    """A ResolveForm with one text input per correctable field, filled with the current
    values on first display (a posted form keeps what was typed)."""

    class Form(ResolveForm):
        pass

    for name in value_fields:
        setattr(
            Form,
            f"value_{name}",
            StringField(FIELD_LABELS.get(name, name), validators=[Optional(), Length(max=500)]),
        )
    form = Form()
    if not form.is_submitted():
        for name in value_fields:
            value = current.get(name)
            getattr(form, f"value_{name}").data = "" if value is None else str(value)
    return form
