"""Big and hostile files, built here for real: a zip bomb of shared strings, a member that
unpacks past what its header declares, too many rows, an absurd line or cell. Each is
refused whole with a reason in words, nothing is written, the failure is recorded, and
the memory the attempt takes stays small (tracemalloc peak; RSS for the C side)."""

from __future__ import annotations

import struct
import tracemalloc
import zipfile
import zlib

import psutil
import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.extensions import db
from app.ingest.models import ImportBatch
from app.ingest.readers import count_rows
from app.ingest.services import UnusableInput, ingest_file
from tests.ingest.conftest import batches, csv_text, table_counts
from tests.ingest.test_files import EN_HEADER, _rows

MB = 1 << 20
SST = "xl/sharedStrings.xml"
SST_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)
SST_REL = (
    b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/sharedStrings" Target="sharedStrings.xml"/>'
)
SHEET = "xl/worksheets/sheet1.xml"
# Generous: a refusal reads a block or two; the bombs below would take 100s of MB.
PEAK_LIMIT = 32 * MB
RSS_LIMIT = 150 * MB


def _workbook(factories, path, rows=3):
    workbook = Workbook()
    workbook.active.append(EN_HEADER)
    for row in _rows(factories, rows):
        workbook.active.append(row)
    workbook.save(path)
    return path


def _bomb(good, path, *, unpacked_mb: int, string_bytes: int = 1000):
    """`good` with its shared strings replaced by `unpacked_mb` MB of long strings, written
    streaming (the test never holds the bomb in memory)."""
    piece = b"<si><t>" + b"A" * string_bytes + b"</t></si>"
    count = unpacked_mb * MB // len(piece)
    block = piece * (MB // len(piece))
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            # openpyxl writes strings inline: declare the shared strings as Excel does, so
            # that a reader that loads them (openpyxl's) really would.
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", SST_TYPE + b"</Types>")
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", SST_REL + b"</Relationships>")
            dst.writestr(item, data)
        with dst.open(SST, "w", force_zip64=unpacked_mb >= 2048) as out:
            out.write(
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                + f'count="{count}" uniqueCount="{count}">'.encode()
            )
            written = 0
            while written + len(block) <= count * len(piece):
                out.write(block)
                written += len(block)
            out.write(b"</sst>")
    return path


def _declare_size(path, member: str, size: int) -> None:
    """Rewrite the uncompressed size `member`'s headers declare (a lying zip header); the
    CRC is left as it was, as a forger who only wants past a size check would."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    central = data.find(b"PK\x01\x02" + b"\x00" * 0, 0)
    while central >= 0:
        name_length = struct.unpack("<H", data[central + 28 : central + 30])[0]
        if bytes(data[central + 46 : central + 46 + name_length]) == name:
            data[central + 24 : central + 28] = struct.pack("<I", size)
            local = struct.unpack("<I", data[central + 42 : central + 46])[0]
            data[local + 22 : local + 26] = struct.pack("<I", size)
            path.write_bytes(bytes(data))
            return
        central = data.find(b"PK\x01\x02", central + 4)
    raise AssertionError(f"{member} not in {path}")


@pytest.fixture(scope="module")
def big_bomb(tmp_path_factory):
    """The issue's file: 1,000 MB of shared strings in about 1 MB (built once: ~6 s)."""
    folder = tmp_path_factory.mktemp("bomb")
    workbook = Workbook()
    workbook.active.append(EN_HEADER)
    workbook.active.append(["91610102MA6U000000", "某公司", "张三", "2018-05-09"])
    workbook.save(folder / "good.xlsx")
    return _bomb(folder / "good.xlsx", folder / "bomb.xlsx", unpacked_mb=1000)


def _refused(source, path, code):
    """Import `path`: refused with `code`, nothing written, the failure recorded; returns
    (message, tracemalloc peak, RSS growth)."""
    db.session.commit()
    before = table_counts()
    process = psutil.Process()
    rss = process.memory_info().rss
    tracemalloc.start()
    try:
        with pytest.raises(UnusableInput) as exc:
            ingest_file(source, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    grown = process.memory_info().rss - rss
    assert exc.value.code == code, exc.value.message
    assert table_counts() == before
    assert batches("failed") == 1 and batches("succeeded") == 0
    failed = db.session.scalar(select(ImportBatch))
    assert failed.error == exc.value.message and failed.rows == 0
    return exc.value.message, peak, grown


def test_a_zip_bomb_of_shared_strings_is_refused_without_unpacking_it(big_bomb):
    assert big_bomb.stat().st_size < 3 * MB  # 1,000 MB of strings in a file of about 1 MB
    message, peak, grown = _refused("enterprises", big_bomb, "shared_strings_too_large")
    assert message == "Excel 文件的共享字符串表超过 100 MB 的上限，已整体拒收"
    assert peak < PEAK_LIMIT and grown < RSS_LIMIT, (peak, grown)


def test_a_bomb_under_a_raised_strings_limit_meets_the_unpacked_limit(big_bomb, app, monkeypatch):
    monkeypatch.setitem(app.config, "INGEST_XLSX_MAX_SHARED_STRINGS_MB", 2000)
    monkeypatch.setitem(app.config, "INGEST_XLSX_MAX_UNPACKED_MB", 500)
    message, peak, grown = _refused("enterprises", big_bomb, "unpacked_too_large")
    assert "解压后超过 500 MB" in message and "压缩炸弹" in message
    assert peak < PEAK_LIMIT and grown < RSS_LIMIT, (peak, grown)


def test_shared_strings_past_their_own_limit_are_refused(factories, tmp_path, app, monkeypatch):
    good = _workbook(factories, tmp_path / "good.xlsx")
    bomb = _bomb(good, tmp_path / "bomb.xlsx", unpacked_mb=20)
    monkeypatch.setitem(app.config, "INGEST_XLSX_MAX_SHARED_STRINGS_MB", 10)
    message, peak, _ = _refused("enterprises", bomb, "shared_strings_too_large")
    assert "共享字符串表超过 10 MB" in message
    assert peak < PEAK_LIMIT


def test_millions_of_tiny_shared_strings_are_refused_while_counted(factories, tmp_path):
    """40 MB of one-letter strings (2.4 million) under every size limit: openpyxl would make
    a Python object of each; their number is limited as they are inflated."""
    good = _workbook(factories, tmp_path / "good.xlsx")
    bomb = _bomb(good, tmp_path / "tiny.xlsx", unpacked_mb=40, string_bytes=1)
    message, peak, grown = _refused("enterprises", bomb, "too_many_shared_strings")
    assert message == "Excel 文件的共享字符串超过 2,000,000 条的上限，已整体拒收"
    assert peak < PEAK_LIMIT and grown < RSS_LIMIT, (peak, grown)


def test_a_member_that_unpacks_past_its_declared_size_is_refused(factories, tmp_path):
    """The directory says 1 KB of shared strings; they inflate to 300 MB. The declared sizes
    pass every limit: only counting the real bytes while inflating catches it, a block in."""
    good = _workbook(factories, tmp_path / "good.xlsx")
    liar = _bomb(good, tmp_path / "liar.xlsx", unpacked_mb=300)
    _declare_size(liar, SST, 1024)
    with zipfile.ZipFile(liar) as archive:
        assert archive.getinfo(SST).file_size == 1024

    message, peak, grown = _refused("enterprises", liar, "zip_size_mismatch")
    assert SST in message and "实际大小与声明不符" in message
    assert peak < PEAK_LIMIT and grown < RSS_LIMIT, (peak, grown)


def test_a_member_declaring_more_than_it_holds_is_refused(factories, tmp_path):
    good = _workbook(factories, tmp_path / "good.xlsx")
    liar = tmp_path / "liar.xlsx"
    liar.write_bytes(good.read_bytes())
    with zipfile.ZipFile(liar) as archive:
        real = archive.getinfo(SHEET).file_size
    _declare_size(liar, SHEET, real + 10)
    _refused("enterprises", liar, "zip_size_mismatch")


def test_the_unpacked_limit_counts_real_bytes_across_members(factories, tmp_path, app, monkeypatch):
    """Every member declares honestly and passes alone; together they pass the limit."""
    good = _workbook(factories, tmp_path / "good.xlsx")
    big = _bomb(good, tmp_path / "big.xlsx", unpacked_mb=3)
    monkeypatch.setitem(app.config, "INGEST_XLSX_MAX_UNPACKED_MB", 2)
    message, _, _ = _refused("enterprises", big, "unpacked_too_large")
    assert "2.0 MB" in message


def test_an_xlsx_with_too_many_rows_is_refused(factories, tmp_path, app, monkeypatch):
    monkeypatch.setitem(app.config, "INGEST_MAX_ROWS", 40)
    exactly = _workbook(factories, tmp_path / "forty.xlsx", rows=40)
    assert ingest_file("enterprises", exactly).rows == 40  # at the limit: taken
    db.session.rollback()
    db.session.execute(ImportBatch.__table__.delete())

    over = _workbook(factories, tmp_path / "forty-one.xlsx", rows=41)
    message, _, _ = _refused("enterprises", over, "too_many_rows")
    assert message == "文件超过 40 行的上限，已整体拒收"


def test_a_csv_with_too_many_rows_is_refused(factories, write_file, app, monkeypatch):
    monkeypatch.setitem(app.config, "INGEST_MAX_ROWS", 10)
    path = write_file(csv_text(EN_HEADER, _rows(factories, 11)))
    _refused("enterprises", path, "too_many_rows")


def test_an_xlsx_cell_past_the_length_limit_is_refused(factories, tmp_path, app, monkeypatch):
    monkeypatch.setitem(app.config, "INGEST_MAX_CELL_CHARS", 1000)
    workbook = Workbook()
    workbook.active.append(EN_HEADER)
    rows = _rows(factories, 3)
    rows[1][9] = "西" * 1001  # the address (openpyxl itself cuts cells at Excel's 32,767)
    for row in rows:
        workbook.active.append(row)
    workbook.save(tmp_path / "long.xlsx")
    message, _, _ = _refused("enterprises", tmp_path / "long.xlsx", "cell_too_long")
    assert message == "第 3 行“address”列的内容超过 1,000 个字符的上限，文件已整体拒收"


def test_a_csv_cell_past_the_length_limit_is_refused(factories, write_file, app, monkeypatch):
    monkeypatch.setitem(app.config, "INGEST_MAX_CELL_CHARS", 100)
    rows = _rows(factories, 3)
    rows[2][1] = "长" * 101
    message, _, _ = _refused("enterprises", write_file(csv_text(EN_HEADER, rows)), "cell_too_long")
    assert "第 4 行“name”列" in message


def test_a_csv_with_an_absurd_line_is_refused_before_it_is_parsed(factories, tmp_path):
    """One 200 MB line (no newline at all after the header): the parser would buffer it."""
    path = tmp_path / "line.csv"
    with path.open("wb") as out:
        out.write(csv_text(EN_HEADER, _rows(factories, 2)).encode())
        block = b"x" * MB
        for _ in range(200):
            out.write(block)
    message, peak, grown = _refused("enterprises", path, "line_too_long")
    assert message == "第 4 行超过 1,024 KB 的长度上限，文件已整体拒收"
    assert peak < PEAK_LIMIT and grown < RSS_LIMIT, (peak, grown)


def test_a_line_at_the_limit_is_read(factories, write_file, app, monkeypatch):
    monkeypatch.setitem(app.config, "INGEST_MAX_LINE_KB", 1)
    rows = _rows(factories, 1)
    line = csv_text(EN_HEADER, rows).encode().split(b"\n")[1]
    rows[0][9] += "x" * (1024 - len(line))  # the line: exactly 1,024 bytes
    path = write_file(csv_text(EN_HEADER, rows))
    assert len(path.read_bytes().split(b"\n")[1]) == 1024
    assert ingest_file("enterprises", path).rows == 1


def test_a_progress_total_never_unpacks_the_shared_strings(factories, tmp_path, big_bomb):
    good = _workbook(factories, tmp_path / "good.xlsx", rows=25)
    assert count_rows(good) == 25  # the sheet's declared dimension
    tracemalloc.start()
    try:
        assert count_rows(big_bomb) == 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_LIMIT


def test_a_damaged_deflate_stream_is_corrupt_not_a_crash(factories, tmp_path):
    good = _workbook(factories, tmp_path / "good.xlsx")
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start : start + 8] = b"\xff" * 8
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(bytes(data))
    with pytest.raises(zlib.error):
        zlib.decompress(bytes(data[start : start + info.compress_size]), -zlib.MAX_WBITS)
    _refused("enterprises", broken, "corrupt_file")


def test_the_web_upload_of_a_bomb_says_why(login_as, factories, tmp_path):
    from tests.ingest.test_web import _upload

    client, _admin = login_as("admin")
    good = _workbook(factories, tmp_path / "good.xlsx")
    # 150 MB of strings in under 500 KB (the test client spools bigger bodies to a file)
    bomb = _bomb(good, tmp_path / "bomb.xlsx", unpacked_mb=150)
    assert bomb.stat().st_size < 500 * 1024
    db.session.commit()
    response = _upload(client, "enterprises", "名录.xlsx", bomb.read_bytes())
    assert response.status_code == 422
    assert "共享字符串表超过 100 MB" in response.get_data(as_text=True)
    assert db.session.scalar(select(ImportBatch.status)) == "failed"
