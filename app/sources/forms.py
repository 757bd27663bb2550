from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class SourceForm(FlaskForm):
    url = StringField(_l("地址"), validators=[DataRequired(), Length(max=500)])
    # Never rendered back (PasswordField hides its value); blank keeps the stored token.
    token = PasswordField(_l("访问令牌"), validators=[Optional(), Length(max=4096)])
    interval_minutes = IntegerField(
        _l("拉取间隔（分钟）"),
        default=1440,
        validators=[DataRequired(), NumberRange(min=1, max=366 * 24 * 60)],
    )
    timeout_seconds = FloatField(
        _l("超时（秒）"), default=30.0, validators=[DataRequired(), NumberRange(min=0.1, max=300)]
    )
    enabled = BooleanField(_l("按计划自动拉取"), default=True)


class PullForm(FlaskForm):
    """Only the CSRF token: the "pull now" button."""
