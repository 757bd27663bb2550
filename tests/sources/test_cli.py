"""`flask sources set|list` and the pull command: summaries, --json, exit 2, no token shown."""

from __future__ import annotations

import json
import logging
import re

from app.sources import services
from tests.sources.conftest import TOKEN, Answer, enterprise_record, paged, registry_count

PULL = ["ingest", "pull"]


def test_set_and_list_never_show_the_token(app, server, caplog):
    caplog.set_level(logging.DEBUG)
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["sources", "set", "tax_payments", "--url", server.url, "--token", TOKEN,
              "--interval", "120"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "••••" + TOKEN[-4:] in result.output
    listing = runner.invoke(args=["sources", "list"])
    assert listing.exit_code == 0
    assert "tax_payments" in listing.output and "every 120 min" in listing.output
    for text in (result.output, listing.output, caplog.text):
        assert TOKEN not in text


def test_set_refuses_a_bad_url(app):
    result = app.test_cli_runner().invoke(
        args=["sources", "set", "tax_payments", "--url", "ftp://x", "--token", TOKEN]
    )
    assert result.exit_code == 1
    assert "http://" in result.output
    assert services.get_source("tax_payments") is None


def test_pull_prints_the_summary_as_json(app, server, factories, ingest, caplog):
    caplog.set_level(logging.DEBUG)
    rows = [enterprise_record(factories, i) for i in range(2)]
    server.script = paged([rows[:1], rows[1:]])
    services.set_source("enterprises", server.url, TOKEN)

    result = app.test_cli_runner().invoke(args=[*PULL, "enterprises", "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["source"] == "enterprises" and data["rows"] == 2 and data["inserted"] == 2
    assert set(data) >= {"updated", "unchanged", "rejected", "skipped_no_consent", "batch_id",
                         "rejections"}  # fmt: skip
    assert registry_count([r["uscc"] for r in rows]) == 2
    assert TOKEN not in caplog.text and TOKEN not in result.output


def test_pull_prints_a_readable_summary(app, server, ingest):
    services.set_source("enterprises", server.url, TOKEN)
    result = app.test_cli_runner().invoke(args=[*PULL, "enterprises"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^enterprises batch \d+: 0 rows, 0 inserted", result.output, re.M)


def test_a_refused_pull_exits_2_with_one_line(app, server, factories, ingest):
    server.script = lambda req, n: Answer(401)
    services.set_source("enterprises", server.url, TOKEN)
    result = app.test_cli_runner().invoke(args=[*PULL, "enterprises", "--json"])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "HTTP 401" in result.output
    assert len(server.requests) == 1


def test_an_unconfigured_source_exits_2(app):
    result = app.test_cli_runner().invoke(args=[*PULL, "social_insurance"])
    assert result.exit_code == 2
    assert "尚未配置" in result.output


def test_pull_without_source_pulls_every_enabled_one_and_reports_failures(app, server, ingest):
    server.script = lambda req, n: (
        Answer(200, b"not json") if "tax" in req.path else Answer(body={"records": []})
    )
    services.set_source("enterprises", server.url, TOKEN)
    services.set_source("tax_ratings", server.url, TOKEN)
    result = app.test_cli_runner().invoke(args=[*PULL, "--json"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    data = json.loads(lines[0])
    assert [d["source"] for d in data] == ["enterprises", "tax_ratings"]
    assert "error" in data[1] and "JSON" in data[1]["error"]


def test_pull_without_any_source_configured_exits_2(app):
    result = app.test_cli_runner().invoke(args=PULL)
    assert result.exit_code == 2
    assert "no enabled HTTP source" in result.output


def test_an_invalid_uscc_exits_2_before_any_request(app, server):
    services.set_source("tax_payments", server.url, TOKEN)
    result = app.test_cli_runner().invoke(args=[*PULL, "tax_payments", "--uscc", "12345"])
    assert result.exit_code == 2
    assert "统一社会信用代码" in result.output
    assert server.requests == []
