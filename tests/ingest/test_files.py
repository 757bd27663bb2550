"""Reading files: encodings, XLSX with date cells, header languages, broken files."""

from __future__ import annotations

import codecs
import zipfile
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.enterprises.models import Enterprise
from app.extensions import db
from app.ingest.models import ImportBatch, TaxPayment
from app.ingest.services import UnusableInput, ingest_file
from tests.ingest.conftest import batches, csv_text, table_counts

ZH_HEADER = [
    "统一社会信用代码",
    "企业名称",
    "法定代表人",
    "成立日期",
    "注册资本（万元）",
    "行政区划代码",
    "行业代码",
    "企业规模",
    "从业人数",
    "注册地址",
]
EN_HEADER = [
    "uscc",
    "name",
    "legal_rep",
    "established_on",
    "registered_capital",
    "region_code",
    "industry_code",
    "scale",
    "employees",
    "address",
]


def _rows(factories, n=3):
    return [
        [
            factories.uscc("610102"),
            f"西安测试{i}号有限公司",
            "张三",
            "2018年5月9日",
            "1,000",
            "610102",
            "C",
            "小型",
            "12",
            "西安市新城区",
        ]
        for i in range(n)
    ]


def _enterprise(uscc: str) -> Enterprise:
    return db.session.scalar(select(Enterprise).where(Enterprise.uscc == uscc))


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("gb18030", b""), ("gbk", b"")],
    ids=["utf8", "utf8-bom", "gb18030", "gbk"],
)
def test_each_encoding_lands_the_chinese_text(factories, write_file, encoding, prefix):
    rows = _rows(factories)
    path = write_file(prefix + csv_text(ZH_HEADER, rows).encode(encoding))
    summary = ingest_file("enterprises", path)
    assert (summary.rows, summary.inserted, summary.rejected) == (3, 3, 0)
    stored = _enterprise(rows[0][0])
    assert stored.name == "西安测试0号有限公司"
    assert stored.established_on == date(2018, 5, 9)
    assert stored.registered_capital == Decimal("1000.00")
    assert stored.scale == "small" and stored.employees == 12 and stored.verified


def test_english_headers_and_codes_kept_as_text(factories, load):
    rows = _rows(factories, 1)
    rows[0][6] = "0131"  # agricultural class: leading zero must survive
    rows[0][6] = "01"
    summary = load("enterprises", EN_HEADER, rows)
    assert summary.inserted == 1
    assert _enterprise(rows[0][0]).industry_code == "01"


def test_extra_columns_ignored_and_headers_normalised(factories, load):
    rows = [[*r, "备注"] for r in _rows(factories, 1)]
    header = [f" {h} " for h in ZH_HEADER] + ["备注"]
    header[4] = "注册资本(万元)"
    assert load("enterprises", header, rows).inserted == 1


def test_xlsx_with_real_date_cells_and_numbers(factories, consenting, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["统一社会信用代码", "所属期", "税种", "实缴金额", "缴款期限", "缴款日期"])
    sheet.append([consenting.uscc, "2024-03", "增值税", 1234.5, datetime(2024, 4, 15), 45392])
    sheet.append(
        [consenting.uscc, datetime(2024, 4, 1), "增值税", "¥2,000", date(2024, 5, 15), None]
    )
    sheet.append([consenting.uscc, "2024年5月", "增值税", "oops", None, None])
    workbook.create_sheet("ignored").append(["x"])
    path = tmp_path / "tax.xlsx"
    workbook.save(path)

    summary = ingest_file("tax_payments", path)
    assert (summary.rows, summary.inserted, summary.rejected) == (3, 2, 1)
    assert summary.to_dict()["rejections"][0]["row"] == 4
    assert summary.to_dict()["rejections"][0]["column"] == "实缴金额"
    first, second = db.session.scalars(select(TaxPayment).order_by(TaxPayment.period)).all()
    assert (first.period, first.amount, first.due_on) == (
        "2024-03",
        Decimal("1234.50"),
        date(2024, 4, 15),
    )
    assert first.paid_on == date(2024, 4, 10)  # Excel serial 45392
    assert (second.period, second.amount, second.paid_on) == ("2024-04", Decimal("2000.00"), None)


def test_row_numbers_count_blank_lines_like_a_spreadsheet(factories, write_file):
    rows = _rows(factories, 2)
    rows[1][3] = "not a date"
    text = csv_text(ZH_HEADER, rows[:1]) + "\n" + csv_text(ZH_HEADER, rows[1:]).split("\n", 1)[1]
    summary = ingest_file("enterprises", write_file(text))
    assert summary.rows == 2
    assert [(r["row"], r["column"]) for r in summary.rejections] == [(4, "成立日期")]


def _assert_nothing_written(before, path, source="enterprises"):
    with pytest.raises(UnusableInput) as exc:
        ingest_file(source, path)
    assert "\n" not in exc.value.message
    assert table_counts() == before
    assert batches("failed") == 1 and batches("succeeded") == 0
    failed = db.session.scalar(select(ImportBatch))
    assert failed.error == exc.value.message and failed.rows == 0
    return exc.value


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data + "企业".encode()[:-1],  # truncated in the middle of a character
        lambda data: data[:-40] + b"\xff\xfe\x00garbage",  # garbled bytes near the end
        lambda data: data + b'x,"unterminated quote\n',  # a quoted field never closed
        lambda data: data + b"a,b,c,d,e,f,g,h,i,j,k,l,m\n",  # a ragged row
    ],
    ids=["truncated-char", "garbled", "open-quote", "ragged"],
)
def test_a_file_corrupt_near_its_end_writes_nothing(factories, write_file, damage):
    data = csv_text(ZH_HEADER, _rows(factories, 200)).encode()
    db.session.commit()
    before = table_counts()
    _assert_nothing_written(before, write_file(damage(data)))


def test_a_broken_xlsx_writes_nothing(factories, tmp_path):
    workbook = Workbook()
    workbook.active.append(EN_HEADER)
    for row in _rows(factories, 50):
        workbook.active.append(row)
    good = tmp_path / "good.xlsx"
    workbook.save(good)
    data = good.read_bytes()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(data[: len(data) - 300])  # the zip's directory is cut off
    db.session.commit()
    before = table_counts()
    _assert_nothing_written(before, broken)


def test_a_corrupt_sheet_inside_a_valid_zip_writes_nothing(factories, tmp_path):
    workbook = Workbook()
    workbook.active.append(EN_HEADER)
    for row in _rows(factories, 50):
        workbook.active.append(row)
    good = tmp_path / "good.xlsx"
    workbook.save(good)
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) * 2 // 3]  # XML cut off part-way
            dst.writestr(item, data)
    db.session.commit()
    before = table_counts()
    _assert_nothing_written(before, broken)


def test_missing_required_column_is_unusable(factories, write_file):
    header = [h for h in ZH_HEADER if h != "成立日期"]
    rows = [[v for i, v in enumerate(r) if i != 3] for r in _rows(factories, 2)]
    db.session.commit()
    before = table_counts()
    error = _assert_nothing_written(before, write_file(csv_text(header, rows)))
    assert error.code == "missing_column"
    assert "established_on" in error.message


def test_undecodable_and_empty_files(write_file):
    with pytest.raises(UnusableInput):
        ingest_file("enterprises", write_file(b"\x81\x30\xff\xfe\xfd" * 10))
    with pytest.raises(UnusableInput):
        ingest_file("enterprises", write_file(b""))
    with pytest.raises(UnusableInput):
        ingest_file("nonsense", write_file(b"uscc\n"))


def test_tab_separated_export(factories, write_file):
    rows = _rows(factories, 2)
    text = "\n".join("\t".join(r) for r in [EN_HEADER, *rows]) + "\n"
    summary = ingest_file("enterprises", write_file(text.encode("gb18030")))
    assert (summary.inserted, summary.rejected) == (2, 0)
    assert _enterprise(rows[1][0]).address == "西安市新城区"
