"""Source-file layout for generated demo data: headers (English or Chinese) and writers.

The field names and their Chinese names are the file contract (docs/formats.md); the
generator writes the English field order below, with either header row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from app.sources.models import ENTERPRISE_SOURCES
from app.spreadsheets import CsvSheet, XlsxSheet

SOURCES = ENTERPRISE_SOURCES

# source → ((field, Chinese header), ...) in the order rows are generated.
FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "enterprises": (
        ("uscc", "统一社会信用代码"),
        ("name", "企业名称"),
        ("legal_rep", "法定代表人"),
        ("established_on", "成立日期"),
        ("registered_capital", "注册资本(万元)"),
        ("region_code", "行政区划代码"),
        ("industry_code", "行业代码"),
        ("scale", "企业规模"),
        ("employees", "从业人数"),
        ("revenue", "营业收入(万元)"),
        ("total_assets", "资产总额(万元)"),
        ("address", "注册地址"),
    ),
    "public_credit": (
        ("uscc", "统一社会信用代码"),
        ("category", "类别"),
        ("ref_no", "决定文书号"),
        ("authority", "决定机关"),
        ("decided_on", "决定日期"),
        ("valid_until", "有效期至"),
        ("content", "内容"),
        ("penalty_amount", "罚款金额"),
        ("severity", "严重程度"),
    ),
    "tax_ratings": (
        ("uscc", "统一社会信用代码"),
        ("year", "评价年度"),
        ("grade", "纳税信用级别"),
    ),
    "tax_payments": (
        ("uscc", "统一社会信用代码"),
        ("period", "所属期"),
        ("tax_type", "税种"),
        ("amount", "实缴金额"),
        ("due_on", "缴款期限"),
        ("paid_on", "缴款日期"),
    ),
    "utility_bills": (
        ("uscc", "统一社会信用代码"),
        ("utility", "类别"),
        ("period", "账期"),
        ("amount_due", "应缴金额"),
        ("amount_paid", "实缴金额"),
        ("due_on", "缴费期限"),
        ("paid_on", "缴费日期"),
    ),
    "social_insurance": (
        ("uscc", "统一社会信用代码"),
        ("period", "所属期"),
        ("headcount", "参保人数"),
        ("amount_due", "应缴金额"),
        ("amount_paid", "实缴金额"),
        ("paid_on", "缴费日期"),
    ),
}
DATE_FIELDS = {"established_on", "decided_on", "valid_until", "due_on", "paid_on"}
NUMBER_FIELDS = {
    "registered_capital",
    "penalty_amount",
    "amount",
    "amount_due",
    "amount_paid",
}
INT_FIELDS = {"employees", "headcount", "year"}

HEADER_MODES = ("mixed", "zh", "en")
# "mixed": what the province's systems actually send — Chinese from the registry, tax and
# social-insurance bureaus, English field names from the credit and utility exports.
_MIXED_ZH = {"enterprises", "tax_payments", "social_insurance"}
FORMATS = ("csv", "xlsx")
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")


def chinese_headers(source: str, mode: str) -> bool:
    return mode == "zh" or (mode == "mixed" and source in _MIXED_ZH)


def header(source: str, zh: bool) -> list[str]:
    return [cn if zh else en for en, cn in FIELDS[source]]


class RowWriter(Protocol):
    def writerows(self, rows: Iterable[Sequence[Any]]) -> None: ...

    def close(self) -> None: ...


class CsvRows:
    """Streams rows to a CSV file through the shared writer (nothing is kept in memory)."""

    def __init__(self, path: Path, head: list[str], encoding: str) -> None:
        self._file = open(path, "w", encoding=encoding, newline="")  # noqa: SIM115
        self._sheet = CsvSheet(self._file, head)

    def writerows(self, rows: Iterable[Sequence[Any]]) -> None:
        self._sheet.writerows(rows)

    def close(self) -> None:
        self._file.close()


class XlsxRows:
    """Streams rows to the first sheet of an XLSX workbook (openpyxl write-only mode), with
    real date cells and numbers; codes stay text."""

    def __init__(self, path: Path, source: str, head: list[str]) -> None:
        self._path = path
        self._sheet = XlsxSheet(source, head)
        names = [en for en, _cn in FIELDS[source]]
        self._dates = [i for i, n in enumerate(names) if n in DATE_FIELDS]
        self._numbers = [i for i, n in enumerate(names) if n in NUMBER_FIELDS]
        self._ints = [i for i, n in enumerate(names) if n in INT_FIELDS]

    def writerows(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            cells: list[Any] = list(row)
            for i in self._dates:
                cells[i] = date.fromisoformat(cells[i]) if cells[i] else None
            for i in self._numbers:
                cells[i] = float(cells[i]) if cells[i] != "" else None
            for i in self._ints:
                cells[i] = int(cells[i])
            self._sheet.writerow(cells)

    def close(self) -> None:
        self._sheet.save(self._path)


def open_writer(
    out: Path, source: str, *, fmt: str, encoding: str, zh: bool
) -> tuple[Path, RowWriter]:
    if fmt == "xlsx":
        path = out / f"{source}.xlsx"
        return path, XlsxRows(path, source, header(source, zh))
    path = out / f"{source}.csv"
    return path, CsvRows(path, header(source, zh), encoding)
