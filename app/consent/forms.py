from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.sources.models import SOURCE_LABELS

CATEGORY_LABELS = SOURCE_LABELS  # a data category is a source


def reads_per_day_text(n: int | None) -> str:
    """The daily cap in the words the preview, the authorization list and the bank's refusal
    share (the guard enforces it: `consent.guard.DAILY_CAP`)."""
    if n is None:
        return str(_l("不限每日查询次数"))
    return str(_l("每日最多查询 %(n)s 次，超过的查询被拒绝并记录", n=n))


# The legal basis of a look that no authorization covers (the access log's `reason`).
BASIS_LABELS = {
    "loan_servicing": _l("贷后管理（本行已放款贷款的借款企业）"),
    "repair_notice": _l("信用修复告知"),
}
# The reason a read was refused, in the enterprise's and the bank's words.
DENIAL_LABELS = {
    "no_authorization": _l("未获授权"),
    "daily_cap": _l("超过授权的每日查询次数上限"),
}
CHANNEL_LABELS = {"web": _l("网页"), "api": _l("接口"), "export": _l("导出"), "notice": _l("通知")}


class GrantForm(FlaskForm):
    """The consent form: the categories ticked and the text (id + hash) that was shown."""

    categories = SelectMultipleField(
        _l("授权采集的数据"),
        choices=[],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validators=[DataRequired(message=_l("请至少选择一类数据"))],
    )
    text_id = IntegerField(widget=widgets.HiddenInput(), validators=[DataRequired()])
    text_sha256 = HiddenField(validators=[DataRequired()])


class RevokeForm(FlaskForm):
    """Only the CSRF token: the confirmation page posts it."""


class QueryGrantForm(FlaskForm):
    """Authorize one bank: which categories, for what, how long; then confirm the text."""

    bank_id = SelectField(_l("被授权银行"), coerce=int, validators=[DataRequired()])
    categories = SelectMultipleField(
        _l("允许查看的数据"),
        choices=[],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
        validators=[DataRequired(message=_l("请至少选择一类数据"))],
    )
    purpose = StringField(
        _l("授权用途"), validators=[DataRequired(), Length(max=300)], default="贷款申请审查"
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
            NumberRange(min=1, max=90, message=_l("有效期应为 1 至 90 天")),
        ],
    )
    text_id = IntegerField(widget=widgets.HiddenInput(), validators=[Optional()])
    text_sha256 = HiddenField(validators=[Optional()])
    confirm = HiddenField(default="")
