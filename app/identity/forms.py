from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class PhoneCodeForm(FlaskForm):
    code = StringField(_l("短信验证码"), validators=[DataRequired(), Length(max=12)])
    submit = SubmitField(_l("提交验证码"))


class SendCodeForm(FlaskForm):
    submit = SubmitField(_l("发送验证码"))
