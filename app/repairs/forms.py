"""The repair application (enterprise) and the decision (operator), with display labels."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, MultipleFileField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from app.forms import outcome_field, required_text
from app.repairs.services import NOTE_MAX, STATEMENT_MAX

STATUS_LABELS = {
    "pending": _l("待处理"),
    "extended": _l("已延期处理"),
    "approved": _l("已修复"),
    "rejected": _l("未通过"),
    "revoked": _l("修复已撤销"),
}
STATUS_BADGES = {"pending": "badge-warn", "extended": "badge-warn", "approved": "badge-ok",
                 "rejected": "badge-err", "revoked": "badge-err"}  # fmt: skip
OUTCOME_CHOICES = [
    SelectChoice("approved", _l("准予修复：该记录不再公示、不再计入评分")),
    SelectChoice("rejected", _l("不予修复：说明理由，企业可见")),
    SelectChoice("extended", _l("延期处理（仅一次）：说明理由")),
]


class RepairForm(FlaskForm):
    """What the enterprise did, its evidence and the commitment it signs."""

    statement = required_text(
        _l("履行义务、纠正失信行为的情况"), _l("请说明已履行的义务或已纠正的行为"), STATEMENT_MAX
    )
    evidence = MultipleFileField(_l("证明材料（PDF、JPEG 或 PNG）"))
    commitment_version = HiddenField()
    agree = BooleanField(
        _l("本企业已阅读并签署上述信用承诺书"),
        validators=[DataRequired(message=_l("请阅读并签署信用承诺书"))],
    )


class DecideForm(FlaskForm):
    outcome = outcome_field(_l("处理结果"), OUTCOME_CHOICES, _l("请选择处理结果"))
    note = required_text(_l("处理说明"), _l("请填写处理说明"), NOTE_MAX)


RECHECK_CHOICES = [
    SelectChoice("confirmed", _l("维持修复")),
    SelectChoice("revoked", _l("撤销修复：记录恢复公示，违背承诺记入信用记录")),
]
RECHECK_LABELS = {"confirmed": _l("复查维持"), "revoked": _l("复查撤销")}


class RecheckForm(FlaskForm):
    recheck_outcome = outcome_field(_l("复查结果"), RECHECK_CHOICES, _l("请选择复查结果"))
    recheck_note = required_text(_l("复查说明"), _l("请填写复查说明"), NOTE_MAX)
