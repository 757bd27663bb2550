"""Publishing policies and notices: who sees what when, and the operator's edits.

A notice is shown from `publish_at` until `withdraw_at`; times are typed and shown in
Asia/Shanghai and stored in UTC. Withdrawing a notice that is already shown ends it now (it
stays on record); withdrawing one not yet shown removes it, since nobody has seen it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select

from app.clock import utcnow
from app.errors import Conflict, FieldErrors, NotFound
from app.extensions import db
from app.notices.models import NOTICE_KINDS, Notice
from app.util import SHANGHAI, as_utc

KIND_LABELS = {"policy": _l("政策"), "notice": _l("公告")}
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


def _shown(now: datetime):
    return (Notice.publish_at <= now) & or_(Notice.withdraw_at.is_(None), Notice.withdraw_at > now)


def shown(kind: str | None = None) -> Select[tuple[Notice]]:
    """The notices shown now (of one kind when given), newest first."""
    where = [_shown(utcnow())]
    if kind in NOTICE_KINDS:
        where.append(Notice.kind == kind)
    return select(Notice).where(*where).order_by(Notice.publish_at.desc(), Notice.id.desc())


def get_shown(notice_id: int) -> Notice:
    notice = db.session.get(Notice, notice_id)
    if notice is None or not notice.shown_at(utcnow()):
        raise NotFound(_("该政策公告不存在或已撤下"))
    return notice


def every_notice() -> list[Notice]:
    """All of them, for the operator: scheduled, shown and withdrawn."""
    return list(db.session.scalars(select(Notice).order_by(Notice.publish_at.desc())))


def state(notice: Notice) -> str:
    now = utcnow()
    if notice.publish_at > now:
        return "scheduled"
    return "shown" if notice.shown_at(now) else "withdrawn"


STATE_LABELS = {"scheduled": _l("待发布"), "shown": _l("公开中"), "withdrawn": _l("已撤下")}


def parse_local(value: Any) -> datetime | None:
    """A local date-time typed by the operator (`2026-12-01T09:00` or with a space) → UTC."""
    text = str(value or "").strip().replace(" ", "T")
    if not text:
        return None
    for fmt in (LOCAL_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return as_utc(datetime.strptime(text, fmt).replace(tzinfo=SHANGHAI))
        except ValueError:
            continue
    raise ValueError(text)


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    title = str(data.get("title") or "").strip()
    if not title:
        errors["title"] = _("请填写标题")
    elif len(title) > 200:
        errors["title"] = _("标题不能超过 200 字")
    kind = str(data.get("kind") or "")
    if kind not in NOTICE_KINDS:
        errors["kind"] = _("请选择政策或公告")
    body = str(data.get("body") or "").strip()
    if not body:
        errors["body"] = _("请填写正文")
    issuer = str(data.get("issuer") or "").strip()
    if len(issuer) > 200:
        errors["issuer"] = _("发布机关不能超过 200 字")
    publish_at = withdraw_at = None
    try:
        publish_at = parse_local(data.get("publish_at")) or utcnow()
    except ValueError:
        errors["publish_at"] = _("时间格式应为 2026-12-01 09:00")
    try:
        withdraw_at = parse_local(data.get("withdraw_at"))
    except ValueError:
        errors["withdraw_at"] = _("时间格式应为 2026-12-01 09:00")
    if publish_at and withdraw_at and withdraw_at <= publish_at:
        errors["withdraw_at"] = _("撤下时间应晚于发布时间")
    if errors:
        raise FieldErrors(errors)
    return {
        "title": title,
        "kind": kind,
        "body": body,
        "issuer": issuer,
        "publish_at": publish_at,
        "withdraw_at": withdraw_at,
    }


def create(data: Mapping[str, Any], *, user_id: int | None) -> Notice:
    notice = Notice(**_clean(data), created_by=user_id, version=1)
    db.session.add(notice)
    db.session.flush()
    return notice


def update(notice_id: int, data: Mapping[str, Any], *, expected_version: Any = None) -> Notice:
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(_("该政策公告不存在或已撤下"))
    if expected_version not in (None, "") and str(expected_version) != str(notice.version):
        raise Conflict(_("已被他人修改，请刷新后重试"), code="stale_version", field="version")
    for key, value in _clean(data).items():
        setattr(notice, key, value)
    notice.version += 1
    db.session.flush()
    return notice


def withdraw(notice_id: int) -> Notice | None:
    """End it now; a notice nobody has seen yet is removed (None is returned)."""
    notice = db.session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(_("该政策公告不存在或已撤下"))
    now = utcnow()
    if notice.publish_at >= now:
        db.session.delete(notice)
        db.session.flush()
        return None
    if notice.withdraw_at is None or notice.withdraw_at > now:
        notice.withdraw_at = now
        notice.version += 1
    db.session.flush()
    return notice
