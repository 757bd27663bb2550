"""Every rejection reason, with its row number, column and reason; other rows still land."""

from __future__ import annotations

import pytest

from app.ingest.services import ingest_records

TAX = ["统一社会信用代码", "所属期", "税种", "实缴金额", "缴款期限", "缴款日期"]


def _tax_row(code, **over):
    row = {
        "uscc": code,
        "period": "2024-03",
        "tax_type": "增值税",
        "amount": "100.00",
        "due_on": "2024-04-15",
        "paid_on": "2024-04-10",
    }
    row.update(over)
    return [
        row["uscc"],
        row["period"],
        row["tax_type"],
        row["amount"],
        row["due_on"],
        row["paid_on"],
    ]


@pytest.mark.parametrize(
    ("override", "column", "code", "reason"),
    [
        ({"uscc": "91610113MA6TG1234"}, "统一社会信用代码", "uscc_length", "应为 18 位"),
        ({"uscc": "CHECKSUM"}, "统一社会信用代码", "uscc_checksum", "校验位"),
        (
            {"uscc": "9161011300000000@Z"},
            "统一社会信用代码",
            "invalid_uscc",
            "统一社会信用代码无效",
        ),
        ({"uscc": ""}, "统一社会信用代码", "missing_value", "必填项为空"),
        ({"amount": ""}, "实缴金额", "missing_value", "必填项为空"),
        ({"tax_type": " "}, "税种", "missing_value", "必填项为空"),
        ({"due_on": "2024-02-30"}, "缴款期限", "invalid_date", "日期无法识别或不存在"),
        ({"paid_on": "下周"}, "缴款日期", "invalid_date", "日期无法识别或不存在"),
        ({"period": "2024-13"}, "所属期", "invalid_period", "所属期无法识别"),
        ({"amount": "一百元"}, "实缴金额", "invalid_amount", "金额无法识别"),
        ({"amount": "-100"}, "实缴金额", "negative_value", "不能为负数"),
        ({"period": "2099-01"}, "所属期", "future_period", "所属期晚于本月"),
        ({"paid_on": "2099-01-01"}, "缴款日期", "future_date", "日期晚于今天"),
        ({"tax_type": "税" * 51}, "税种", "too_long", "内容过长"),
    ],
)
def test_tax_payment_rejections(consenting, load, override, column, code, reason):
    if override.get("uscc") == "CHECKSUM":
        override["uscc"] = consenting.uscc[:-1] + ("0" if consenting.uscc[-1] != "0" else "1")
    rows = [_tax_row(consenting.uscc, period="2024-01"), _tax_row(consenting.uscc, **override)]
    summary = load("tax_payments", TAX, rows)
    assert (summary.rows, summary.inserted, summary.rejected) == (2, 1, 1)
    [rejection] = summary.to_dict()["rejections"]
    assert rejection["row"] == 3
    assert rejection["column"] == column
    assert rejection["code"] == code
    assert reason in rejection["reason"]
    assert rejection["reason_en"]


def test_unknown_enterprise(factories, consenting, load):
    stranger = factories.uscc()  # valid code, not in the registry
    summary = load("tax_payments", TAX, [_tax_row(consenting.uscc), _tax_row(stranger)])
    assert (summary.inserted, summary.rejected) == (1, 1)
    assert summary.rejections == [
        {
            "row": 3,
            "column": "统一社会信用代码",
            "reason": "企业不在登记名录中",
            "reason_en": "enterprise not in the registry",
            "code": "unknown_enterprise",
        }
    ]


def _one_rejection(summary):
    assert summary.rejected == 1, summary.to_dict()
    [rejection] = summary.to_dict()["rejections"]
    return rejection["row"], rejection["column"], rejection["code"]


@pytest.mark.parametrize(
    ("source", "record", "column", "code"),
    [
        ("tax_ratings", {"year": "2099"}, "year", "future_year"),
        ("tax_ratings", {"year": "20x4"}, "year", "invalid_year"),
        ("tax_ratings", {"grade": "E"}, "grade", "not_in_list"),
        ("utility_bills", {"utility": "网费"}, "utility", "not_in_list"),
        ("social_insurance", {"headcount": "-3"}, "headcount", "negative_value"),
        ("social_insurance", {"headcount": "3.5"}, "headcount", "invalid_number"),
        ("public_credit", {"category": "表扬"}, "category", "not_in_list"),
        ("public_credit", {"severity": "很严重"}, "severity", "not_in_list"),
        ("public_credit", {"decided_on": "2099-01-01"}, "decided_on", "future_date"),
        ("public_credit", {"penalty_amount": "-5"}, "penalty_amount", "negative_value"),
        ("enterprises", {"established_on": "2099-01-01"}, "established_on", "future_date"),
        ("enterprises", {"region_code": "110101"}, "region_code", "unknown_region"),
        ("enterprises", {"industry_code": "99"}, "industry_code", "unknown_industry"),
        ("enterprises", {"industry_code": "Z"}, "industry_code", "unknown_industry"),
        ("enterprises", {"scale": "巨型"}, "scale", "not_in_list"),
        ("enterprises", {"name": ""}, "name", "missing_value"),
    ],
)
def test_rejections_of_every_source(factories, consenting, source, record, column, code):
    base = {
        "tax_ratings": {"year": "2023", "grade": "a"},
        "utility_bills": {
            "utility": "电费",
            "period": "2024-03",
            "amount_due": "10",
            "amount_paid": "10",
            "paid_on": "2024-04-01",
        },
        "social_insurance": {
            "period": "2024-03",
            "headcount": "8",
            "amount_due": "1000",
            "amount_paid": "1000",
        },
        "public_credit": {
            "category": "行政处罚",
            "ref_no": "西市监罚〔2024〕1号",
            "authority": "西安市市场监督管理局",
            "decided_on": "2024-01-05",
            "penalty_amount": "5000",
            "severity": "一般",
        },
        "enterprises": {
            "name": "新公司",
            "established_on": "2020-01-01",
            "region_code": "610113",
            "industry_code": "I",
            "scale": "微型",
        },
    }[source]
    uscc = factories.uscc() if source == "enterprises" else consenting.uscc
    good = {"uscc": uscc, **base}
    bad = {"uscc": uscc, **base, **record}
    if source in ("tax_ratings",):
        good["year"] = "2022"
    elif source in ("utility_bills", "social_insurance"):
        good["period"] = "2024-02"
    elif source == "public_credit":
        good["ref_no"] = "西市监罚〔2024〕2号"
    elif source == "enterprises":
        bad["uscc"] = factories.uscc()
    summary = ingest_records(source, [good, bad], origin="push")
    assert summary.inserted == 1
    assert _one_rejection(summary) == (2, column, code)


def test_several_bad_fields_in_one_row_count_one_rejected_row(consenting, load):
    row = _tax_row(consenting.uscc, period="bad", amount="-1")
    summary = load("tax_payments", TAX, [row])
    assert summary.rejected == 1
    assert [(r["row"], r["column"]) for r in summary.rejections] == [(2, "所属期"), (2, "实缴金额")]


def test_the_allowed_values_are_named_in_words_the_file_could_use():
    """A file that wrote 巨型 hears which Chinese words it may use (微型、小型…), in the spec's
    order; the English reason names the values themselves."""
    from app.ingest.normalize import reason
    from app.ingest.specs import SPECS

    zh, en = reason("not_in_list", SPECS["enterprises"].get("scale"))
    assert zh.endswith("（微型、小型、中型、大型）") and "micro" not in zh
    assert en.endswith("(micro/small/medium/large)")
    zh, _en = reason("not_in_list", SPECS["utility_bills"].get("utility"))
    assert "水、电、燃气、供暖" in zh
    zh, _en = reason("not_in_list", SPECS["tax_ratings"].get("grade"))
    assert zh.endswith("（A、B、M、C、D）")
