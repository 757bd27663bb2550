"""`flask ingest file SOURCE PATH [--json]`: summary, exit codes, one-line reasons."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from app.enterprises.models import Enterprise
from app.extensions import db
from tests.ingest.conftest import csv_text, table_counts

HEADER = ["uscc", "name", "established_on", "region_code", "industry_code"]


def test_json_summary_has_the_design_keys(app, factories, write_file):
    good = [factories.uscc(), "一号公司", "2020-01-01", "610113", "C"]
    bad = [factories.uscc(), "二号公司", "2020-02-30", "610113", "C"]
    path = write_file(csv_text(HEADER, [good, bad]))
    result = app.test_cli_runner().invoke(
        args=["ingest", "file", "enterprises", str(path), "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert list(body)[:9] == [
        "source",
        "rows",
        "inserted",
        "updated",
        "unchanged",
        "rejected",
        "skipped_no_consent",
        "batch_id",
        "rejections",
    ]
    assert (body["source"], body["rows"], body["inserted"], body["rejected"]) == (
        "enterprises",
        2,
        1,
        1,
    )
    assert body["rejections"][0]["row"] == 3
    assert body["rejections"][0]["column"] == "established_on"
    assert body["rejections"][0]["reason"] == "日期无法识别或不存在"


def test_human_summary(app, factories, write_file):
    path = write_file(
        csv_text(HEADER, [[factories.uscc(), "一号公司", "2020-01-01", "610113", "C"]])
    )
    result = app.test_cli_runner().invoke(args=["ingest", "file", "enterprises", str(path)])
    assert result.exit_code == 0
    assert "1 inserted" in result.stdout


def test_missing_required_column_exits_2_and_writes_nothing(app, factories, write_file):
    path = write_file(
        csv_text(HEADER[:-1], [[factories.uscc(), "一号公司", "2020-01-01", "610113"]])
    )
    db.session.commit()
    before = table_counts()
    result = app.test_cli_runner().invoke(
        args=["ingest", "file", "enterprises", str(path), "--json"]
    )
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "industry_code" in lines[0]
    assert table_counts() == before
    assert db.session.scalar(select(func.count()).select_from(Enterprise)) == before["enterprises"]


def test_unknown_source_and_unreadable_path_exit_2(app, write_file):
    path = write_file("uscc\n")
    for args in (
        ["ingest", "file", "loans", str(path)],
        ["ingest", "file", "enterprises", str(path) + ".missing"],
    ):
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 2, result.output
        assert len(result.stderr.strip().splitlines()) == 1


def test_ingest_reports_rows_as_it_goes(load, factories):
    """What a CLI progress bar hears: the file's rows as the total, then each chunk."""
    from tests.main.test_progress import Recorder

    progress = Recorder()
    rows = [[factories.uscc(), f"公司{i}", "2020-01-01", "610113", "C"] for i in range(3)]
    header = ["统一社会信用代码", "企业名称", "成立日期", "行政区划代码", "行业代码"]
    summary = load("enterprises", header, rows, progress=progress)
    assert summary.rows == 3 and progress.totals == [3] and sum(progress.steps) == 3
