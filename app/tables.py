"""Tables that reflow into cards on a phone.

On a narrow screen a table with a header row shows each body row as a card, each cell
preceded by the name of its column (CSS `table.reflow td::before { content: attr(data-label) }`).
The name is the table's own header: rather than every template repeating each column's title on
each cell, the base template passes the rendered page through `label_cells`, which copies the
text of each header cell onto the cells below it (`data-label`, honouring colspan and rowspan)
and marks the table `reflow` when it has four columns or more (two or three fit a phone as
they are). A cell that already has a `data-label`, a cell spanning several columns (a "nothing
here" row) and a table without a `<thead>` are left as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape

from markupsafe import Markup, escape

REFLOW_FROM_COLUMNS = 4  # two or three columns fit a phone as they are
_TAG = re.compile(r"<(/?)(table|thead|tr|th|td)\b([^>]*)>", re.IGNORECASE)
_MARKUP = re.compile(r"<[^>]*>")
_SPAN = {
    name: re.compile(rf"\b{name}\s*=\s*[\"']?(\d+)", re.IGNORECASE)
    for name in ("colspan", "rowspan")
}
_CLASS = re.compile(r"""\bclass\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)


@dataclass
class _Table:
    opening: int  # index in the output pieces of the `<table …>` tag
    headers: list[str] = field(default_factory=list)
    head_row: list[str] = field(default_factory=list)
    in_head: bool = False
    header_start: int | None = None  # where the text of the open header cell starts
    header_span: int = 1
    column: int = 0
    spanned: dict[int, int] = field(default_factory=dict)  # column → rows still covered
    labelled: bool = False


def _span(attrs: str, name: str) -> int:
    found = _SPAN[name].search(attrs)
    return max(1, int(found.group(1))) if found else 1


def _text(html: str) -> str:
    return " ".join(unescape(_MARKUP.sub(" ", html)).split())


def _with_class(tag: str, name: str) -> str:
    found = _CLASS.search(tag)
    if found is None:
        return f'{tag[:-1].rstrip("/").rstrip()} class="{name}">'
    if name in found.group(2).split():
        return tag
    start, end = found.span(2)
    return f"{tag[:start]}{found.group(2)} {name}{tag[end:]}"


def label_cells(html: str) -> Markup:
    """The HTML with each body cell of a headed table labelled by its column's header."""
    pieces: list[str] = []
    tables: list[_Table] = []
    position = 0
    for tag in _TAG.finditer(html):
        pieces.append(html[position : tag.start()])
        position = tag.end()
        closing, name, attrs = tag.group(1), tag.group(2).lower(), tag.group(3)
        text = tag.group(0)
        if name == "table":
            if closing:
                if tables:
                    table = tables.pop()
                    if table.labelled and len(table.headers) >= REFLOW_FROM_COLUMNS:
                        pieces[table.opening] = _with_class(pieces[table.opening], "reflow")
            else:
                pieces.append(text)
                tables.append(_Table(opening=len(pieces) - 1))
                continue
            pieces.append(text)
            continue
        if not tables:
            pieces.append(text)
            continue
        table = tables[-1]
        if name == "thead":
            table.in_head = not closing
        elif name == "tr" and not closing:
            if table.in_head:
                table.head_row = []
            else:
                table.column = 0
        elif name == "tr":  # the end of a row
            if table.in_head:
                table.headers = table.head_row
            else:
                table.spanned = {c: n - 1 for c, n in table.spanned.items() if n > 1}
        elif table.in_head and name == "th":
            if closing and table.header_start is not None:
                label = _text(html[table.header_start : tag.start()])
                table.head_row.extend([label] * table.header_span)
                table.header_start = None
            elif not closing:
                table.header_start, table.header_span = position, _span(attrs, "colspan")
        elif not table.in_head and not closing:  # a body or footer cell
            while table.column in table.spanned:
                table.column += 1
            columns = _span(attrs, "colspan")
            rows = _span(attrs, "rowspan")
            if rows > 1:
                for column in range(table.column, table.column + columns):
                    table.spanned[column] = rows
            label = table.headers[table.column] if table.column < len(table.headers) else ""
            if columns == 1 and label and "data-label" not in attrs.lower():
                text = f'{text[:-1].rstrip("/").rstrip()} data-label="{escape(label)}">'
            if table.headers:
                table.labelled = True
            table.column += columns
        pieces.append(text)
    pieces.append(html[position:])
    # The input is the rendered page (escaped by the templates) and each label added is
    # escaped here: the result is as safe as what came in.
    return Markup("".join(pieces))  # noqa: S704
