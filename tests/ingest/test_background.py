"""Background imports: a file above INGEST_BACKGROUND_BYTES is stored and queued (web:
the batch page; API: 202), the scheduler's `run_import_jobs` imports it, and the batch page
and GET /api/v1/ingest/batches/{id} show its state, progress and summary. A job whose
process died is re-queued, or failed after its attempts."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.clock import utcnow
from app.enterprises.models import Enterprise
from app.extensions import db
from app.ingest.models import ImportBatch
from app.ingest.tasks import run_import_jobs
from app.scheduler.tasks import JobSkipped
from tests.ingest.conftest import csv_text
from tests.ingest.test_files import ZH_HEADER, _rows
from tests.ingest.test_web import _upload

THRESHOLD = 2000


@pytest.fixture
def background(app, monkeypatch, tmp_path):
    """Files above 2,000 bytes go to the background; jobs kept in tmp_path/jobs."""
    folder = tmp_path / "jobs"
    monkeypatch.setitem(app.config, "INGEST_BACKGROUND_BYTES", THRESHOLD)
    monkeypatch.setitem(app.config, "INGEST_JOB_DIR", str(folder))
    return folder


def _file(factories, n):
    data = csv_text(ZH_HEADER, _rows(factories, n)).encode()
    return data


def _enterprises() -> int:
    return db.session.scalar(select(func.count()).select_from(Enterprise))


def test_a_small_upload_is_imported_at_once(login_as, factories, background):
    client, _admin = login_as("admin")
    data = _file(factories, 3)
    assert len(data) <= THRESHOLD
    db.session.commit()
    response = _upload(client, "enterprises", "small.csv", data)
    assert response.status_code == 302
    batch = db.session.scalar(select(ImportBatch))
    assert (batch.status, batch.inserted, batch.stored_file) == ("succeeded", 3, None)
    assert list(background.iterdir()) == []  # the stored copy is gone


def test_a_big_upload_is_queued_and_the_page_follows_it(login_as, factories, background):
    client, admin = login_as("admin")
    data = _file(factories, 40)
    assert len(data) > THRESHOLD
    db.session.commit()
    before = _enterprises()
    response = _upload(client, "enterprises", "名录.csv", data)
    assert response.status_code == 302
    batch = db.session.scalar(select(ImportBatch))
    assert response.headers["Location"].endswith(f"/admin/ingest/batches/{batch.id}")
    assert (batch.status, batch.user_id, batch.filename) == ("queued", admin.id, "名录.csv")
    stored = background / batch.stored_file
    assert stored.read_bytes() == data and _enterprises() == before

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已转入后台导入" in page and "排队中" in page and "导入进度" in page
    assert f'data-progress-url="/admin/ingest/batches/{batch.id}/progress.json"' in page
    assert "js/batch-progress.js" in page and "<script>" not in page  # no inline script
    state = client.get(f"/admin/ingest/batches/{batch.id}/progress.json").get_json()
    assert (state["state"], state["state_label"], state["finished"]) == ("queued", "排队中", False)

    details = run_import_jobs()
    assert details["imports"] == [
        {"batch_id": batch.id, "status": "succeeded", "rows": 40, "rejected": 0}
    ]
    db.session.expire_all()
    assert (batch.status, batch.rows, batch.inserted, batch.attempts) == ("succeeded", 40, 40, 1)
    assert _enterprises() == before + 40 and not stored.exists()
    page = client.get(f"/admin/ingest/batches/{batch.id}").get_data(as_text=True)
    assert "成功" in page and "batch-progress.js" not in page and "导入进度" not in page
    state = client.get(f"/admin/ingest/batches/{batch.id}/progress.json").get_json()
    assert state["finished"] and state["percent"] == 100 and state["summary"]["inserted"] == 40
    assert state["elapsed"].endswith("秒")

    with pytest.raises(JobSkipped):
        run_import_jobs()  # nothing left


def test_the_push_api_answers_202_and_the_batch_state(api, factories, background):
    admin = factories.user("admin")
    token = factories.token(admin)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}

    small = api.client.post(
        "/api/v1/ingest/enterprises",
        data={"file": (io.BytesIO(_file(factories, 2)), "small.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert small.status_code == 200 and small.get_json()["inserted"] == 2

    big = api.client.post(
        "/api/v1/ingest/enterprises",
        data={"file": (io.BytesIO(_file(factories, 40)), "big.csv")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert big.status_code == 202, big.get_json()
    body = big.get_json()
    assert (body["state"], body["rows_read"], body["finished"]) == ("queued", 0, False)
    location = big.headers["Location"]
    assert location.endswith(f"/api/v1/ingest/batches/{body['batch_id']}")

    assert api.get(location, token=token).get_json()["state"] == "queued"
    run_import_jobs()
    state = api.get(location, token=token).get_json()
    assert (state["state"], state["finished"], state["rows_read"]) == ("succeeded", True, 40)
    assert state["summary"]["inserted"] == 40

    officer = factories.user("bank_officer")
    other = factories.token(officer)
    db.session.commit()
    assert api.get(location, token=other).status_code == 403
    assert api.get("/api/v1/ingest/batches/999999", token=token).status_code == 404


def test_a_queued_file_refused_by_the_job_records_why(login_as, factories, background):
    client, _admin = login_as("admin")
    header = [h for h in ZH_HEADER if h != "成立日期"]
    rows = [r[:3] + r[4:] for r in _rows(factories, 40)]
    db.session.commit()
    before = _enterprises()
    _upload(client, "enterprises", "bad.csv", csv_text(header, rows).encode())
    batch = db.session.scalar(select(ImportBatch))
    assert batch.status == "queued"
    details = run_import_jobs()
    assert details["imports"][0]["status"] == "failed"
    db.session.expire_all()
    assert batch.status == "failed" and "缺少必填列" in batch.error
    assert _enterprises() == before and not (background / batch.stored_file).exists()
    page = client.get(f"/admin/ingest/batches/{batch.id}").get_data(as_text=True)
    assert "失败" in page and "缺少必填列" in page


def _crashed(factories, background, *, attempts: int) -> ImportBatch:
    """A batch left `running` by a process that died 20 minutes ago."""
    background.mkdir(parents=True, exist_ok=True)
    stored = background / "crashed.csv"
    stored.write_bytes(_file(factories, 5))
    long_ago = utcnow() - timedelta(minutes=20)
    batch = ImportBatch(
        source="enterprises",
        origin="file",
        filename="crashed.csv",
        started_at=long_ago,
        status="running",
        stored_file=stored.name,
        heartbeat_at=long_ago,
        claimed_by="dead-host:1:abc",
        attempts=attempts,
        rows_read=0,
        rows_rejected=0,
    )
    db.session.add(batch)
    db.session.commit()
    return batch


def test_a_job_left_running_by_a_dead_process_is_run_again(factories, background):
    batch = _crashed(factories, background, attempts=1)
    fresh = _crashed(factories, background, attempts=1)
    fresh.heartbeat_at = utcnow() - timedelta(seconds=30)  # alive: left alone
    db.session.commit()
    details = run_import_jobs()
    assert details["recovered"] == {"requeued": 1, "failed": 0}
    assert [i["batch_id"] for i in details["imports"]] == [batch.id]
    db.session.expire_all()
    assert (batch.status, batch.inserted, batch.attempts) == ("succeeded", 5, 2)
    assert batch.claimed_by != "dead-host:1:abc"
    assert fresh.status == "running"


def test_a_job_that_keeps_dying_is_failed_with_a_reason(factories, background):
    batch = _crashed(factories, background, attempts=3)
    details = run_import_jobs()
    assert details == {"imports": [], "recovered": {"requeued": 0, "failed": 1}}
    db.session.expire_all()
    assert batch.status == "failed"
    assert batch.error == "导入进程中断：已尝试 3 次仍未完成，请重新上传"
    assert not (background / "crashed.csv").exists()
