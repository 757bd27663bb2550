from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    MultipleFileField,
    RadioField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from app.auth.forms import password_again, password_field


class PhoneCodeForm(FlaskForm):
    code = StringField(_l("短信验证码"), validators=[DataRequired(), Length(max=12)])
    submit = SubmitField(_l("提交验证码"))


class SendCodeForm(FlaskForm):
    submit = SubmitField(_l("发送验证码"))


class ReviewForm(FlaskForm):
    licence = MultipleFileField(_l("营业执照（PDF、JPEG 或 PNG）"))
    legal_rep = BooleanField(_l("我是企业的法定代表人"))
    authorization = MultipleFileField(_l("授权委托书（非法定代表人须上传）"))
    submit = SubmitField(_l("提交人工审核"))


class DecideForm(FlaskForm):
    decision = RadioField(
        _l("审核结论"),
        choices=[SelectChoice("approve", _l("通过")), SelectChoice("reject", _l("不通过"))],
        validators=[DataRequired(message=_l("请选择审核结论"))],
    )
    reason = TextAreaField(_l("理由"), validators=[Length(max=1000)])
    submit = SubmitField(_l("提交审核结论"))


class PaymentRequestForm(FlaskForm):
    bank_name = StringField(_l("开户银行（含支行）"), validators=[Length(max=100)])
    account_number = StringField(_l("对公账号"), validators=[Length(max=60)])
    account_name = StringField(_l("账户名称（须与企业登记名称一致）"), validators=[Length(max=200)])
    submit = SubmitField(_l("申请打款验证"))


class PaymentAmountForm(FlaskForm):
    amount = StringField(_l("收到的金额（元）"), validators=[DataRequired(), Length(max=20)])
    submit = SubmitField(_l("提交金额"))


class MarkPaidForm(FlaskForm):
    submit = SubmitField(_l("标记为已打款"))


class InviteForm(FlaskForm):
    email = EmailField(_l("同事的邮箱"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("发送邀请"))


class ConfirmForm(FlaskForm):
    """A button that changes something (CSRF only)."""

    submit = SubmitField(_l("确定"))


class JoinForm(FlaskForm):
    display_name = StringField(_l("姓名"), validators=[DataRequired(), Length(max=100)])
    password = password_field(_l("密码"))
    confirm = password_again(_l("确认密码"))
    submit = SubmitField(_l("注册并加入"))


class TransferForm(FlaskForm):
    email = EmailField(_l("新管理员的账户邮箱"), validators=[DataRequired(), Length(max=254)])
    reason = TextAreaField(
        _l("理由（所依据的核验凭证）"), validators=[DataRequired(), Length(max=300)]
    )
    submit = SubmitField(_l("变更管理员"))
