from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired

from app.ingest.specs import SOURCES
from app.sources.models import SOURCE_LABELS


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
