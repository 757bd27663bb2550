"""The demo generator writes files in the documented layout with realistic, varied content."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from stdnum.cn import uscc as stdnum_uscc

from app.demo.generate import DemoData
from app.demo.reference import REFERENCE_DIR

TODAY = date(2026, 11, 27)
YESTERDAY = "2026-11-26"
# The documented file contract (docs/formats.md), written out here independently of app/demo/files.py.
DOCUMENTED_FIELDS = {
    "enterprises": {
        "uscc": "统一社会信用代码", "name": "企业名称", "legal_rep": "法定代表人",
        "established_on": "成立日期", "registered_capital": "注册资本(万元)",
        "region_code": "行政区划代码", "industry_code": "行业代码", "scale": "企业规模",
        "employees": "从业人数", "revenue": "营业收入(万元)", "total_assets": "资产总额(万元)",
        "address": "注册地址",
    },
    "public_credit": {
        "uscc": "统一社会信用代码", "category": "类别", "ref_no": "决定文书号",
        "authority": "决定机关", "decided_on": "决定日期", "valid_until": "有效期至",
        "content": "内容", "penalty_amount": "罚款金额", "severity": "严重程度",
    },
    "tax_ratings": {"uscc": "统一社会信用代码", "year": "评价年度", "grade": "纳税信用级别"},
    "tax_payments": {
        "uscc": "统一社会信用代码", "period": "所属期", "tax_type": "税种",
        "amount": "实缴金额", "due_on": "缴款期限", "paid_on": "缴款日期",
    },
    "utility_bills": {
        "uscc": "统一社会信用代码", "utility": "类别", "period": "账期",
        "amount_due": "应缴金额", "amount_paid": "实缴金额", "due_on": "缴费期限",
        "paid_on": "缴费日期",
    },
    "social_insurance": {
        "uscc": "统一社会信用代码", "period": "所属期", "headcount": "参保人数",
        "amount_due": "应缴金额", "amount_paid": "实缴金额", "paid_on": "缴费日期",
    },
}  # fmt: skip
NATURAL_KEYS = {
    "enterprises": ("uscc",),
    "public_credit": ("uscc", "category", "ref_no"),
    "tax_ratings": ("uscc", "year"),
    "tax_payments": ("uscc", "period", "tax_type"),
    "utility_bills": ("uscc", "utility", "period"),
    "social_insurance": ("uscc", "period"),
}
UTILITY_VALUES = {"水费": "water", "电费": "electricity", "燃气费": "gas", "供暖费": "heating"}
SCALE_VALUES = {"微型": "micro", "小型": "small", "中型": "medium", "大型": "large"}


def _reference(name: str) -> dict[str, dict[str, str]]:
    with open(REFERENCE_DIR / name, encoding="utf-8", newline="") as f:
        return {r["code"]: r for r in csv.DictReader(f)}


def read(path: Path, source: str, encoding: str = "utf-8") -> list[dict[str, str]]:
    """Rows keyed by the English field name, whichever header language the file uses."""
    to_field = {}
    for en, zh in DOCUMENTED_FIELDS[source].items():
        to_field[en] = to_field[zh] = en
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.reader(f)
        head = next(reader)
        assert set(head) <= set(to_field), f"{source}: unknown headers {head}"
        fields = [to_field[h] for h in head]
        assert sorted(fields) == sorted(DOCUMENTED_FIELDS[source]), source
        return [dict(zip(fields, row, strict=True)) for row in reader]


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    data = DemoData(400, 24, seed=7, today=TODAY)
    out = tmp_path_factory.mktemp("demo")
    generated = data.write(out)
    rows = {s: read(p, s) for s, p in generated.files.items()}
    companies = {c.uscc: c for c in data.companies()}
    return data, generated, rows, companies


def test_every_file_has_design_headers_in_both_languages(population):
    _data, generated, _rows, _companies = population
    languages = {}
    for source, path in generated.files.items():
        head = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        languages[source] = "zh" if head[0] == "统一社会信用代码" else "en"
    assert set(languages.values()) == {"zh", "en"}  # mixed by default


def test_usccs_are_valid_unique_and_in_the_registry_file(population):
    _data, _generated, rows, _companies = population
    codes = [r["uscc"] for r in rows["enterprises"]]
    assert len(codes) == 400 == len(set(codes))
    for code in codes:
        assert stdnum_uscc.is_valid(code), code
    for source, source_rows in rows.items():
        assert {r["uscc"] for r in source_rows} <= set(codes), source


def test_regions_and_industries_come_from_the_reference_lists(population):
    _data, _generated, rows, _companies = population
    regions = _reference("regions_shaanxi.csv")
    industries = _reference("industries_gbt4754_2017.csv")
    enterprises = rows["enterprises"]
    assert all(r["region_code"] in regions for r in enterprises)
    assert all(r["industry_code"] in industries for r in enterprises)
    cities = Counter(r["region_code"][:4] for r in enterprises)
    assert cities.most_common(1)[0][0] == "6101"  # weighted towards 西安
    assert len(cities) >= 6  # but across the province
    assert len({r["industry_code"] for r in enterprises}) >= 25
    sections = Counter(industries[r["industry_code"]]["parent_code"] for r in enterprises)
    assert {"C", "F"} <= {s for s, _n in sections.most_common(4)}
    assert "S" not in sections and "T" not in sections
    for r in enterprises:
        assert r["name"].endswith("公司")
        assert r["address"].startswith("陕西省")
        assert 2 <= len(r["legal_rep"]) <= 3
        assert r["established_on"] < YESTERDAY
        assert SCALE_VALUES[r["scale"]] and int(r["employees"]) >= 1


def test_scale_is_coherent_with_employees(population):
    """工信部 size classes for industry: micro < 20 ≤ small < 300 ≤ medium < 1000 ≤ large."""
    _data, _generated, _rows, companies = population
    bands = {"micro": (1, 19), "small": (20, 299), "medium": (300, 999), "large": (1000, 10**6)}
    industrial = [c for c in companies.values() if c.section in "BCD"]
    assert len(industrial) > 40
    for c in industrial:
        low, high = bands[c.scale]
        assert low <= c.employees <= high, (c.scale, c.employees)
    assert Counter(c.scale for c in companies.values()).most_common(1)[0][0] == "micro"


def test_periods_and_dates_lie_in_the_window_and_never_in_the_future(population):
    data, _generated, rows, companies = population
    window = {m.period for m in data.window}
    assert min(window) == "2024-11" and max(window) == "2026-10"
    for source in ("tax_payments", "utility_bills", "social_insurance"):
        for r in rows[source]:
            assert r["period"] in window
            assert r["paid_on"] <= YESTERDAY
            company = companies[r["uscc"]]
            assert r["period"] > company.established_on.isoformat()[:7]
    for r in rows["public_credit"]:
        assert r["decided_on"] <= YESTERDAY
    assert all(int(r["year"]) <= 2025 for r in rows["tax_ratings"])


def test_natural_keys_are_unique_in_every_file(population):
    _data, _generated, rows, _companies = population
    for source, key in NATURAL_KEYS.items():
        keys = [tuple(r[k] for k in key) for r in rows[source]]
        assert len(keys) == len(set(keys)), source


def test_amounts_are_positive_and_paid_never_exceeds_due(population):
    _data, _generated, rows, _companies = population
    assert all(float(r["amount"]) > 0 for r in rows["tax_payments"])
    for source in ("utility_bills", "social_insurance"):
        for r in rows[source]:
            assert 0 <= float(r["amount_paid"]) <= float(r["amount_due"])
            assert (r["paid_on"] == "") == (float(r["amount_paid"]) == 0)


def _unpaid_overdue(rows, uscc_set):
    return [
        r
        for r in rows
        if r["uscc"] in uscc_set and r["due_on"] < YESTERDAY and float(r["amount_paid"]) == 0
    ]


def test_payment_personas_really_differ(population):
    _data, _generated, rows, companies = population
    personas = defaultdict(set)
    for c in companies.values():
        personas[c.persona].add(c.uscc)
    assert set(personas) == {
        "punctual", "late", "arrears", "penalised", "blacklisted", "redlisted",
    }  # fmt: skip
    bills = rows["utility_bills"]
    assert _unpaid_overdue(bills, personas["punctual"] | personas["redlisted"]) == []
    assert len(_unpaid_overdue(bills, personas["arrears"])) > 20
    part_paid = [
        r
        for r in bills
        if r["uscc"] in personas["arrears"] and 0 < float(r["amount_paid"]) < float(r["amount_due"])
    ]
    assert part_paid

    def late_share(group):
        mine = [r for r in rows["tax_payments"] if r["uscc"] in group and r["paid_on"]]
        return sum(r["paid_on"] > r["due_on"] for r in mine) / len(mine)

    assert late_share(personas["punctual"]) == 0
    assert late_share(personas["late"]) > 0.1

    credit = defaultdict(set)
    for r in rows["public_credit"]:
        credit[r["category"]].add(r["uscc"])
    assert personas["penalised"] <= credit["penalty"]
    assert not personas["punctual"] & credit["penalty"]
    assert credit["black_list"] == personas["blacklisted"]
    assert credit["red_list"] == personas["redlisted"]
    assert len(credit["license"]) > 200
    severities = {r["severity"] for r in rows["public_credit"] if r["category"] == "penalty"}
    assert {"minor", "severe"} <= severities
    grades = defaultdict(set)
    for r in rows["tax_ratings"]:
        grades[r["uscc"]].add(r["grade"])
    assert all(grades[u] <= {"A", "M"} for u in personas["redlisted"])
    assert any("D" in grades[u] for u in personas["blacklisted"])


def test_utilities_follow_geography_and_seasons(population):
    _data, _generated, rows, companies = population
    heating = [r for r in rows["utility_bills"] if r["utility"] == "heating"]
    assert heating
    assert {r["period"][5:] for r in heating} <= {"11", "12", "01", "02", "03"}
    south = {"6107", "6109", "6110"}  # 陕南: no central heating
    assert not [r for r in heating if companies[r["uscc"]].region_code[:4] in south]
    assert {r["utility"] for r in rows["utility_bills"]} == set(UTILITY_VALUES.values())


def test_tax_payments_cover_the_usual_taxes(population):
    _data, _generated, rows, _companies = population
    types = Counter(r["tax_type"] for r in rows["tax_payments"])
    assert {"增值税", "企业所得税", "个人所得税", "城市维护建设税"} <= set(types)
    cit_months = {r["period"][5:] for r in rows["tax_payments"] if r["tax_type"] == "企业所得税"}
    assert cit_months == {"03", "06", "09", "12"}  # quarterly prepayment


def test_most_but_not_all_enterprises_authorize_collection(population):
    _data, generated, _rows, companies = population
    granted = {u for group in generated.consents.values() for u in group}
    assert 0.7 * len(companies) < len(granted) < len(companies)


def _digest(directory: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(directory.iterdir()):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        DemoData(60, 12, seed=seed, today=TODAY).write(tmp_path / name)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    assert _digest(tmp_path / "a") != _digest(tmp_path / "c")


def test_an_enterprise_is_the_same_whatever_else_is_generated(tmp_path):
    full = DemoData(80, 12, seed=3, today=TODAY).write(tmp_path / "full")
    part = DemoData(80, 12, seed=3, today=TODAY).write(
        tmp_path / "part", sources=("enterprises", "tax_payments"), limits={"tax_payments": 500}
    )
    assert part.rows["tax_payments"] == 500
    assert part.enterprises < 80
    full_rows = read(full.files["tax_payments"], "tax_payments")[:500]
    assert read(part.files["tax_payments"], "tax_payments") == full_rows
    head = read(full.files["enterprises"], "enterprises")[: part.enterprises]
    assert read(part.files["enterprises"], "enterprises") == head


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_encodings(tmp_path, encoding):
    generated = DemoData(20, 6, seed=1, today=TODAY).write(
        tmp_path, encoding=encoding, headers="zh"
    )
    raw = generated.files["enterprises"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    rows = read(generated.files["enterprises"], "enterprises", encoding=encoding)
    assert len(rows) == 20 and rows[0]["name"].endswith("公司")
    bills = read(generated.files["utility_bills"], "utility_bills", encoding=encoding)
    assert {r["utility"] for r in bills} <= set(UTILITY_VALUES)


def test_xlsx_has_date_cells_and_text_codes(tmp_path):
    generated = DemoData(10, 6, seed=1, today=TODAY).write(tmp_path, fmt="xlsx", headers="en")
    book = load_workbook(generated.files["enterprises"], read_only=True)
    try:  # a read-only workbook keeps its file open until closed
        head, first = list(book.worksheets[0].iter_rows(max_row=2, values_only=True))
    finally:
        book.close()
    row = dict(zip(head, first, strict=True))
    assert isinstance(row["established_on"], date)
    assert isinstance(row["region_code"], str) and isinstance(row["uscc"], str)
    assert isinstance(row["employees"], int)


def test_cli_generate(app, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["demo", "generate", "--enterprises", "30", "--months", "6", "--out",
              str(tmp_path), "--headers", "en", "--seed", "5"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{s}.csv" for s in DOCUMENTED_FIELDS
    )
    assert "tax_payments" in result.output
    assert len(read(tmp_path / "enterprises.csv", "enterprises")) == 30


def test_cli_generate_refuses_an_encoding_for_xlsx(app, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["demo", "generate", "--enterprises", "3", "--months", "2", "--out",
              str(tmp_path), "--format", "xlsx", "--encoding", "gb18030"]
    )  # fmt: skip
    assert result.exit_code == 2
    assert not list(tmp_path.iterdir())
