"""The value parsers: dates, periods, amounts, codes as DESIGN lists them."""

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
