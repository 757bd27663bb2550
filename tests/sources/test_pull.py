"""Pulls against a real HTTP server on 127.0.0.1: pages, retries, refusals, timeouts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.clock import utcnow
from app.extensions import db
from app.ingest import readers as ingest_readers
from app.ingest.models import ImportBatch
from app.sources import services
from app.sources.services import SourceError, SourceNotConfigured
from tests.sources.conftest import TOKEN, Answer, enterprise_record, paged, registry_count


def batches(status: str) -> int:
    query = select(func.count()).select_from(ImportBatch).where(ImportBatch.status == status)
    return db.session.scalar(query)


def configure(url: str, source: str = "enterprises", **kwargs):
    ds = services.set_source(source, url, TOKEN, **kwargs)
    db.session.commit()  # a failed pull rolls back its batch, not the configuration
    return ds


def test_pages_are_followed_with_since_uscc_and_bearer_token(app, server, factories):
    pages = [[{"n": 1}, {"n": 2}], [{"n": 3}], [{"n": 4}]]
    server.script = paged(pages)
    ds = configure(server.url, "tax_payments")
    code = factories.uscc()

    records = list(services.fetch_records(ds, uscc=code, since="2025-01"))

    assert [r["n"] for r in records] == [1, 2, 3, 4]
    assert [r.query["page"] for r in server.requests] == ["1", "2", "3"]
    assert {r.path for r in server.requests} == {"/api/tax_payments"}
    assert all(r.query["since"] == "2025-01" and r.query["uscc"] == code for r in server.requests)
    assert all(r.authorization == f"Bearer {TOKEN}" for r in server.requests)


def test_fetch_is_lazy_until_records_are_read(app, server):
    ds = configure(server.url)
    records = services.fetch_records(ds)
    assert server.requests == []
    assert list(records) == []
    assert len(server.requests) == 1
    assert "since" not in server.requests[0].query and "uscc" not in server.requests[0].query


def test_503_is_retried_then_the_pull_succeeds(app, server, factories, ingest):
    rows = [enterprise_record(factories, i) for i in range(3)]

    def script(req, n):
        if n <= 2:
            return Answer(503, b"busy")
        return Answer(body={"records": rows, "next_page": None})

    server.script = script
    configure(server.url)

    summary = services.pull_source("enterprises")

    assert len(server.requests) == 3  # two 503s, then the answer
    assert summary.inserted == 3
    assert registry_count([r["uscc"] for r in rows]) == 3
    ds = services.get_source("enterprises")
    assert ds.last_status == "ok" and ds.last_error is None
    assert ds.last_batch_id == summary.batch_id


def test_503_every_time_fails_after_the_retries(app, server):
    server.script = lambda req, n: Answer(503, b"down")
    configure(server.url)
    with pytest.raises(SourceError) as info:
        list(services.fetch_records(services.get_source("enterprises")))
    assert len(server.requests) == 3  # 1 + SOURCES_RETRIES
    assert "HTTP 503" in info.value.message and "3 次尝试" in info.value.message


def test_401_is_not_retried_and_writes_nothing(app, server, factories, ingest):
    rows = [enterprise_record(factories, 1)]
    server.script = lambda req, n: Answer(401, b'{"error": "bad token"}')
    configure(server.url)

    with pytest.raises(SourceError) as info:
        services.pull_source("enterprises")

    assert len(server.requests) == 1
    assert "HTTP 401" in info.value.message and "令牌" in info.value.message
    assert registry_count([r["uscc"] for r in rows]) == 0
    ds = services.get_source("enterprises")
    assert ds.last_status == "failed" and "HTTP 401" in ds.last_error
    assert ds.last_batch_id is None and ds.since is None


@pytest.mark.parametrize("status", [403, 404, 400])
def test_other_4xx_are_not_retried(app, server, status):
    server.script = lambda req, n: Answer(status, b"{}")
    ds = configure(server.url)
    with pytest.raises(SourceError) as info:
        list(services.fetch_records(ds))
    assert len(server.requests) == 1
    assert f"HTTP {status}" in info.value.message


def test_a_source_that_times_out_is_retried_then_reported(app, server, ingest):
    server.script = lambda req, n: Answer(body={"records": [], "next_page": None}, delay=1.0)
    configure(server.url, timeout_seconds=0.2)

    # The server answers every request, after 1 s: that the pull fails at all, with a
    # timeout, shows the client gave up before then (no stopwatch needed).
    with pytest.raises(SourceError) as info:
        services.pull_source("enterprises")

    assert len(server.requests) == 3
    assert "超时" in info.value.message and "0.2" in info.value.message
    assert services.get_source("enterprises").last_status == "failed"


def test_an_unreachable_source_is_reported(app):
    # A port nobody listens on: bind, note it, close.
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    ds = configure(f"http://127.0.0.1:{port}")
    with pytest.raises(SourceError) as info:
        list(services.fetch_records(ds))
    assert "无法连接" in info.value.message


@pytest.mark.parametrize(
    "body",
    [
        b'{"records": [{"uscc": "x"}',  # cut off
        b"<html>gateway</html>",
        b'{"data": []}',
        b'{"records": {"uscc": "x"}}',
        b'{"records": [1, 2]}',
        b'{"records": [], "next_page": "2"}',
        b'{"records": [], "next_page": true}',
        b"[]",
    ],
)
def test_malformed_answers_write_nothing(app, server, factories, ingest, body):
    rows = [enterprise_record(factories, 1)]

    def script(req, n):
        if req.query["page"] == "1":
            return Answer(body={"records": rows, "next_page": 2})
        return Answer(200, body)

    server.script = script
    configure(server.url)

    with pytest.raises(SourceError) as info:
        services.pull_source("enterprises")

    assert "第 2 页" in info.value.message
    assert registry_count([r["uscc"] for r in rows]) == 0
    assert services.get_source("enterprises").last_status == "failed"


def test_failure_on_page_3_of_3_writes_nothing_from_pages_1_and_2(
    app, server, factories, ingest, monkeypatch
):
    pages = [[enterprise_record(factories, i)] for i in range(3)]
    usccs = [p[0]["uscc"] for p in pages]
    good = paged(pages)
    server.script = lambda req, n: Answer(500) if req.query["page"] == "3" else good(req, n)
    configure(server.url)
    # One record per chunk: pages 1-2 are staged, and the batch row written (uncommitted),
    # by the time page 3 is asked for; the failure must take all of it out again.
    monkeypatch.setattr(ingest_readers, "CHUNK_ROWS", 1)
    running_before_page_3 = []
    real_fetch = services.fetch_records

    def fetch(ds, **kwargs):
        for n, record in enumerate(real_fetch(ds, **kwargs), start=1):
            yield record
            if n == 2:
                running_before_page_3.append(batches("running"))

    monkeypatch.setattr(services, "fetch_records", fetch)

    with pytest.raises(SourceError) as info:
        services.pull_source("enterprises")

    assert running_before_page_3 == [1]
    assert "HTTP 500" in info.value.message
    assert [r.query["page"] for r in server.requests] == ["1", "2", "3", "3", "3"]
    assert registry_count(usccs) == 0
    assert (batches("running"), batches("failed")) == (0, 1)  # recorded after the rollback
    ds = services.get_source("enterprises")
    assert ds.last_status == "failed" and ds.last_pulled_at is not None


def test_a_page_loop_is_refused(app, server):
    server.script = lambda req, n: Answer(body={"records": [{"n": n}], "next_page": 1})
    ds = configure(server.url)
    with pytest.raises(SourceError) as info:
        list(services.fetch_records(ds))
    assert "循环" in info.value.message
    assert len(server.requests) == 1


def test_too_many_pages_are_refused(app, server, monkeypatch):
    monkeypatch.setitem(app.config, "SOURCES_MAX_PAGES", 2)
    server.script = paged([[{"n": 1}], [{"n": 2}], [{"n": 3}]])
    ds = configure(server.url)
    with pytest.raises(SourceError) as info:
        list(services.fetch_records(ds))
    assert "上限 2" in info.value.message


def test_a_successful_full_pull_moves_the_since_cursor(app, server, factories, ingest):
    server.script = paged([[enterprise_record(factories, 1)]])
    configure(server.url)

    services.pull_source("enterprises")
    ds = services.get_source("enterprises")
    assert ds.since is not None and len(ds.since) == 7
    assert ingest[0].origin == "pull" and server.url in ingest[0].label

    services.pull_source("enterprises")
    assert server.requests[-1].query["since"] == ds.since
    assert "since=" + ds.since in ingest[-1].label


def test_a_pull_for_one_enterprise_asks_for_it_and_leaves_the_schedule(
    app, server, factories, ingest
):
    server.script = paged([[]])
    configure(server.url)
    code = factories.uscc()

    services.pull_source("enterprises", uscc=code.lower())

    assert server.requests[0].query["uscc"] == code
    assert "since" not in server.requests[0].query
    ds = services.get_source("enterprises")
    assert ds.last_pulled_at is None and ds.since is None


def test_pull_of_an_unconfigured_source_is_refused(app):
    with pytest.raises(SourceNotConfigured) as info:
        services.pull_source("utility_bills")
    assert "utility_bills" in info.value.message


def test_pull_all_goes_on_after_a_failing_source(app, server, ingest):
    def script(req, n):
        if req.path.endswith("/tax_payments"):
            return Answer(401)
        return Answer(body={"records": [], "next_page": None})

    server.script = script
    configure(server.url, "enterprises")
    configure(server.url, "tax_payments")
    configure(server.url, "utility_bills", enabled=False)

    results = services.pull_all()

    assert [(r.source, r.ok) for r in results] == [("enterprises", True), ("tax_payments", False)]
    assert "HTTP 401" in results[1].error
    assert results[1].to_dict() == {"source": "tax_payments", "error": results[1].error}
    assert repr(results[1]).startswith("tax_payments: failed: ")
    assert repr(results[0]).startswith("enterprises: batch ")


def test_pull_enterprise_pulls_only_the_granted_categories(app, server, factories, ingest):
    server.script = lambda req, n: Answer(body={"records": [], "next_page": None})
    for name in ("enterprises", "tax_payments", "social_insurance"):
        configure(server.url, name)
    code = factories.uscc()

    results = services.pull_enterprise(code, ["tax_payments", "social_insurance", "utility_bills"])

    assert [r.source for r in results] == ["tax_payments", "social_insurance"]
    assert all(r.ok for r in results)
    assert [r.path for r in server.requests] == ["/api/tax_payments", "/api/social_insurance"]
    assert all(r.query["uscc"] == code for r in server.requests)


def test_due_sources(app, server):
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    never = configure(server.url, "enterprises", interval_minutes=60)
    recent = configure(server.url, "tax_payments", interval_minutes=60)
    recent.last_pulled_at, recent.last_status = now - timedelta(minutes=30), "ok"
    old = configure(server.url, "tax_ratings", interval_minutes=60)
    old.last_pulled_at, old.last_status = now - timedelta(minutes=60), "ok"
    failed = configure(server.url, "utility_bills", interval_minutes=1440)
    failed.last_pulled_at, failed.last_status = now - timedelta(minutes=61), "failed"
    off = configure(server.url, "social_insurance", enabled=False)
    db.session.flush()

    due = {ds.source for ds in services.due_sources(now)}

    assert due == {never.source, old.source, failed.source}
    assert off.source not in due


def test_pull_due_pulls_each_due_source_even_after_a_failure(app, server, ingest):
    server.script = lambda req, n: (
        Answer(503) if req.path.endswith("/enterprises") else Answer(body={"records": []})
    )
    configure(server.url, "enterprises")
    configure(server.url, "tax_ratings")
    recent = configure(server.url, "tax_payments")
    recent.last_pulled_at, recent.last_status = utcnow(), "ok"
    db.session.commit()

    results = services.pull_due()

    assert [(r.source, r.ok) for r in results] == [("enterprises", False), ("tax_ratings", True)]
    assert services.due_sources() == []  # both have just been tried
