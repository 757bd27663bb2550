from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import NumberRange, Optional

from app.consent.terms import QUERY_MAX_DAYS
from app.forms import checkboxes

# The query authorization's validity, checked on the form (and again by the service) so
# that a confirmation page never shows a term the grant would refuse.
_DAYS = [Optional(), NumberRange(min=1, max=QUERY_MAX_DAYS, message=_l("有效期应为 1 至 90 天"))]


class AuthorizeForm(FlaskForm):
    """What a bank may see and for how long, and the consent text confirmed (id and hash)."""

    categories = checkboxes(_l("允许该银行查看的数据"))
    days = IntegerField(_l("授权有效期（天）"), default=30, validators=_DAYS)
    text_id = IntegerField(widget=widgets.HiddenInput(), validators=[Optional()])
    text_sha256 = HiddenField(validators=[Optional()])


class ApplyForm(AuthorizeForm):
    """Step 1: the need (and, for a product, what its bank may see); step 2 confirms the
    consent text (`confirm=1`, with the text's id and hash)."""

    product_id = HiddenField()
    amount = StringField(_l("申请金额（元）"))
    term_months = StringField(_l("期限（月）"))
    purpose = StringField(_l("资金用途"))
    confirm = HiddenField(default="")


class ApproveForm(FlaskForm):
    amount = StringField(_l("批准金额（元）"))
    rate = StringField(_l("年利率（%）"))
    term_months = StringField(_l("期限（月）"))


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("拒绝原因"))


class DisburseForm(FlaskForm):
    amount = StringField(_l("放款金额（元）"))
    disbursed_on = StringField(_l("放款日期（YYYY-MM-DD）"))
    first_loan = BooleanField(_l("首贷（该企业首次获得贷款）"))


class ActionForm(FlaskForm):
    """Only the CSRF token (accept, withdraw)."""
