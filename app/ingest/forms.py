from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from app.ingest.specs import SOURCES

SOURCE_LABELS = {
    "enterprises": _l("企业登记信息"),
    "public_credit": _l("公共信用信息（许可、处罚、红黑名单）"),
    "tax_ratings": _l("纳税信用评级"),
    "tax_payments": _l("纳税缴款"),
    "utility_bills": _l("水电气暖缴费"),
    "social_insurance": _l("社保缴纳"),
}


class UploadForm(FlaskForm):
    source = SelectField(
        _l("数据源"),
        choices=[SelectChoice(s, SOURCE_LABELS[s]) for s in SOURCES],
        validators=[DataRequired()],
    )
    file = FileField(
        _l("文件（CSV 或 XLSX）"),
        validators=[
            FileRequired(_l("请选择文件")),
            FileAllowed(["csv", "xlsx"], _l("只接受 CSV 或 XLSX 文件")),
        ],
    )
    submit = SubmitField(_l("导入"))
