from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    SelectField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional

from app.consent.models import DATA_MONTHS, KEEP_COPY_DAYS, PURPOSE_LABELS
from app.consent.terms import QUERY_DEFAULT_DATA_MONTHS, QUERY_MAX_DAYS, copy_text
from app.forms import checkboxes
from app.sources.models import SOURCE_LABELS

CATEGORY_LABELS = SOURCE_LABELS  # a data category is a source


# The legal basis of a look that no authorization covers (the access log's `reason`).
BASIS_LABELS = {
    "loan_servicing": _l("贷后管理（本行已放款贷款的借款企业）"),
    "repair_notice": _l("信用修复告知"),
}
# The reason a read was refused, in the enterprise's and the bank's words.
DENIAL_LABELS = {
    "no_authorization": _l("未获授权"),
    "daily_cap": _l("超过授权的每日查询次数上限"),
    "data_range": _l("超出授权的数据范围"),
}
CHANNEL_LABELS = {"web": _l("网页"), "api": _l("接口"), "export": _l("导出"), "notice": _l("通知")}


class _LazyCopyText:
    """`terms.copy_text(n)` in the reader's language, when the form is shown."""

    def __init__(self, days: int) -> None:
        self.days = days

    def __str__(self) -> str:
        return copy_text(self.days)

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(str(self)))


class GrantForm(FlaskForm):
    """The consent form: the categories ticked and the text (id + hash) that was shown."""

    categories = checkboxes(
        _l("授权采集的数据"), validators=[DataRequired(message=_l("请至少选择一类数据"))]
    )
    text_id = IntegerField(widget=widgets.HiddenInput(), validators=[DataRequired()])
    text_sha256 = HiddenField(validators=[DataRequired()])


def signature(form: FlaskForm) -> dict:
    """Who signed a consent text, from where, and which text (the id and hash the form
    carried back): the keywords of every grant service."""
    return {
        "user_id": current_user.id,
        "ip": request.remote_addr,
        "text_id": form.text_id.data,
        "text_hash": form.text_sha256.data,
    }


class RevokeForm(FlaskForm):
    """Only the CSRF token: the confirmation page posts it."""


class QueryGrantForm(FlaskForm):
    """Authorize one bank: which categories, for what, how long; then confirm the text."""

    bank_id = SelectField(_l("被授权银行"), coerce=int, validators=[DataRequired()])
    categories = checkboxes(
        _l("允许查看的数据"), validators=[DataRequired(message=_l("请至少选择一类数据"))]
    )
    purpose = SelectField(
        _l("授权用途"),
        choices=[SelectChoice(p.value, label) for p, label in PURPOSE_LABELS.items()],
        validators=[DataRequired(message=_l("请选择授权用途"))],
    )
    data_months = SelectField(
        _l("可查看的数据范围"),
        coerce=int,
        choices=[SelectChoice(n, _l("近 %(n)s 个月", n=n)) for n in DATA_MONTHS],
        default=QUERY_DEFAULT_DATA_MONTHS,
    )
    reads_per_day = IntegerField(
        _l("每日查询次数上限"),
        default=20,  # the service's default when left empty
        validators=[
            Optional(),
            NumberRange(min=1, max=200, message=_l("每日查询次数上限应为 1 至 200 次")),
        ],
    )
    days = IntegerField(
        _l("有效期（天）"),
        default=30,
        validators=[
            DataRequired(),
            NumberRange(min=1, max=QUERY_MAX_DAYS, message=_l("有效期应为 1 至 90 天")),
        ],
    )
    keep_copy_days = SelectField(
        _l("下载副本的保留"),
        coerce=int,
        choices=[SelectChoice(n, _LazyCopyText(n)) for n in KEEP_COPY_DAYS],
        default=0,
    )
    text_id = IntegerField(widget=widgets.HiddenInput(), validators=[Optional()])
    text_sha256 = HiddenField(validators=[Optional()])
    confirm = HiddenField(default="")
