"""Policy and notice pages: the operator publishes, schedules and withdraws; anyone reads
what is shown now, and nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.auth.models import Role
from app.clock import utcnow
from app.errors import FieldErrors
from app.extensions import db
from app.notices import services
from app.notices.models import Notice
from app.util import to_local


def local(delta: timedelta) -> str:
    return to_local(utcnow() + delta).strftime("%Y-%m-%d %H:%M")


def make(title: str, *, kind: str = "policy", publish=timedelta(hours=-1), withdraw=None):
    return services.create(
        {
            "title": title,
            "kind": kind,
            "body": f"{title}第一段。\n\n第二段<script>alert(1)</script>",
            "issuer": "陕西省地方金融管理局",
            "publish_at": local(publish),
            "withdraw_at": local(withdraw) if withdraw is not None else "",
        },
        user_id=None,
    )


@pytest.fixture
def operator(web, factories):
    web.login(factories.user(Role.ADMIN))
    return web


def test_anyone_reads_what_is_shown_now_and_nothing_else(web):
    shown = make("小微企业融资支持政策")
    scheduled = make("明日公告", kind="notice", publish=timedelta(days=1))
    ended = make(
        "已过期公告", kind="notice", publish=timedelta(days=-10), withdraw=timedelta(days=-1)
    )
    db.session.flush()
    listing = web.get("/notices").get_data(as_text=True)
    assert "小微企业融资支持政策" in listing
    assert "明日公告" not in listing and "已过期公告" not in listing
    page = web.get(f"/notices/{shown.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "第二段&lt;script&gt;" in text and "<script>alert" not in text  # text, never HTML
    assert text.count('class="prose"') == 2
    for hidden in (scheduled, ended):
        assert web.get(f"/notices/{hidden.id}").status_code == 404
    assert web.get("/notices/99999999999").status_code == 404


def test_kind_tabs_filter(web):
    make("一条政策")
    make("一条公告", kind="notice")
    text = web.get("/notices?kind=notice").get_data(as_text=True)
    assert "一条公告" in text and "一条政策" not in text


def test_a_scheduled_notice_appears_when_its_time_comes(web, _clock):
    notice = make("定时发布", publish=timedelta(hours=2))
    assert web.get(f"/notices/{notice.id}").status_code == 404
    _clock.shift(timedelta(hours=3))
    assert web.get(f"/notices/{notice.id}").status_code == 200


def test_every_wrong_field_is_named_at_once():
    with pytest.raises(FieldErrors) as caught:
        services.create(
            {"title": "", "kind": "rumour", "body": " ", "publish_at": "明天",
             "withdraw_at": ""},
            user_id=None,
        )  # fmt: skip
    assert set(caught.value.errors) == {"title", "kind", "body", "publish_at"}
    with pytest.raises(FieldErrors) as caught:
        services.create(
            {"title": "t", "kind": "policy", "body": "b", "publish_at": "2026-12-01 09:00",
             "withdraw_at": "2026-12-01 08:00"},
            user_id=None,
        )  # fmt: skip
    assert set(caught.value.errors) == {"withdraw_at"}


def test_local_times_are_stored_in_utc():
    notice = make("时区", publish=timedelta(hours=-1))
    stored = services.parse_local("2026-12-01 09:00")
    assert stored is not None and stored.utcoffset() == timedelta(0) and stored.hour == 1
    assert notice.publish_at.utcoffset() == timedelta(0)


def test_operator_publishes_through_the_form_and_a_bad_form_keeps_the_input(operator):
    bad = operator.post(
        "/admin/notices/new",
        {"kind": "policy", "title": "", "body": "正文保留", "publish_at": "不是时间"},
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "请填写标题" in text and "时间格式应为" in text and "正文保留" in text
    good = operator.post(
        "/admin/notices/new",
        {"kind": "notice", "title": "关于信易贷平台上线的公告", "body": "平台今日上线。",
         "issuer": "运营方", "publish_at": ""},
    )  # fmt: skip
    assert good.status_code == 302
    assert "关于信易贷平台上线的公告" in operator.get("/notices").get_data(as_text=True)


def test_operator_edits_and_withdraws(operator):
    notice = make("要修改的政策")
    db.session.flush()
    form = operator.get(f"/admin/notices/{notice.id}/edit").get_data(as_text=True)
    assert "要修改的政策" in form
    operator.post(
        f"/admin/notices/{notice.id}/edit",
        {"kind": "policy", "title": "改过的政策", "body": "新正文", "publish_at": local(timedelta(hours=-1)),
         "version": str(notice.version)},
    )  # fmt: skip
    assert "改过的政策" in operator.get("/notices").get_data(as_text=True)
    stale = operator.post(
        f"/admin/notices/{notice.id}/edit",
        {"kind": "policy", "title": "过时的编辑", "body": "x", "publish_at": "", "version": "1"},
    )
    assert stale.status_code == 409
    assert operator.post(f"/admin/notices/{notice.id}/withdraw").status_code == 303
    assert "改过的政策" not in operator.get("/notices").get_data(as_text=True)
    assert db.session.get(Notice, notice.id).withdraw_at is not None  # kept on record


def test_withdrawing_a_notice_nobody_saw_removes_it(operator):
    notice = make("未发布", publish=timedelta(days=2))
    notice_id = notice.id
    operator.post(f"/admin/notices/{notice_id}/withdraw")
    assert db.session.get(Notice, notice_id) is None


@pytest.mark.parametrize("role", [Role.ENTERPRISE, Role.BANK_OFFICER, Role.REGULATOR])
def test_only_the_operator_manages(web, factories, role):
    notice = make("受保护")
    web.login(factories.user(role))
    assert web.get("/admin/notices").status_code == 403
    assert web.get(f"/admin/notices/{notice.id}/edit").status_code == 403
    assert web.post(f"/admin/notices/{notice.id}/withdraw").status_code == 403
    assert (
        web.post("/admin/notices/new", {"kind": "policy", "title": "x", "body": "y"}).status_code
        == 403
    )


def test_the_list_pages_keeping_its_kind(web):
    """Twenty a page, newest first; the pager keeps the kind asked for."""
    from app.paging import PER_PAGE

    for i in range(PER_PAGE + 1):
        make(f"政策第{i:02d}号", publish=timedelta(hours=-(PER_PAGE + 2 - i)))
    make("一条公告", kind="notice")
    db.session.commit()
    first = web.get("/notices?kind=policy").get_data(as_text=True)
    assert "第 1 / 2 页" in first and 'href="/notices?page=2&amp;kind=policy"' in first
    assert "政策第20号" in first and "政策第00号" not in first and "一条公告" not in first
    second = web.get("/notices?kind=policy&page=2").get_data(as_text=True)
    assert "政策第00号" in second and "第 2 / 2 页" in second
    assert "第 1 / 2 页" in web.get("/notices?kind=policy&page=0").get_data(as_text=True)
