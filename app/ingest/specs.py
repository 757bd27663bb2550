"""What each source looks like: fields, Chinese aliases, kinds, natural keys, targets.

One data-driven spec per source (rendered as docs/formats.md), shared by files, pulls and pushes.
The parsers in `app.ingest.normalize` read the `kind` and `choices`; the writers read
`table`, `key` and the field names.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from app.consent.services import NON_PUBLIC_CATEGORIES
from app.ingest.models import TAX_GRADES
from app.loans.models import LoanStatus
from app.sources.models import Source

# Value kinds understood by the normaliser.
USCC, TEXT, DATE, PERIOD, YEAR, AMOUNT, INT, ENUM, REGION, INDUSTRY, DAY_OR_MONTH = (
    "uscc",
    "text",
    "date",
    "period",
    "year",
    "amount",
    "int",
    "enum",
    "region",
    "industry",
    "day_or_month",  # a date, or a month meaning its last day (a month-end report)
)


@dataclass(frozen=True)
class Field:
    name: str
    aliases: tuple[str, ...] = ()
    kind: str = TEXT
    required: bool = False
    # enum: normalised spelling (lower-case) → stored value
    choices: dict[str, str] = field(default_factory=dict)
    max_length: int | None = None
    # dates / periods / years that cannot lie in the future
    not_future: bool = False


@dataclass(frozen=True)
class SourceSpec:
    name: str
    table: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    # What else decides whether a row loads (rules beyond each field's own), for the docs.
    notes: tuple[str, ...] = ()

    @property
    def non_public(self) -> bool:
        return self.name in NON_PUBLIC_CATEGORIES

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def value_fields(self) -> tuple[str, ...]:
        """The fields that are not part of the natural key (compared on re-import)."""
        return tuple(f.name for f in self.fields if f.name not in self.key)

    def get(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


class Choices(dict[str, str]):
    """An enum field's spellings (normalised) → stored value, remembering each value's usual
    Chinese spelling (its first) so that a message can name the allowed values in words."""

    def __init__(self, groups: tuple[tuple[str, tuple[str, ...]], ...]) -> None:
        super().__init__()
        self.words: dict[str, str] = {}
        for value, spellings in groups:
            self.words[value] = spellings[0] if spellings else value
            for spelling in (value, *spellings):
                self[normalize_header(spelling)] = value


def _choices(*groups: tuple[str, tuple[str, ...]]) -> Choices:
    return Choices(groups)


def normalize_header(text: str) -> str:
    """Headers and enum words compare after NFKC, trimming and lower-casing.

    A trailing `*` (a common "required" marker in templates) is dropped.
    """
    return unicodedata.normalize("NFKC", str(text)).strip().rstrip("*").strip().lower()


_USCC = Field("uscc", ("统一社会信用代码",), USCC, required=True)

SCALES = _choices(
    ("micro", ("微型", "微型企业", "微")),
    ("small", ("小型", "小型企业", "小")),
    ("medium", ("中型", "中型企业", "中")),
    ("large", ("大型", "大型企业", "大")),
)
CATEGORIES = _choices(
    ("license", ("行政许可",)),
    ("penalty", ("行政处罚",)),
    ("red_list", ("守信激励", "红名单")),
    ("black_list", ("严重失信", "黑名单", "严重失信主体名单")),
)
SEVERITIES = _choices(
    ("slight", ("轻微",)), ("minor", ("一般",)), ("major", ("较重",)), ("severe", ("严重",))
)
UTILITIES = _choices(
    ("water", ("水", "水费")),
    ("electricity", ("电", "电费")),
    ("gas", ("燃气", "气", "燃气费")),
    ("heating", ("供暖", "暖", "暖气", "供暖费")),
)
GRADES = _choices(*((grade, ()) for grade in TAX_GRADES))  # a → A
# 五级分类 (the regulator's five-tier loan classification) reports 次级, 可疑 and 损失, which
# are all 不良 (non-performing) here.
LOAN_STATUSES = _choices(
    (LoanStatus.NORMAL.value, ("正常",)),
    (LoanStatus.SPECIAL_MENTION.value, ("关注",)),
    (LoanStatus.OVERDUE.value, ("逾期",)),
    (LoanStatus.NON_PERFORMING.value, ("不良", "次级", "可疑", "损失")),
    (LoanStatus.SETTLED.value, ("结清", "已结清")),
    (LoanStatus.WRITTEN_OFF.value, ("核销", "已核销")),
)

SPECS: dict[str, SourceSpec] = {
    spec.name: spec
    for spec in (
        SourceSpec(
            Source.ENTERPRISES,
            "enterprises",
            ("uscc",),
            (
                _USCC,
                Field("name", ("企业名称",), TEXT, required=True, max_length=200),
                Field("legal_rep", ("法定代表人",), TEXT, max_length=100),
                Field("established_on", ("成立日期",), DATE, required=True, not_future=True),
                Field("registered_capital", ("注册资本", "注册资本(万元)"), AMOUNT),
                Field("region_code", ("行政区划代码",), REGION, required=True),
                Field("industry_code", ("行业代码",), INDUSTRY, required=True),
                Field("scale", ("企业规模",), ENUM, choices=SCALES),
                Field("employees", ("从业人数",), INT),
                Field("revenue", ("营业收入", "营业收入(万元)"), AMOUNT),
                Field("total_assets", ("资产总额", "资产总额(万元)"), AMOUNT),
                Field("address", ("注册地址",), TEXT, max_length=300),
                # 联系电话 (企业年报): account verification codes go to this number only.
                Field("contact_phone", ("联系电话", "企业联系电话"), TEXT, max_length=30),
            ),
        ),
        SourceSpec(
            Source.PUBLIC_CREDIT,
            "public_credit_records",
            ("uscc", "category", "ref_no"),
            (
                _USCC,
                Field("category", ("类别",), ENUM, required=True, choices=CATEGORIES),
                Field("ref_no", ("决定文书号", "文书号"), TEXT, required=True, max_length=100),
                Field("authority", ("决定机关", "认定机关"), TEXT, required=True, max_length=200),
                Field("decided_on", ("决定日期", "认定日期"), DATE, required=True, not_future=True),
                Field("valid_until", ("有效期至",), DATE),
                Field("content", ("内容", "事由"), TEXT),
                Field("penalty_amount", ("罚款金额",), AMOUNT),
                Field("severity", ("严重程度",), ENUM, choices=SEVERITIES),
            ),
        ),
        SourceSpec(
            Source.TAX_RATINGS,
            "tax_ratings",
            ("uscc", "year"),
            (
                _USCC,
                Field("year", ("评价年度",), YEAR, required=True, not_future=True),
                Field("grade", ("纳税信用级别",), ENUM, required=True, choices=GRADES),
            ),
        ),
        SourceSpec(
            Source.TAX_PAYMENTS,
            "tax_payments",
            ("uscc", "period", "tax_type"),
            (
                _USCC,
                Field("period", ("所属期",), PERIOD, required=True, not_future=True),
                Field("tax_type", ("税种",), TEXT, required=True, max_length=50),
                Field("amount", ("实缴金额",), AMOUNT, required=True),
                Field("due_on", ("缴款期限",), DATE),
                Field("paid_on", ("缴款日期",), DATE, not_future=True),
            ),
        ),
        SourceSpec(
            Source.UTILITY_BILLS,
            "utility_bills",
            ("uscc", "utility", "period"),
            (
                _USCC,
                Field("utility", ("类别",), ENUM, required=True, choices=UTILITIES),
                Field("period", ("账期", "所属期"), PERIOD, required=True, not_future=True),
                Field("amount_due", ("应缴金额",), AMOUNT, required=True),
                Field("amount_paid", ("实缴金额",), AMOUNT, required=True),
                Field("due_on", ("缴费期限",), DATE),
                Field("paid_on", ("缴费日期",), DATE, not_future=True),
            ),
        ),
        SourceSpec(
            Source.SOCIAL_INSURANCE,
            "social_insurance_records",
            ("uscc", "period"),
            (
                _USCC,
                Field("period", ("所属期",), PERIOD, required=True, not_future=True),
                Field("headcount", ("参保人数",), INT, required=True),
                Field("amount_due", ("应缴金额",), AMOUNT, required=True),
                Field("amount_paid", ("实缴金额",), AMOUNT, required=True),
                Field("paid_on", ("缴费日期",), DATE, not_future=True),
            ),
        ),
        SourceSpec(
            Source.LOAN_STATUS,
            "loan_reports",
            ("loan_id", "as_of"),
            (
                # the platform's loan number, shown on the bank's loan list and in the API
                Field("loan_id", ("贷款编号", "平台贷款编号"), INT, required=True),
                Field("as_of", ("报告日期", "报告月份", "数据日期"), DAY_OR_MONTH, required=True),
                Field("status", ("贷款状态", "状态"), ENUM, required=True, choices=LOAN_STATUSES),
                Field("days_past_due", ("逾期天数",), INT),
                Field("outstanding", ("贷款余额", "贷款余额(元)"), AMOUNT, required=True),
            ),
            notes=(
                "A bank's monthly report of its own loans, applied by the same rules as a"
                " report on the web or through `POST /api/v1/loans/{id}/status`"
                " (`app.loans.services.report_problems`). A row is also rejected, naming the"
                " rule, when the loan is not one of the importing bank's (`loan_not_found`,"
                " the same answer whether it is another bank's or none), `as_of` lies before"
                " the disbursement or after today, the loan was settled or written off before"
                " `as_of`, the days past due do not fit the status (0 when normal or settled,"
                " at least 1 when overdue), or the balance is above the principal (0 when"
                " settled). A loan's status is its newest report's; an older `as_of` is kept"
                " in its history only. Rows of one file apply in `as_of` order. The operator"
                " (`flask ingest file loan_status`) may report any bank's loans.",
            ),
        ),
    )
}

SOURCES: tuple[str, ...] = tuple(SPECS)
# The fields that hold yuan (shown through the one money filter); the registry's amounts
# (registered capital, revenue, assets) are in 万元 and stay plain numbers.
MONEY_FIELDS = frozenset(
    f.name
    for spec in SPECS.values()
    if spec.name != Source.ENTERPRISES
    for f in spec.fields
    if f.kind == AMOUNT
)
assert tuple(s.value for s in Source) == SOURCES, "a spec for each source, in order"


def header_map(headers: list[str], spec: SourceSpec) -> dict[int, str]:
    """Column position → field name for the headers that name a field (first one wins).

    Unknown columns are left out (ignored).
    """
    lookup: dict[str, str] = {}
    for f in spec.fields:
        for spelling in (f.name, *f.aliases):
            lookup[normalize_header(spelling)] = f.name
    mapping: dict[int, str] = {}
    seen: set[str] = set()
    for position, header in enumerate(headers):
        if header is None:
            continue
        name = lookup.get(normalize_header(header))
        if name and name not in seen:
            mapping[position] = name
            seen.add(name)
    return mapping


def missing_required(mapped: set[str], spec: SourceSpec) -> list[str]:
    return [f.name for f in spec.fields if f.required and f.name not in mapped]


def display_name(spec: SourceSpec, name: str) -> str:
    """`uscc (统一社会信用代码)`: how a field is named in messages."""
    f = spec.get(name)
    return f"{f.name} ({f.aliases[0]})" if f.aliases else f.name
