from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from app.notices.services import KIND_LABELS


class NoticeForm(FlaskForm):
    """Text fields only: the service checks them all at once and the form keeps the input."""

    kind = SelectField(_l("类别"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()])
    title = StringField(_l("标题"))
    issuer = StringField(_l("发布机关"), validators=[Optional()])
    body = TextAreaField(_l("正文（空行分段）"))
    publish_at = StringField(_l("发布时间（北京时间，空 = 立即）"), validators=[Optional()])
    withdraw_at = StringField(_l("撤下时间（北京时间，空 = 长期）"), validators=[Optional()])
    version = StringField(validators=[Optional()])


class WithdrawForm(FlaskForm):
    """Only the CSRF token."""
