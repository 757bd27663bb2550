"""Readers: CSV (UTF-8 with or without BOM, GB18030/GBK), XLSX (first sheet) and records.

Each yields `Chunk`s of at most `CHUNK_ROWS` rows: a DataFrame of raw values with a
`row` column (the spreadsheet row number, header = 1) and one column per recognised
field, plus the header each field was found under (for messages). Whatever makes the
input unusable as a whole raises `UnusableInput`, also part-way through, so the caller
rolls the batch back.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from flask_babel import gettext as _

from app.ingest.errors import UnusableInput
from app.ingest.limits import (
    Limits,
    cell_too_long,
    check_xlsx,
    current_limits,
    line_too_long,
    member_count,
    too_many_rows,
)
from app.ingest.normalize import ROW
from app.ingest.specs import SourceSpec, display_name, header_map, missing_required

CHUNK_ROWS = 50_000
_BLOCK = 1 << 20
# Control characters (NUL…) other than tab, LF and CR. Checked on the raw bytes: in UTF-8
# and GB18030 these byte values only ever stand for themselves (never inside a multi-byte
# character), and deleting every other byte value (`bytes.translate`) is ~10x faster
# than a regex search of the decoded text.
_CONTROL = frozenset([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
UTF8_EVIDENCE = 8  # valid multi-byte UTF-8 characters that rule GB18030 out
XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class Chunk:
    frame: pd.DataFrame  # ROW + field columns, raw values (str / number / date / None)
    headers: dict[str, str]  # field name → header as written in the input


def _check_columns(spec: SourceSpec, mapping: dict[int, str]) -> None:
    missing = missing_required(set(mapping.values()), spec)
    if missing:
        names = "、".join(display_name(spec, m) for m in missing)
        raise UnusableInput(_("缺少必填列：%(cols)s", cols=names), code="missing_column")


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def is_xlsx(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == XLSX_MAGIC


# --- CSV ----------------------------------------------------------------------------


def detect_encoding(path: Path, limits: Limits | None = None) -> str:
    """`utf-8-sig` or `gb18030`, decided by decoding the whole file strictly.

    A file that decodes as UTF-8 up to a bad byte, after real non-ASCII UTF-8 text (or a
    BOM), is a damaged UTF-8 file, not GB18030: unusable. Control characters (NUL…) mean
    binary garbage: unusable. A line longer than the limit is refused in the same pass,
    before the CSV parser would buffer it.
    """
    limits = limits or current_limits()
    with path.open("rb") as fh:
        first = fh.read(3)
    bom = first == codecs.BOM_UTF8
    if _decodes(path, "utf-8", allow_fallback=not bom, limits=limits):
        return "utf-8-sig"
    if _decodes(path, "gb18030", allow_fallback=False, limits=limits):
        return "gb18030"
    raise UnusableInput(
        _("文件编码无法识别（应为 UTF-8 或 GB18030），或文件已损坏"), code="bad_encoding"
    )


class _LineMeter:
    """The length of every line, measured block by block (LF never occurs inside a
    multi-byte character of UTF-8 or GB18030)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.line = 1  # the line the current one is (1-based)
        self.carry = 0  # bytes of the current line seen so far

    def feed(self, block: bytes) -> None:
        parts = block.split(b"\n")
        self.carry += len(parts[0])
        if len(parts) > 1:
            lengths = [self.carry, *map(len, parts[1:])]
            if max(lengths) > self.limit:
                over = next(i for i, n in enumerate(lengths) if n > self.limit)
                raise line_too_long(self.line + over, _limits_of(self.limit))
            self.line += len(parts) - 1
            self.carry = len(parts[-1])
        elif self.carry > self.limit:
            raise line_too_long(self.line, _limits_of(self.limit))


def _limits_of(line_bytes: int) -> Limits:
    return Limits(max_line_bytes=line_bytes)


def _decodes(path: Path, encoding: str, *, allow_fallback: bool, limits: Limits) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    non_ascii = 0  # non-ASCII characters decoded before a failure (counted up to a few)
    lines = _LineMeter(limits.max_line_bytes)
    with path.open("rb") as fh:
        while True:
            block = fh.read(_BLOCK)
            lines.feed(block)
            try:
                text = decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                if encoding != "utf-8":
                    return False
                # GB18030 text trips UTF-8 within a character or two; real UTF-8 text that
                # decoded for a while and then broke is a damaged UTF-8 file.
                head = block[: max(exc.start, 0)].decode("utf-8", "ignore")
                non_ascii += len(_NON_ASCII.findall(head[:_BLOCK]))
                if allow_fallback and non_ascii < UTF8_EVIDENCE:
                    return False
                raise UnusableInput(
                    _("文件含有无效的 UTF-8 字节，可能已损坏"), code="corrupt_file"
                ) from None
            if block.translate(None, _NOT_CONTROL):
                raise UnusableInput(_("文件含有控制字符，可能已损坏"), code="corrupt_file")
            if non_ascii < UTF8_EVIDENCE:
                non_ascii += len(_NON_ASCII.findall(text))
            if not block:
                return True


def _check_cells(data: pd.DataFrame, headers: dict[str, str], limits: Limits) -> None:
    """Refuse the file when a cell the import reads is longer than the limit."""
    for name in headers:
        lengths = data[name].map(lambda v: len(v) if isinstance(v, str) else 0)
        if len(lengths) and lengths.max() > limits.max_cell_chars:
            row = data[ROW].iloc[int(lengths.to_numpy().argmax())]
            raise cell_too_long(int(row), headers[name], limits)


def read_csv(
    path: Path, spec: SourceSpec, chunk_rows: int | None = None, limits: Limits | None = None
) -> Iterator[Chunk]:
    chunk_rows = chunk_rows or CHUNK_ROWS
    limits = limits or current_limits()
    encoding = detect_encoding(path, limits)
    with path.open(encoding=encoding, newline="") as fh:
        first_line = fh.readline()
    # Some systems export "CSV" separated by tabs: the header line tells.
    separator = "\t" if first_line.count("\t") > first_line.count(",") else ","
    mapping: dict[int, str] | None = None
    try:
        with pd.read_csv(
            path,
            encoding=encoding,
            sep=separator,
            header=None,
            # plain Python str cells (pandas 3's `str` dtype costs a conversion each way);
            # with na_filter off, empty and missing trailing cells are "" (never NaN)
            dtype=object,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            chunksize=chunk_rows,
        ) as reader:
            headers: dict[str, str] = {}
            for frame in reader:
                if mapping is None:
                    header_row = [str(v) for v in frame.iloc[0].tolist()]
                    mapping = header_map(header_row, spec)
                    _check_columns(spec, mapping)
                    headers = {name: header_row[pos].strip() for pos, name in mapping.items()}
                    frame = frame.iloc[1:]
                data = frame[list(mapping)].copy()
                data.columns = list(mapping.values())
                data.insert(0, ROW, frame.index.to_numpy() + 1)
                if len(data) and int(data[ROW].iloc[-1]) - 1 > limits.max_rows:
                    raise too_many_rows(limits)
                _check_cells(data, headers, limits)
                yield Chunk(data, headers)
    except pd.errors.EmptyDataError:
        raise UnusableInput(_("文件为空"), code="empty_file") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnusableInput(
            _("文件格式损坏，无法读取：%(detail)s", detail=first_line[:200]), code="corrupt_file"
        ) from None
    if mapping is None:
        raise UnusableInput(_("文件为空"), code="empty_file")


# --- XLSX ---------------------------------------------------------------------------

# What a damaged workbook raises from zipfile, zlib, the XML parser or openpyxl itself.
_XLSX_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    SyntaxError,  # xml.etree ParseError and lxml's XMLSyntaxError
    KeyError,
    ValueError,
    TypeError,
    OSError,
    EOFError,
    IndexError,
)


def read_xlsx(
    path: Path, spec: SourceSpec, chunk_rows: int | None = None, limits: Limits | None = None
) -> Iterator[Chunk]:
    """The first sheet, streamed (openpyxl read-only: the sheet's XML is parsed as it is
    read), once the archive has passed `limits.check_xlsx` (sizes really unpacked)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    chunk_rows = chunk_rows or CHUNK_ROWS
    limits = limits or current_limits()
    try:
        check_xlsx(path, limits)
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, *_XLSX_ERRORS):
        raise UnusableInput(_("Excel 文件已损坏或不是 XLSX 格式"), code="corrupt_file") from None
    rows = None
    try:
        if not workbook.worksheets:
            raise UnusableInput(_("文件为空"), code="empty_file")
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None:
            raise UnusableInput(_("文件为空"), code="empty_file")
        mapping = header_map([str(v) if v is not None else None for v in header_row], spec)
        _check_columns(spec, mapping)
        headers = {name: str(header_row[pos]).strip() for pos, name in mapping.items()}
        positions = list(mapping)
        names = [ROW, *mapping.values()]
        buffer: list[tuple] = []
        last = limits.max_rows + 1  # the header is row 1
        for number, values in enumerate(rows, start=2):
            if number > last:
                raise too_many_rows(limits)
            width = len(values)
            buffer.append((number, *(values[p] if p < width else None for p in positions)))
            if len(buffer) >= chunk_rows:
                data = pd.DataFrame(buffer, columns=names, dtype=object)
                _check_cells(data, headers, limits)
                yield Chunk(data, headers)
                buffer = []
        if buffer:
            data = pd.DataFrame(buffer, columns=names, dtype=object)
            _check_cells(data, headers, limits)
            yield Chunk(data, headers)
    except UnusableInput:
        raise
    except _XLSX_ERRORS:
        raise UnusableInput(_("Excel 文件已损坏，无法读完"), code="corrupt_file") from None
    finally:
        if rows is not None:
            rows.close()  # the sheet's open member, when a limit stopped the reading
        workbook.close()


def read_file(path: Path, spec: SourceSpec, limits: Limits | None = None) -> Iterator[Chunk]:
    limits = limits or current_limits()
    if is_xlsx(path):
        return read_xlsx(path, spec, limits=limits)
    return read_csv(path, spec, limits=limits)


def count_rows(path: Path) -> int | None:
    """About how many data rows a file holds (for a progress bar's total): the lines after
    the header of a CSV, the sheet's declared rows of an XLSX; None when it cannot tell."""
    try:
        if is_xlsx(path):
            rows = _declared_rows(path)
            return max(0, rows - 1) if rows else None
        with path.open("rb") as fh:
            lines = sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
        return max(0, lines - 1)
    except Exception:  # noqa: BLE001 - a bar without a total is still a bar
        return None


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]+\d+(?::[A-Z]+(\d+))?\"")
_SHEET_HEAD = 64 * 1024


def _declared_rows(path: Path) -> int | None:
    """The last row the first sheet declares (`<dimension ref="A1:H500001">`, read from the
    first 64 KB of its XML), else its rows counted while the archive's limits are checked
    (openpyxl's write-only files declare none). Never the shared strings."""
    count = member_count(path)
    if count is None or count > 1000:
        return None
    with zipfile.ZipFile(path) as archive:
        sheet = _first_sheet(archive)
        if sheet is None:
            return None
        with archive.open(sheet) as fh:
            match = _DIMENSION.search(fh.read(_SHEET_HEAD))
    if match and match.group(1):
        return int(match.group(1))
    return check_xlsx(path, current_limits(), rows_of=sheet)


def _first_sheet(archive: zipfile.ZipFile) -> str | None:
    """The first sheet's member name, from xl/workbook.xml and its relationships."""
    from defusedxml import ElementTree

    names = set(archive.namelist())
    try:
        book, rels = (
            archive.getinfo("xl/workbook.xml"),
            archive.getinfo("xl/_rels/workbook.xml.rels"),
        )
    except KeyError:
        return None
    if book.file_size > _SHEET_HEAD * 16 or rels.file_size > _SHEET_HEAD * 16:
        return None
    ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    sheet = ElementTree.fromstring(archive.read(book)).find(".//{*}sheets/{*}sheet")
    if sheet is None:
        return None
    for rel in ElementTree.fromstring(archive.read(rels)):
        if rel.get("Id") == sheet.get(ns):
            target = (rel.get("Target") or "").lstrip("/")
            target = target if target.startswith("xl/") else f"xl/{target}"
            return target if target in names else None
    return None


# --- records (pull / push) ----------------------------------------------------------


def _scalar(value: object) -> object:
    if isinstance(value, dict | list | tuple | set):
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


class RecordHasher:
    """SHA-256 over the records as canonical JSON: the checksum of a pull or push."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()

    def update(self, record: dict) -> None:
        line = json.dumps(record, ensure_ascii=False, default=str, sort_keys=True)
        self.digest.update(line.encode() + b"\n")

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


def read_records(
    records: Iterable[dict],
    spec: SourceSpec,
    hasher: RecordHasher,
    chunk_rows: int | None = None,
) -> Iterator[Chunk]:
    """Records keyed by field names or Chinese headers; `row` is the 1-based record number.

    Each record is mapped on its own (records may mix spellings). A required field that no
    record of the first non-empty chunk carries makes the input unusable.
    """
    chunk_rows = chunk_rows or CHUNK_ROWS
    field_of: dict[str, str | None] = {}  # key as sent → field name (None: ignored)
    headers: dict[str, str] = {}
    checked = False
    buffer: list[dict] = []
    number = 0

    def lookup(key: object) -> str | None:
        text = str(key)
        if text not in field_of:
            mapping = header_map([text], spec)
            field_of[text] = mapping.get(0)
            if field_of[text] and field_of[text] not in headers:
                headers[field_of[text]] = text  # type: ignore[index]
        return field_of[text]

    def flush() -> Chunk:
        nonlocal checked
        if not checked:
            _check_columns(spec, {i: name for i, name in enumerate(headers)})
            checked = True
        first = number - len(buffer) + 1
        data: dict[str, list] = {ROW: list(range(first, number + 1))}
        for name in headers:
            data[name] = [row.get(name) for row in buffer]
        return Chunk(pd.DataFrame(data, dtype=object), dict(headers))

    for record in records:
        if not isinstance(record, dict):
            raise UnusableInput(_("每条记录应为 JSON 对象"), code="bad_record")
        hasher.update(record)
        number += 1
        mapped: dict[str, object] = {}
        for key, value in record.items():
            name = lookup(key)
            if name is not None and name not in mapped:
                mapped[name] = _scalar(value)
        buffer.append(mapped)
        if len(buffer) >= chunk_rows:
            yield flush()
            buffer = []
    if buffer:
        yield flush()
