"""Value parsers: a raw cell (text, number, date cell) → the value stored, or `Invalid`.

Accepted spellings (docs/formats.md): dates `2024-03-05`, `2024/3/5`, `20240305`,
`2024年3月5日` or Excel serials; periods `2024-03`, `202403`, `2024年3月`; amounts with
thousands separators, `¥` / `￥` or `元`. Everything is NFKC-normalised first, so
full-width digits and punctuation read as their ASCII forms.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from app.enterprises.services import normalize_uscc, uscc_error


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


def _first_match(patterns: Iterable[re.Pattern[str]], text: str) -> re.Match[str] | None:
    """The match of the first of `patterns` that matches `text` (from its start), else None."""
    return next((match for pattern in patterns if (match := pattern.match(text))), None)


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
    match = _first_match(_DATE_PATTERNS, text)
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
    match = _first_match(_PERIOD_PATTERNS, text)
    if not match:
        raise Invalid("invalid_period")
    year, month = int(match.group(1)), int(match.group(2))
    if year < MIN_YEAR or not 1 <= month <= 12:
        raise Invalid("invalid_period")
    return f"{year:04d}-{month:02d}"


def parse_day_or_month(raw: object) -> date | None:
    """A date, or a month (`2024-03`, `202403`, `2024年3月`) meaning its last day: a
    month-end report written by month."""
    try:
        return parse_date(raw)
    except Invalid:
        month = parse_period(raw)  # raises invalid_period: the hint names the month forms
    assert month is not None
    year, number = int(month[:4]), int(month[5:])
    following = date(year + number // 12, number % 12 + 1, 1)
    return following - timedelta(days=1)


def parse_year(raw: object) -> int | None:
    text = as_text(raw)
    if not text:
        return None
    match = _YEAR.match(text)
    if not match or int(match.group(1)) < MIN_YEAR:
        raise Invalid("invalid_year")
    return int(match.group(1))


def _finite_decimal(text: str, code: str) -> Decimal:
    """`text` as a finite number (no NaN, no infinity), else Invalid(`code`)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise Invalid(code) from None
    if not value.is_finite():
        raise Invalid(code)
    return value


def parse_amount(raw: object) -> Decimal | None:
    text = _AMOUNT_NOISE.sub("", as_text(raw))
    if not text:
        return None
    value = _finite_decimal(text, "invalid_amount")
    if abs(value) >= MAX_MONEY:
        raise Invalid("invalid_amount")
    if value < 0:
        raise Invalid("negative_value")
    # abs: "-0" is zero, stored and compared as "0.00" (the databases have no negative zero)
    return abs(value).quantize(CENT, rounding=ROUND_HALF_UP)


def parse_int(raw: object) -> int | None:
    text = as_text(raw).replace(",", "")
    if not text:
        return None
    value = _finite_decimal(text, "invalid_number")
    if value != value.to_integral_value() or abs(value) >= 2**31:
        raise Invalid("invalid_number")
    if value < 0:
        raise Invalid("negative_value")
    return int(value)


# GB 32100-2015: 8 digits, 10 characters of the code alphabet, the last a check character
# (the same rule python-stdnum applies; here without its clean-up passes, for the codes
# that are already in normal form: nearly all of them, and a batch reads thousands).
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_FORM = re.compile(r"[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}")


def _valid_normal_uscc(text: str) -> bool:
    """A valid code already in normal form (upper-case, no separators)."""
    if _USCC_FORM.fullmatch(text) is None:
        return False
    total = sum(_USCC_VALUES[c] * w for c, w in zip(text, _USCC_WEIGHTS))  # noqa: B905
    return text[17] == _USCC_ALPHABET[(31 - total) % 31]


def parse_uscc(raw: object) -> str | None:
    text = as_text(raw)
    if not text:
        return None
    if _valid_normal_uscc(text):
        return text
    code = normalize_uscc(text)
    if uscc_error(code) is None:
        return code
    if len(code) != 18:
        raise Invalid("uscc_length")
    raise Invalid("uscc_checksum" if re.fullmatch(r"[0-9A-Z]{18}", code) else "invalid_uscc")
