"""Normalise and validate a chunk of raw rows against a source's field spec.

Values are parsed once per distinct raw value (dates, periods, codes and tax types repeat
a lot), and spread back over the column, so a chunk costs little more than its distinct
values. Every problem becomes a rejection with a code; the reasons in Chinese and English
live in `REASONS`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pandas as pd

from app.enterprises.services import normalize_uscc, uscc_error
from app.ingest.specs import (
    AMOUNT,
    DATE,
    ENUM,
    INDUSTRY,
    INT,
    PERIOD,
    REGION,
    TEXT,
    USCC,
    YEAR,
    Field,
    SourceSpec,
    normalize_header,
)

ROW = "row"  # the spreadsheet row number column in chunks

# code → (Chinese, English). Chinese is what the operator reads; both are stored.
REASONS: dict[str, tuple[str, str]] = {
    "invalid_uscc": ("统一社会信用代码无效", "invalid unified social credit code"),
    "uscc_length": ("统一社会信用代码应为 18 位", "the USCC must have 18 characters"),
    "uscc_checksum": (
        "统一社会信用代码校验位不正确",
        "the USCC check character is wrong",
    ),
    "unknown_enterprise": ("企业不在登记名录中", "enterprise not in the registry"),
    "missing_value": ("必填项为空", "required value is missing"),
    "invalid_date": ("日期无法识别或不存在", "unparseable or impossible date"),
    "invalid_period": (
        "所属期无法识别（应为 2024-03、202403 或 2024年3月）",
        "unparseable period (expected 2024-03, 202403 or 2024年3月)",
    ),
    "invalid_year": ("年度无法识别", "unparseable year"),
    "invalid_amount": ("金额无法识别", "unparseable amount"),
    "invalid_number": ("应为整数", "not a whole number"),
    "negative_value": ("不能为负数", "must not be negative"),
    "future_date": ("日期晚于今天", "date lies in the future"),
    "future_period": ("所属期晚于本月", "period lies in the future"),
    "future_year": ("年度晚于今年", "year lies in the future"),
    "not_in_list": ("不在允许的取值范围内", "not one of the allowed values"),
    "unknown_region": (
        "行政区划代码不在陕西省区划代码表中",
        "region code not in the Shaanxi list (GB/T 2260)",
    ),
    "unknown_industry": (
        "行业代码不在 GB/T 4754-2017 中",
        "industry code not in GB/T 4754-2017",
    ),
    "too_long": ("内容过长", "value too long"),
    "duplicate_conflict": (
        "同一批数据中该记录出现多次且内容不一致",
        "the same record appears more than once with different values",
    ),
}


def reason(code: str, f: Field | None = None) -> tuple[str, str]:
    """The (Chinese, English) reason for a code; list values name what is allowed."""
    zh, en = REASONS[code]
    if code == "not_in_list" and f is not None and f.choices:
        allowed = "/".join(sorted(set(f.choices.values())))
        return f"{zh}（{allowed}）", f"{en} ({allowed})"
    return zh, en


@dataclass(frozen=True)
class Context:
    """What validation needs from the database and the clock, loaded once per batch."""

    today: date
    regions: frozenset[str]
    sections: frozenset[str]
    divisions: frozenset[str]


class Invalid(Exception):
    def __init__(self, code: str):
        self.code = code


# --- raw value → text ---------------------------------------------------------------


def as_text(raw: object) -> str:
    """A cell as text: NFKC, trimmed; numbers without a spurious `.0`; empty for None."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return unicodedata.normalize("NFKC", raw).strip()
    if isinstance(raw, bool):
        return str(raw).lower()
    if isinstance(raw, float):
        if math.isnan(raw):
            return ""
        return str(int(raw)) if raw.is_integer() else repr(raw)
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    return unicodedata.normalize("NFKC", str(raw)).strip()


# --- parsers: text → value, or Invalid(code) -----------------------------------------

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_SERIAL = re.compile(r"^\d{1,5}(?:\.\d+)?$")
_PERIOD_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
)
_YEAR = re.compile(r"^(\d{4})(?:年度?)?$")
_AMOUNT_NOISE = re.compile(r"[,\s¥元]")
EXCEL_EPOCH = date(1899, 12, 30)
MIN_YEAR = 1900
MAX_MONEY = Decimal("1e16")
CENT = Decimal("0.01")


def parse_date(raw: object) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return _excel_serial(float(raw))
    text = as_text(raw)
    if not text:
        return None
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            if year < MIN_YEAR:
                raise Invalid("invalid_date")
            try:
                return date(year, month, day)
            except ValueError:
                raise Invalid("invalid_date") from None
    if _SERIAL.match(text):
        return _excel_serial(float(text))
    raise Invalid("invalid_date")


def _excel_serial(value: float) -> date:
    """Excel's day count (1900 date system, as written by every spreadsheet today)."""
    if not 1 <= value < 2958466:
        raise Invalid("invalid_date")
    return EXCEL_EPOCH + timedelta(days=int(value))


def parse_period(raw: object) -> str | None:
    if isinstance(raw, date):  # a date cell formatted as a month
        return f"{raw.year:04d}-{raw.month:02d}"
    text = as_text(raw)
    if not text:
        return None
    for pattern in _PERIOD_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            if year < MIN_YEAR or not 1 <= month <= 12:
                raise Invalid("invalid_period")
            return f"{year:04d}-{month:02d}"
    raise Invalid("invalid_period")


def parse_year(raw: object) -> int | None:
    text = as_text(raw)
    if not text:
        return None
    match = _YEAR.match(text)
    if not match or int(match.group(1)) < MIN_YEAR:
        raise Invalid("invalid_year")
    return int(match.group(1))


def parse_amount(raw: object) -> Decimal | None:
    text = _AMOUNT_NOISE.sub("", as_text(raw))
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise Invalid("invalid_amount") from None
    if not value.is_finite() or abs(value) >= MAX_MONEY:
        raise Invalid("invalid_amount")
    if value < 0:
        raise Invalid("negative_value")
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_int(raw: object) -> int | None:
    text = as_text(raw).replace(",", "")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise Invalid("invalid_number") from None
    if not value.is_finite() or value != value.to_integral_value() or abs(value) >= 2**31:
        raise Invalid("invalid_number")
    if value < 0:
        raise Invalid("negative_value")
    return int(value)


def parse_uscc(raw: object) -> str | None:
    text = as_text(raw)
    if not text:
        return None
    code = normalize_uscc(text)
    if uscc_error(code) is None:
        return code
    if len(code) != 18:
        raise Invalid("uscc_length")
    raise Invalid("uscc_checksum" if re.fullmatch(r"[0-9A-Z]{18}", code) else "invalid_uscc")


def _parser(f: Field, ctx: Context) -> Callable[[object], object]:
    """The parse function for one field, closing over its list and the clock."""
    kind = f.kind
    if kind == USCC:
        return parse_uscc
    if kind == DATE:
        if not f.not_future:
            return parse_date

        def past_date(raw: object) -> date | None:
            value = parse_date(raw)
            if value is not None and value > ctx.today:
                raise Invalid("future_date")
            return value

        return past_date
    if kind == PERIOD:
        this_month = f"{ctx.today.year:04d}-{ctx.today.month:02d}"

        def period(raw: object) -> str | None:
            value = parse_period(raw)
            if value is not None and f.not_future and value > this_month:
                raise Invalid("future_period")
            return value

        return period
    if kind == YEAR:

        def year(raw: object) -> int | None:
            value = parse_year(raw)
            if value is not None and f.not_future and value > ctx.today.year:
                raise Invalid("future_year")
            return value

        return year
    if kind == AMOUNT:
        return parse_amount
    if kind == INT:
        return parse_int
    if kind == ENUM:

        def enum(raw: object) -> str | None:
            text = as_text(raw)
            if not text:
                return None
            try:
                return f.choices[normalize_header(text)]
            except KeyError:
                raise Invalid("not_in_list") from None

        return enum
    if kind == REGION:

        def region(raw: object) -> str | None:
            text = as_text(raw)
            if text and text not in ctx.regions:
                raise Invalid("unknown_region")
            return text or None

        return region
    if kind == INDUSTRY:

        def industry(raw: object) -> str | None:
            text = as_text(raw).upper()
            if not text:
                return None
            if text in ctx.sections or (
                re.fullmatch(r"\d{2,4}", text) and text[:2] in ctx.divisions
            ):
                return text
            raise Invalid("unknown_industry")

        return industry
    assert kind == TEXT, kind

    def plain(raw: object) -> str | None:
        text = as_text(raw)
        if f.max_length and len(text) > f.max_length:
            raise Invalid("too_long")
        return text or None

    return plain


# --- a chunk ------------------------------------------------------------------------


@dataclass
class Rejection:
    row: int
    field: str | None
    code: str
    value: str | None


@dataclass
class CheckedChunk:
    rows: int  # non-blank rows read
    valid: pd.DataFrame  # ROW + every spec field, parsed values (object columns)
    rejections: list[Rejection]


def _is_missing(raw: object) -> bool:
    return raw is None or raw is pd.NaT or (isinstance(raw, float) and math.isnan(raw))


def _is_blank(raw: object) -> bool:
    return _is_missing(raw) or (isinstance(raw, str) and not raw.strip())


def check_chunk(chunk: pd.DataFrame, spec: SourceSpec, ctx: Context) -> CheckedChunk:
    """Parse every field of `chunk` (columns: ROW + field names present in the input).

    Blank rows are dropped silently. A row is valid when every field parsed and every
    required field has a value; otherwise each bad field is a rejection.
    """
    present = [f for f in spec.fields if f.name in chunk.columns]
    if present:
        blank = chunk[[f.name for f in present]].map(_is_blank).all(axis=1)
        chunk = chunk[~blank.to_numpy()]
    n = len(chunk)
    rows = chunk[ROW].to_numpy()
    columns: dict[str, list] = {ROW: [int(r) for r in rows]}
    errors: dict[str, list[str | None]] = {}
    raw_columns: dict[str, list] = {}
    for f in spec.fields:
        if f.name not in chunk.columns:
            values: list = [None] * n
            codes: list[str | None] = ["missing_value" if f.required else None] * n
            raw: list = values
        else:
            raw = [None if _is_missing(v) else v for v in chunk[f.name].tolist()]
            parse = _parser(f, ctx)
            parsed: dict[object, tuple[object, str | None]] = {}
            for item in dict.fromkeys(raw):
                try:
                    value = parse(item)
                except Invalid as exc:
                    parsed[item] = (None, exc.code)
                else:
                    missing = value is None and f.required
                    parsed[item] = (value, "missing_value" if missing else None)
            values = [parsed[item][0] for item in raw]
            codes = [parsed[item][1] for item in raw]
        columns[f.name] = values
        errors[f.name] = codes
        raw_columns[f.name] = raw

    bad = [False] * n
    rejections: list[Rejection] = []
    for f in spec.fields:
        codes = errors[f.name]
        if not any(codes):
            continue
        raw = raw_columns[f.name]
        for i, code in enumerate(codes):
            if code:
                bad[i] = True
                rejections.append(Rejection(int(rows[i]), f.name, code, as_text(raw[i])[:200]))
    rejections.sort(key=lambda r: r.row)
    valid = pd.DataFrame(columns, dtype=object)
    if any(bad):
        valid = valid[[not b for b in bad]]
    return CheckedChunk(rows=n, valid=valid, rejections=rejections)
