from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from app.enterprises.size import SIZE_LABELS
from app.forms import checkboxes
from app.ingest.models import TAX_GRADES
from app.products.models import TYPE_LABELS
from app.scoring.services import active_grade_order


class ProductForm(FlaskForm):
    """Text fields only: the service validates (one set of rules for web and API) and the
    form keeps what the user typed when it refuses."""

    name = StringField(_l("产品名称"))
    type = SelectField(_l("产品类型"), choices=[SelectChoice(k, v) for k, v in TYPE_LABELS.items()])
    tags = StringField(_l("标签（逗号分隔，如 信易贷,税易贷,政采贷）"), validators=[Optional()])
    description = TextAreaField(_l("产品说明"), validators=[Optional()])
    amount_min = StringField(_l("最低金额（元）"))
    amount_max = StringField(_l("最高金额（元）"))
    term_min_months = StringField(_l("最短期限（月）"))
    term_max_months = StringField(_l("最长期限（月）"))
    rate_min = StringField(_l("最低年利率（%）"))
    rate_max = StringField(_l("最高年利率（%）"))
    regions = StringField(_l("适用地区代码（逗号分隔，空 = 不限）"), validators=[Optional()])
    industries = StringField(_l("适用行业代码（逗号分隔，空 = 不限）"), validators=[Optional()])
    sizes = checkboxes(
        _l("适用企业规模（不选 = 不限）"),
        choices=[SelectChoice(str(s), label) for s, label in SIZE_LABELS.items()],
        validate_choice=False,  # the service names an unknown size
    )
    min_grade = SelectField(_l("最低信用等级"))  # the active scorecard's grades (__init__)
    min_score = StringField(_l("最低信用评分（0–1000）"), validators=[Optional()])
    min_years = StringField(_l("最短经营年限（年）"), validators=[Optional()])
    min_tax_grade = SelectField(
        _l("最低纳税信用级别"),
        choices=[SelectChoice("", _l("不限"))] + [SelectChoice(g, g) for g in TAX_GRADES],
    )
    exclude_black_list = BooleanField(_l("不受理严重失信主体（黑名单）"), default=True)
    version = StringField(validators=[Optional()])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        grades = active_grade_order()
        self.min_grade.choices = [SelectChoice("", _l("不限"))] + [
            SelectChoice(g, g) for g in grades
        ]


class StatusForm(FlaskForm):
    """Only the CSRF token; the status comes from the button."""


class OfficerForm(FlaskForm):
    email = StringField(_l("邮箱"))
    display_name = StringField(_l("姓名"), validators=[Optional()])
