"""Normalise and validate a chunk of raw rows against a source's field spec.

Values are parsed once per distinct raw value (dates, periods, codes and tax types repeat
a lot), and spread back over the column, so a chunk costs little more than its distinct
values. Every problem becomes a rejection with a code; the reasons in Chinese and English
live in `REASONS`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from app.ingest.parsers import (
    Invalid,
    as_text,
    parse_amount,
    parse_date,
    parse_day_or_month,
    parse_int,
    parse_period,
    parse_uscc,
    parse_year,
)
from app.ingest.specs import (
    AMOUNT,
    DATE,
    DAY_OR_MONTH,
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
        values = list(dict.fromkeys(f.choices.values()))  # in the spec's order
        words = getattr(f.choices, "words", {})
        allowed_zh = "、".join(words.get(v, v) for v in values)
        return f"{zh}（{allowed_zh}）", f"{en} ({'/'.join(values)})"
    return zh, en


@dataclass(frozen=True)
class Context:
    """What validation needs from the database and the clock, loaded once per batch."""

    today: date
    regions: frozenset[str]
    sections: frozenset[str]
    divisions: frozenset[str]


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
    if kind == DAY_OR_MONTH:
        return parse_day_or_month
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
    # ROW + every spec field, valid rows only, as stored text (ISO dates, "1234.50") or None
    valid: pd.DataFrame
    rejections: list[Rejection]


def stored_text(value: object) -> str | None:
    """A parsed value as the text both databases store and compare it by."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return str(value)  # Decimal (quantized to cents), int


def _is_blank(raw: object) -> bool:
    return isinstance(raw, str) and not raw.strip()


# Amounts already in stored form: `1234.50` exactly as the database prints it back (ASCII
# digits: `\d` would let full-width ones through; no leading zeros), so that stored text
# compares equal to the database's. Amounts are nearly all distinct, so factorizing them
# gains nothing; most files write them in this form, and one regex over the whole column
# joined by newlines (in C) tells whether they all are.
_AMOUNT_FORM = r"(?:0|[1-9][0-9]{0,14})\.[0-9]{2}"
_CANONICAL_AMOUNT = re.compile(_AMOUNT_FORM)
_CANONICAL_AMOUNTS = re.compile(rf"(?:{_AMOUNT_FORM}\n)*{_AMOUNT_FORM}")

# Whole numbers already in stored form (ASCII digits, no sign, no leading zero, below 2**31):
# identifiers such as loan numbers are all distinct, so parsing each would cost a call per row.
_INT_FORM = r"(?:0|[1-9][0-9]{0,8})"
_CANONICAL_INTS = re.compile(rf"(?:{_INT_FORM}\n)*{_INT_FORM}")
# The kinds whose columns may already be in stored form, and the regex that tells it.
_CANONICAL_COLUMNS = {AMOUNT: _CANONICAL_AMOUNTS, INT: _CANONICAL_INTS}


def _all_canonical(column: np.ndarray, form: re.Pattern[str]) -> bool:
    """Whether every cell is a string already in stored form (then it is stored as is)."""
    if not len(column):
        return False
    try:
        joined = "\n".join(column)
    except TypeError:  # numbers, None (XLSX cells, records)
        return False
    return form.fullmatch(joined) is not None


def _canonical_amounts(uniques: np.ndarray) -> np.ndarray:
    """Which distinct amounts are already in stored form."""
    match = _CANONICAL_AMOUNT.fullmatch
    return np.fromiter(
        (isinstance(u, str) and match(u) is not None for u in uniques),
        dtype=bool,
        count=len(uniques),
    )


def check_chunk(chunk: pd.DataFrame, spec: SourceSpec, ctx: Context) -> CheckedChunk:
    """Parse every field of `chunk` (columns: ROW + field names present in the input).

    Each column is factorized (distinct values → codes, in C); only the distinct values
    are parsed, and the results are spread back by indexing. Blank rows are dropped
    silently. A row is valid when every field parsed and every required field has a
    value; otherwise each bad field is one rejection.
    """
    n = len(chunk)
    rows = chunk[ROW].to_numpy(dtype=np.int64)
    blank_row = np.ones(n, dtype=bool)
    stored: dict[str, np.ndarray] = {}
    errors: dict[str, np.ndarray] = {}
    for f in spec.fields:
        if f.name not in chunk.columns:
            stored[f.name] = np.full(n, None, dtype=object)
            errors[f.name] = np.full(n, "missing_value" if f.required else None, dtype=object)
            continue
        column = chunk[f.name].to_numpy(dtype=object)
        form = _CANONICAL_COLUMNS.get(f.kind)
        if form is not None and _all_canonical(column, form):
            stored[f.name] = column
            errors[f.name] = np.full(n, None, dtype=object)
            blank_row[:] = False
            continue
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        parse = _parser(f, ctx)
        count = len(uniques)
        # one slot per distinct value, and a last one for missing cells (code -1)
        values = np.full(count + 1, None, dtype=object)
        problems = np.full(count + 1, None, dtype=object)
        blank = np.ones(count + 1, dtype=bool)
        todo: Iterable[int] = range(count)
        if f.kind == AMOUNT:  # those already "1234.50" are stored as they are
            done = _canonical_amounts(uniques)
            values[:count][done] = uniques[done]
            blank[:count][done] = False
            todo = np.flatnonzero(~done)
        for i in todo:
            item = uniques[i]
            blank[i] = _is_blank(item)
            try:
                value = parse(item)
            except Invalid as exc:
                problems[i] = exc.code
                continue
            if value is None and f.required:
                problems[i] = "missing_value"
            values[i] = stored_text(value)
        if f.required:
            problems[count] = "missing_value"
        stored[f.name] = values[codes]
        errors[f.name] = problems[codes]
        blank_row &= blank[codes]

    keep = ~blank_row
    bad = np.zeros(n, dtype=bool)
    rejections: list[Rejection] = []
    for f in spec.fields:
        failed = pd.notna(errors[f.name]) & keep
        if not failed.any():
            continue
        bad |= failed
        raw = chunk[f.name].to_numpy(dtype=object) if f.name in chunk.columns else None
        for i in np.flatnonzero(failed):
            value = as_text(raw[i])[:200] if raw is not None else None
            rejections.append(Rejection(int(rows[i]), f.name, str(errors[f.name][i]), value))
    rejections.sort(key=lambda r: r.row)
    ok = keep & ~bad
    # object columns kept as such (pandas 3 would infer its `str` dtype from arrays of str,
    # a conversion there and another back when the writer takes them out)
    valid = pd.DataFrame(
        {
            ROW: rows[ok],
            **{name: pd.Series(column[ok], dtype=object) for name, column in stored.items()},
        }
    )
    return CheckedChunk(rows=int(keep.sum()), valid=valid, rejections=rejections)
