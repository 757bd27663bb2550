from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectMultipleField, widgets
from wtforms.validators import DataRequired

CATEGORY_LABELS = {
    "tax_ratings": _l("纳税信用评价"),
    "tax_payments": _l("纳税记录"),
    "utility_bills": _l("水电气暖缴费"),
    "social_insurance": _l("社会保险缴纳"),
    "enterprises": _l("工商登记"),
    "public_credit": _l("公共信用信息"),
}


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
