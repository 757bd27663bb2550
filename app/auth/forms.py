from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from app.auth.models import DEFAULT_TOKEN_DAYS, TOKEN_DAYS, TOKEN_SCOPE_LABELS, TokenScope

PASSWORD_MAX = 128


def password_field(label) -> PasswordField:
    """A password typed (its strength is the services' rule, not the form's)."""
    return PasswordField(label, validators=[DataRequired(), Length(max=PASSWORD_MAX)])


def password_again(label, of: str = "password") -> PasswordField:
    """The new password typed a second time: it must be the field `of` to the letter."""
    return PasswordField(
        label, validators=[DataRequired(), EqualTo(of, message=_l("两次输入的密码不一致"))]
    )


class RegisterForm(FlaskForm):
    uscc = StringField(_l("统一社会信用代码"), validators=[DataRequired(), Length(min=18, max=40)])
    company_name = StringField(_l("企业名称"), validators=[DataRequired(), Length(max=200)])
    contact_name = StringField(_l("联系人"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("邮箱"), validators=[DataRequired(), Length(max=254)])
    password = password_field(_l("密码"))
    confirm = password_again(_l("确认密码"))
    submit = SubmitField(_l("注册"))


class LoginForm(FlaskForm):
    email = EmailField(_l("邮箱"), validators=[DataRequired(), Length(max=254)])
    password = password_field(_l("密码"))
    submit = SubmitField(_l("登录"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("当前密码"), validators=[DataRequired()])
    new_password = password_field(_l("新密码"))
    confirm = password_again(_l("确认新密码"), of="new_password")
    revoke_tokens = BooleanField(_l("同时吊销我的全部 API 令牌"))
    submit = SubmitField(_l("修改密码"))


class TokenForm(FlaskForm):
    name = StringField(_l("令牌名称"), validators=[DataRequired(), Length(max=100)])
    days = SelectField(
        _l("有效期"),
        choices=[SelectChoice(d, _l("%(d)s 天", d=d)) for d in TOKEN_DAYS],
        coerce=int,
        default=DEFAULT_TOKEN_DAYS,
    )
    scope = RadioField(
        _l("权限"),
        choices=[SelectChoice(s, label) for s, label in TOKEN_SCOPE_LABELS.items()],
        default=TokenScope.READ,
    )
    submit = SubmitField(_l("生成新令牌"))


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST."""


class ForgotForm(FlaskForm):
    email = EmailField(_l("邮箱"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("发送重置链接"))


class ResetForm(FlaskForm):
    password = password_field(_l("新密码"))
    confirm = password_again(_l("确认新密码"))
    submit = SubmitField(_l("设置新密码"))


class CodeForm(FlaskForm):
    """A current code from the authenticator app (enrol, new recovery codes, turn off)."""

    code = StringField(_l("验证码"), validators=[DataRequired(), Length(max=10)])
    submit = SubmitField(_l("确认"))


class SecondFactorForm(FlaskForm):
    """The second step of a sign-in: a code from the app or a recovery code."""

    code = StringField(_l("验证码或恢复码"), validators=[DataRequired(), Length(max=20)])
    submit = SubmitField(_l("验证"))
