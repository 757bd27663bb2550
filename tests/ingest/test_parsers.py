"""The value parsers: dates, periods, amounts, codes as docs/formats.md lists them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from app.ingest.parsers import (
    Invalid,
    as_text,
    parse_amount,
    parse_date,
    parse_int,
    parse_period,
    parse_year,
)


@pytest.mark.parametrize(
    "raw",
    [
        "2024-03-05",
        "2024/3/5",
        "20240305",
        "2024年3月5日",
        "２０２４-０３-０５",
        " 2024.03.05 ",
        45356,
        45356.0,
        "45356",
        datetime(2024, 3, 5, 0, 0),
        date(2024, 3, 5),
        "2024-03-05 00:00:00",
    ],
)
def test_dates_in_every_accepted_spelling(raw):
    assert parse_date(raw) == date(2024, 3, 5)


@pytest.mark.parametrize("raw", ["2024-02-30", "2024-13-01", "tomorrow", "0", "1800-01-01"])
def test_impossible_or_unparseable_dates(raw):
    with pytest.raises(Invalid) as exc:
        parse_date(raw)
    assert exc.value.code == "invalid_date"


@pytest.mark.parametrize(
    "raw", ["2024-03", "202403", "2024年3月", "2024/3", 202403, "２０２４年３月"]
)
def test_periods(raw):
    assert parse_period(raw) == "2024-03"


@pytest.mark.parametrize("raw", ["2024-13", "2024", "March 2024", "2024-00"])
def test_bad_periods(raw):
    with pytest.raises(Invalid):
        parse_period(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234.50", "1234.50"),
        ("¥1,234.5", "1234.50"),
        ("￥１２３４.５元", "1234.50"),
        ("1234.505", "1234.51"),
        (1234.5, "1234.50"),
        (0, "0.00"),
        (" 12 元", "12.00"),
    ],
)
def test_amounts(raw, expected):
    assert parse_amount(raw) == Decimal(expected)


def test_negative_amount_and_garbage():
    with pytest.raises(Invalid) as exc:
        parse_amount("-1")
    assert exc.value.code == "negative_value"
    with pytest.raises(Invalid) as exc:
        parse_amount("一千")
    assert exc.value.code == "invalid_amount"


def test_whole_numbers_and_years():
    assert parse_int("12") == 12
    assert parse_int(12.0) == 12
    assert parse_year("2023年度") == 2023
    for raw, code in (("3.5", "invalid_number"), ("-1", "negative_value")):
        with pytest.raises(Invalid) as exc:
            parse_int(raw)
        assert exc.value.code == code


def test_codes_keep_leading_zeros_and_full_width_is_folded():
    assert as_text("０１") == "01"
    assert as_text(610113.0) == "610113"
    assert as_text("  注册资本（万元） ") == "注册资本(万元)"


def test_uscc_fast_path_agrees_with_stdnum():
    """Codes already in normal form are checked without python-stdnum's clean-up; the
    result must be the same as its `is_valid` for valid and wrong check characters."""
    from stdnum.cn import uscc as stdnum_uscc

    from app.ingest.parsers import _valid_normal_uscc, parse_uscc

    base = "91610113MA6TG1234"
    right = base + stdnum_uscc.calc_check_digit(base)
    assert _valid_normal_uscc(right) and parse_uscc(right) == right
    assert parse_uscc(" " + right.lower() + " ") == right  # the slow path normalises
    for check in "0123456789ABCDEFGHJKLMNPQRTUWXY":
        code = base + check
        assert _valid_normal_uscc(code) == stdnum_uscc.is_valid(code)
    assert not _valid_normal_uscc("91610113MA6TG1234I")  # not in the code alphabet


def _chunk(amounts):
    import pandas as pd
    from stdnum.cn import uscc as stdnum_uscc

    from app.ingest.normalize import ROW

    code = "91610113MA6TG1234" + stdnum_uscc.calc_check_digit("91610113MA6TG1234")
    return pd.DataFrame(
        {
            ROW: list(range(2, 2 + len(amounts))),
            "uscc": [code] * len(amounts),
            "period": ["2024-03"] * len(amounts),
            "tax_type": [f"税{i}" for i in range(len(amounts))],
            "amount": pd.Series(amounts, dtype=object),
        }
    )


@pytest.mark.parametrize(
    ("amounts", "stored"),
    [
        (["1.00", "1234.50"], ["1.00", "1234.50"]),  # the whole-column fast path
        (["１２３.４５", "7.10"], ["123.45", "7.10"]),  # full-width digits are folded
        (["1,234.5", "2.00"], ["1234.50", "2.00"]),
        (["0123.45", "-0", "0.00"], ["123.45", "0.00", "0.00"]),  # one stored form
        ([12.5, "2.00"], ["12.50", "2.00"]),  # numbers (XLSX cells, records)
        (["99.99", None], ["99.99"]),  # a missing amount is rejected, not stored
    ],
)
def test_amount_columns_in_a_chunk(amounts, stored):
    from app.ingest.normalize import Context, check_chunk
    from app.ingest.specs import SPECS

    ctx = Context(date(2026, 1, 1), frozenset(), frozenset(), frozenset())
    checked = check_chunk(_chunk(amounts), SPECS["tax_payments"], ctx)
    assert checked.valid["amount"].tolist() == stored
    assert [r.code for r in checked.rejections] == ["missing_value"] * (len(amounts) - len(stored))
