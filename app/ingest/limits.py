"""What a file must keep to be read at all: the limits that refuse big and hostile files
whole, before they cost the process its memory (docs/formats.md, "Big and hostile files").

An XLSX is a zip of XML files. A 1 MB workbook can unpack to gigabytes (a zip bomb), and
openpyxl holds the shared-strings part in memory whole, so the archive is checked before
openpyxl opens it: the member count from the end record (before `zipfile` builds an entry per
member), the sizes the directory declares, then every member decompressed block by block
and counted, so a member that unpacks to more than it declares (a lying header) or past the
limits is refused with at most one block in memory. Rows and cell lengths are counted while
the rows are read; a CSV's lines are measured while its encoding is checked.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app, has_app_context
from flask_babel import gettext as _

from app.ingest.errors import UnusableInput

MB = 1 << 20
_BLOCK = 1 << 20
SHARED_STRINGS = "xl/sharedStrings.xml"
# An XLSX has a few dozen members; the end record's count is read before zipfile lists them.
MAX_MEMBERS = 1000
_END_RECORD = b"PK\x05\x06"
_END_RECORD_SIZE = 22
_LOCAL_HEADER = b"PK\x03\x04"
_LOCAL_HEADER_SIZE = 30


class LimitExceeded(UnusableInput):
    """The file breaks one of the limits below: refused whole, nothing written."""

    code = "file_too_large"


@dataclass(frozen=True)
class Limits:
    """The limits in force (config: INGEST_MAX_ROWS, INGEST_MAX_CELL_CHARS,
    INGEST_MAX_LINE_KB, INGEST_XLSX_MAX_UNPACKED_MB, INGEST_XLSX_MAX_SHARED_STRINGS_MB,
    INGEST_XLSX_MAX_SHARED_STRINGS)."""

    max_rows: int = 5_000_000
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    max_line_bytes: int = 1 * MB
    max_unpacked_bytes: int = 1024 * MB
    max_shared_strings_bytes: int = 100 * MB
    # openpyxl keeps each shared string as a Python object (~100 bytes beside its text):
    # 6 million one-letter strings in 99 MB cost it 560 MB, so their number is limited too.
    max_shared_strings: int = 2_000_000

    @classmethod
    def from_config(cls, config) -> Limits:
        default = cls()
        return cls(
            max_rows=int(config.get("INGEST_MAX_ROWS", default.max_rows)),
            max_cell_chars=int(config.get("INGEST_MAX_CELL_CHARS", default.max_cell_chars)),
            max_line_bytes=int(
                float(config.get("INGEST_MAX_LINE_KB", default.max_line_bytes / 1024)) * 1024
            ),
            max_unpacked_bytes=int(
                float(config.get("INGEST_XLSX_MAX_UNPACKED_MB", default.max_unpacked_bytes / MB))
                * MB
            ),
            max_shared_strings_bytes=int(
                float(
                    config.get(
                        "INGEST_XLSX_MAX_SHARED_STRINGS_MB", default.max_shared_strings_bytes / MB
                    )
                )
                * MB
            ),
            max_shared_strings=int(
                config.get("INGEST_XLSX_MAX_SHARED_STRINGS", default.max_shared_strings)
            ),
        )


def current_limits() -> Limits:
    """The configured limits inside an app, the defaults outside one."""
    return Limits.from_config(current_app.config) if has_app_context() else Limits()


def _mb(size: int) -> str:
    return f"{size / MB:,.0f}" if size >= 10 * MB else f"{size / MB:,.1f}"


def too_many_rows(limits: Limits) -> LimitExceeded:
    return LimitExceeded(
        _("文件超过 %(limit)s 行的上限，已整体拒收", limit=f"{limits.max_rows:,}"),
        code="too_many_rows",
    )


def cell_too_long(row: int, header: str, limits: Limits) -> LimitExceeded:
    return LimitExceeded(
        _(
            "第 %(row)s 行“%(column)s”列的内容超过 %(limit)s 个字符的上限，文件已整体拒收",
            row=row,
            column=header,
            limit=f"{limits.max_cell_chars:,}",
        ),
        code="cell_too_long",
    )


def line_too_long(line: int, limits: Limits) -> LimitExceeded:
    return LimitExceeded(
        _(
            "第 %(line)s 行超过 %(limit)s KB 的长度上限，文件已整体拒收",
            line=line,
            limit=f"{limits.max_line_bytes // 1024:,}",
        ),
        code="line_too_long",
    )


def _unpacked_too_large(limits: Limits) -> LimitExceeded:
    return LimitExceeded(
        _(
            "Excel 文件解压后超过 %(limit)s MB 的上限（可能是压缩炸弹），已整体拒收",
            limit=_mb(limits.max_unpacked_bytes),
        ),
        code="unpacked_too_large",
    )


def _shared_strings_too_large(limits: Limits) -> LimitExceeded:
    return LimitExceeded(
        _(
            "Excel 文件的共享字符串表超过 %(limit)s MB 的上限，已整体拒收",
            limit=_mb(limits.max_shared_strings_bytes),
        ),
        code="shared_strings_too_large",
    )


def _too_many_strings(limits: Limits) -> LimitExceeded:
    return LimitExceeded(
        _(
            "Excel 文件的共享字符串超过 %(limit)s 条的上限，已整体拒收",
            limit=f"{limits.max_shared_strings:,}",
        ),
        code="too_many_shared_strings",
    )


def _size_mismatch(member: str) -> LimitExceeded:
    return LimitExceeded(
        _("Excel 文件中 %(member)s 的实际大小与声明不符，文件已损坏或被篡改", member=member),
        code="zip_size_mismatch",
    )


def member_count(path: Path) -> int | None:
    """Members the zip's end record declares (None when there is no record to read)."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        tail_size = min(size, _END_RECORD_SIZE + 0xFFFF)  # the record plus the longest comment
        fh.seek(size - tail_size)
        tail = fh.read()
    at = tail.rfind(_END_RECORD)
    if at < 0 or len(tail) - at < _END_RECORD_SIZE:
        return None
    (total,) = struct.unpack("<H", tail[at + 10 : at + 12])
    return total


def check_xlsx(path: Path, limits: Limits, *, rows_of: str | None = None) -> int | None:
    """Refuse an XLSX that unpacks past the limits or whose members lie about their sizes;
    with `rows_of` (a sheet's member name), return how many rows that sheet holds.

    Raises `LimitExceeded`; a damaged zip raises what zipfile / zlib raise (the reader turns
    those into "corrupt"). Memory: one block of compressed and decompressed data at a time.
    """
    members = member_count(path)
    if members is not None and members >= min(MAX_MEMBERS, 0xFFFF):  # 0xFFFF: a zip64 count
        raise LimitExceeded(
            _("Excel 文件包含的部件过多（%(n)s 个），已整体拒收", n=members),
            code="too_many_members",
        )
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
        if len(entries) > MAX_MEMBERS:
            raise LimitExceeded(
                _("Excel 文件包含的部件过多（%(n)s 个），已整体拒收", n=len(entries)),
                code="too_many_members",
            )
        # What the directory declares first: a bomb that admits its size costs nothing.
        if sum(e.file_size for e in entries) > limits.max_unpacked_bytes:
            raise _unpacked_too_large(limits)
        for entry in entries:
            if entry.filename == SHARED_STRINGS and (
                entry.file_size > limits.max_shared_strings_bytes
            ):
                raise _shared_strings_too_large(limits)
        # Then what the members really hold, counted while decompressing.
        total = 0
        rows = None
        with path.open("rb") as fh:
            for entry in entries:
                counter = None
                if entry.filename == rows_of:
                    counter = _TagCounter(b"row")
                elif entry.filename == SHARED_STRINGS:
                    counter = _TagCounter(b"si")
                total = _count_member(fh, entry, total, limits, counter)
                if entry.filename == rows_of and counter is not None:
                    rows = counter.count
        return rows


class _TagCounter:
    """Opening tags (`<row ` / `<row>`, `<si>` / `<si `) in a part's XML, fed block by block
    (a tag may straddle two blocks)."""

    def __init__(self, name: bytes) -> None:
        self.tags = (b"<" + name + b" ", b"<" + name + b">")
        self.count = 0
        self._tail = b""

    def feed(self, block: bytes) -> None:
        data = self._tail + block
        self.count += sum(data.count(tag) for tag in self.tags)
        # fewer bytes than a whole tag: what is kept is only ever a tag's start
        self._tail = data[-(len(self.tags[0]) - 1) :]


def _count_member(
    fh: BinaryIO,
    entry: zipfile.ZipInfo,
    total: int,
    limits: Limits,
    counter: _TagCounter | None = None,
) -> int:
    """Inflate `entry`'s raw bytes block by block, refusing as soon as it passes its declared
    size or a limit; returns the running total.

    zipfile's own reader stops at the declared size (and then fails the CRC): to see what a
    lying member really holds, its data is read from after its local header directly.
    """
    if entry.flag_bits & 0x1:
        raise zipfile.BadZipFile("encrypted member")
    if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise zipfile.BadZipFile(f"unsupported compression {entry.compress_type}")
    fh.seek(entry.header_offset)
    header = fh.read(_LOCAL_HEADER_SIZE)
    if len(header) != _LOCAL_HEADER_SIZE or header[:4] != _LOCAL_HEADER:
        raise zipfile.BadZipFile("bad local header")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    fh.seek(entry.header_offset + _LOCAL_HEADER_SIZE + name_length + extra_length)
    inflate = zlib.decompressobj(-zlib.MAX_WBITS) if entry.compress_type else None
    left = entry.compress_size
    actual = 0
    while left > 0 and not (inflate is not None and inflate.eof):
        data = fh.read(min(_BLOCK, left))
        if not data:
            raise zipfile.BadZipFile("truncated member")
        left -= len(data)
        while data:
            if inflate is None:
                out, data = data, b""
            else:
                out = inflate.decompress(data, _BLOCK)
                data = inflate.unconsumed_tail
            actual += len(out)
            if counter is not None:
                counter.feed(out)
                if entry.filename == SHARED_STRINGS and counter.count > limits.max_shared_strings:
                    raise _too_many_strings(limits)
            if actual > entry.file_size:
                raise _size_mismatch(entry.filename)
            if total + actual > limits.max_unpacked_bytes:
                raise _unpacked_too_large(limits)
    if actual != entry.file_size:
        raise _size_mismatch(entry.filename)
    return total + actual
