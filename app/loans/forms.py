"""The bank's upload of its monthly loan-status file."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SubmitField


class StatusFileForm(FlaskForm):
    file = FileField(
        _l("贷款状态文件（CSV 或 XLSX）"),
        validators=[
            FileRequired(_l("请选择文件")),
            FileAllowed(["csv", "xlsx"], _l("只接受 CSV 或 XLSX 文件")),
        ],
    )
    submit = SubmitField(_l("导入"))
