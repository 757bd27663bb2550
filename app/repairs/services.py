"""Credit repair (信用修复): the rules for applying and deciding, and what readers need.

An enterprise applies to repair one of its graded public-credit records (`apply`) once the
record's minimum publicity period has passed, while the record is still shown: it states
what it did, uploads evidence and signs the current credit commitment (信用承诺书). Repair
is free. The operator decides within `REPAIR_WORKING_DAYS` Chinese working days, extendable
once by `REPAIR_EXTENSION_WORKING_DAYS` (`decide`): approval takes the record out of
everything banks, the score and matching read from that day (the record rule `not_repaired`
of `app/facts/records.py`) and rebuilds the profile; a rejection carries the reason the
enterprise sees. Every transition is an event.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, select, update
from sqlalchemy.exc import IntegrityError

from app import cases, events, evidence
from app.auth.models import Role, User
from app.auth.services import require_role
from app.clock import local_today, utcnow
from app.consent.services import text_sha256
from app.decisions import decide_once
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.facts.records import counts
from app.i18n import Later, later
from app.ingest.models import PublicCreditRecord
from app.publicity.services import window_of
from app.repairs.models import (
    OPEN_STATUSES,
    OUTCOMES,
    STATUSES,
    CommitmentText,
    Repair,
    RepairEvent,
    RepairFile,
)
from app.util import add_months, as_utc, to_local
from app.workcalendar.services import add_working_days

STATEMENT_MAX = 2000
NOTE_MAX = 2000


# --- the credit commitment (信用承诺书) ------------------------------------------------------


def current_commitment(locale: str = "zh") -> CommitmentText | None:
    """The newest version of the commitment in `locale`."""
    return db.session.scalar(
        select(CommitmentText)
        .where(CommitmentText.locale == locale)
        .order_by(CommitmentText.version.desc())
        .limit(1)
    )


def commitment_for_display(locale: str) -> CommitmentText | None:
    """The current commitment in the reader's language, else the Chinese (the source)."""
    zh = current_commitment("zh")
    shown = current_commitment(locale)
    if shown is None or (zh is not None and shown.version != zh.version):
        return zh
    return shown


def publish_commitment(body: str, *, title: str, locale: str = "zh") -> CommitmentText:
    """A new version of the commitment (a Chinese text starts a version; another language
    fills in the newest version); repairs already signed keep pointing at theirs."""
    if not body.strip():
        raise ValidationFailed("body", _("承诺书正文不能为空"))
    zh = current_commitment("zh")
    version = (zh.version + 1 if zh else 1) if locale == "zh" else (zh.version if zh else 1)
    text = CommitmentText(
        version=version, locale=locale, title=title.strip() or "信用承诺书", body=body,
        sha256=text_sha256(body),
    )  # fmt: skip
    db.session.add(text)
    db.session.flush()
    return text


def _signed_commitment(version: Any, locale: str) -> CommitmentText:
    """The commitment the enterprise signed: the current version, in its language."""
    current = commitment_for_display(locale)
    if current is None:
        raise Conflict(_("平台尚未发布信用承诺书"), code="no_commitment")
    try:
        signed = int(version)
    except (TypeError, ValueError):
        raise ValidationFailed(
            "commitment_version", _("请阅读并签署信用承诺书"), code="commitment_required"
        ) from None
    if signed != current.version:
        raise Conflict(
            _("信用承诺书已更新为第 %(v)s 版，请阅读新版本后重新签署", v=current.version),
            code="stale_commitment",
            field="commitment_version",
        )
    return current


# --- applying ----------------------------------------------------------------------------


def _operator(user_id: int | None) -> User | None:
    """Who decides: an active operator (ADMIN), or None for the command line."""
    if user_id is None:
        return None
    user = cases.active_user(user_id)
    require_role(user, Role.ADMIN)
    return user


def own_record(enterprise_id: int, record_id: Any) -> PublicCreditRecord:
    """One of the enterprise's public-credit records; another's (or none) is NotFound."""
    from app.enterprises.models import Enterprise

    enterprise = db.session.get(Enterprise, enterprise_id)
    if isinstance(record_id, bool) or not isinstance(record_id, int):
        raise NotFound(_("记录不存在"), code="record_not_found")
    record = db.session.get(PublicCreditRecord, record_id)
    if enterprise is None or record is None or record.uscc != enterprise.uscc:
        raise NotFound(_("记录不存在"), code="record_not_found")
    return record


def is_shown(record: PublicCreditRecord, today: date) -> bool:
    """Whether the record counts today (the facts' rule, asked for this one record)."""
    p = PublicCreditRecord
    found = db.session.scalar(
        select(p.id).where(p.id == record.id, counts("public_credit", p, today))
    )
    return found is not None


def standing_repair(record_id: int) -> Repair | None:
    """The record's open or approved repair (at most one)."""
    return db.session.scalar(
        select(Repair)
        .where(Repair.record_id == record_id, Repair.status.in_((*OPEN_STATUSES, "approved")))
        .order_by(Repair.id.desc())
        .limit(1)
    )


def eligibility(record: PublicCreditRecord, today: date | None = None) -> tuple[bool, str]:
    """(may apply, why not): graded, still shown, minimum period passed, nothing standing."""
    today = today or local_today()
    w = window_of(record)
    standing = standing_repair(record.id)
    if standing is not None:
        if standing.status == "approved":
            return False, _("该记录已完成信用修复")
        return False, _("该记录已有一项正在处理的修复申请")
    if w.tier is None:
        return False, _("该类记录无需信用修复")
    if not is_shown(record, today):
        return False, _("该记录已不再公示，无需修复")
    if w.repairable_from is not None and today < w.repairable_from:
        return False, _(
            "最短公示期未满，%(date)s 起可申请信用修复", date=w.repairable_from.isoformat()
        )
    return True, ""


def apply(
    enterprise_id: int,
    record_id: Any,
    *,
    statement: Any,
    commitment_version: Any,
    files: list[Any],
    user_id: int,
    locale: str = "zh",
    now: datetime | None = None,
) -> Repair:
    """The enterprise applies to repair one of its records (free of charge).

    Everything is checked before anything is kept: the record (NotFound when not its own),
    eligibility (Conflict), the statement, the commitment version (Conflict when stale) and
    every evidence file (422 naming the file). The files are written last; if the
    application fails after that, they are removed.
    """
    user = cases.active_user(user_id)
    if user.role != Role.ENTERPRISE or user.enterprise_id != enterprise_id:
        raise Forbidden(_("只能为本企业的记录申请信用修复"))
    record = own_record(enterprise_id, record_id)
    now = now or utcnow()
    filed_on = to_local(now).date()  # type: ignore[union-attr]
    allowed, why = eligibility(record, filed_on)
    if not allowed:
        raise Conflict(why, code="not_repairable")
    statement = cases.case_text(
        statement, "statement", STATEMENT_MAX, _("请说明已履行的义务或已纠正的行为")
    )
    commitment = _signed_commitment(commitment_version, locale)
    uploads = evidence.check_all(files)

    repair = Repair(
        enterprise_id=enterprise_id,
        record_id=record.id,
        statement=statement,
        commitment_text_id=commitment.id,
        commitment_version=commitment.version,
        commitment_sha256=commitment.sha256,
        status="pending",
        filed_by_id=user.id,
        filed_at=now,
        deadline=add_working_days(filed_on, current_app.config["REPAIR_WORKING_DAYS"]),
    )
    repair.events.append(
        RepairEvent(user_id=user.id, at=now, from_status=None, to_status="pending",
                    note=statement)
    )  # fmt: skip
    try:
        with evidence.keeping(uploads) as kept:
            for upload, name in kept:
                repair.files.append(RepairFile.kept(upload, name, now))
            with db.session.begin_nested():  # a concurrent application loses on the index
                db.session.add(repair)
                db.session.flush()
    except IntegrityError:
        raise Conflict(_("该记录已有一项正在处理的修复申请"), code="repair_open") from None
    return repair


# --- deciding ----------------------------------------------------------------------------


def decide(
    repair_id: int,
    outcome: str,
    *,
    user_id: int | None,
    note: Any,
    now: datetime | None = None,
) -> Repair:
    """The operator's decision on an open repair, always with a note.

    - `approved`: the record no longer counts from today; the profile is rebuilt;
    - `rejected`: the note is the reason the enterprise sees;
    - `extended`: once, the deadline moves `REPAIR_EXTENSION_WORKING_DAYS` working days on.
    `user_id` None: the command line (an operator at the server). Two decisions at once:
    the first wins, the second gets a Conflict.
    """
    user = _operator(user_id)
    if outcome not in OUTCOMES:
        raise ValidationFailed(
            "outcome", _("处理结果应为 approved、rejected 或 extended"), code="invalid_outcome"
        )
    note = cases.case_text(note, "note", NOTE_MAX, _("请填写处理说明"))
    repair = get_repair(repair_id)
    if not repair.is_open:
        raise Conflict(_("该修复申请已处理"), code="already_decided")
    if outcome == "extended" and repair.status == "extended":
        raise Conflict(_("处理期限只能延长一次"), code="already_extended")

    now = now or utcnow()
    today = to_local(now).date()  # type: ignore[union-attr]
    values: dict[str, Any]
    if outcome == "extended":
        extra = current_app.config["REPAIR_EXTENSION_WORKING_DAYS"]
        values = {"status": "extended", "extension_note": note,
                  "deadline": add_working_days(repair.deadline, extra)}  # fmt: skip
        claim_from: tuple[str, ...] = ("pending",)
    else:
        values = {"status": outcome, "decided_by_id": user.id if user else None,
                  "decided_at": now, "decision_note": note}  # fmt: skip
        if outcome == "approved":
            values["repaired_on"] = today
        claim_from = OPEN_STATUSES
    from_status = repair.status
    decide_once(
        update(Repair)
        .where(Repair.id == repair.id, Repair.status.in_(claim_from))
        .values(**values),
        Conflict(_("该修复申请已处理"), code="already_decided"),
    )
    log_step(repair, user.id if user else None, from_status, outcome, note, now)
    if outcome == "approved":
        events.records_changed.send(
            "repairs", enterprise_ids=[repair.enterprise_id], trigger="repair"
        )
        notify_banks(repair, now)
    else:
        events.profile_shown_changed.send("repairs", enterprise_ids=[repair.enterprise_id])
    _tell_enterprise(repair)
    return repair


def log_step(
    repair: Repair,
    user_id: int | None,
    from_status: str,
    to_status: str,
    note: str | None,
    now: datetime,
) -> None:
    """A decision on a repair (or its re-check's revocation), in its event log."""
    db.session.add(
        RepairEvent(repair_id=repair.id, user_id=user_id, at=now, from_status=from_status,
                    to_status=to_status, note=note)
    )  # fmt: skip
    db.session.flush()
    db.session.expire(repair)


def _tell_enterprise(repair: Repair) -> None:
    from app.notifications.services import notify

    text = {
        "approved": later("您的信用修复申请 #%(id)s 已通过，该记录不再公示", id=repair.id),
        "rejected": later("您的信用修复申请 #%(id)s 未通过：%(note)s", id=repair.id,
                          note=repair.decision_note or ""),
        "extended": later("您的信用修复申请 #%(id)s 延期至 %(date)s 处理：%(note)s",
                          id=repair.id, date=repair.deadline.isoformat(),
                          note=repair.extension_note or ""),
    }[repair.status]  # fmt: skip
    link = f"/enterprise/repairs/{repair.id}"
    notify("repair_" + repair.status, text, link=link, enterprise_id=repair.enterprise_id)


def banks_to_tell(repair: Repair, now: datetime) -> list[int]:
    """The banks whose allowed reads of the enterprise's public credit fall within
    `REPAIR_NOTIFY_MONTHS` before `now`, since the record was on the platform."""
    from app.audit.services import banks_that_read

    local = to_local(now)
    assert local is not None
    months = current_app.config["REPAIR_NOTIFY_MONTHS"]
    cutoff = datetime.combine(add_months(local.date(), -months), local.timetz())
    since = max(cutoff, as_utc(repair.record.created_at))
    return banks_that_read(repair.enterprise_id, "public_credit", since)


def notify_banks(repair: Repair, now: datetime) -> list[int]:
    """Tell every bank that read the record within `REPAIR_NOTIFY_MONTHS` (the access log's
    allowed reads of the enterprise's public credit, since the record was on the platform)
    that it was repaired: repair results must reach the users of credit information."""

    record = repair.record
    local = to_local(now)
    assert local is not None
    bank_ids = banks_to_tell(repair, now)
    text = later(
        "%(name)s 的公共信用记录（%(ref)s，%(authority)s）已于 %(date)s 完成信用修复，"
        "不再公示，也不再计入评分",
        name=repair.enterprise.name,
        ref=record.ref_no,
        authority=record.authority,
        date=repair.repaired_on.isoformat() if repair.repaired_on else local.date().isoformat(),
    )
    link = f"/bank/enterprises/{repair.enterprise.uscc}"
    for bank_id in bank_ids:
        tell_bank(bank_id, repair, "record_repaired", text, link)
    return bank_ids


def tell_bank(bank_id: int, repair: Repair, kind: str, text: Later, link: str) -> None:
    """A notice that names the enterprise to a bank, logged in its access log first (the
    legal basis: repair results must reach the users of the credit information)."""
    from app.consent.guard import REPAIR_NOTICE, disclose_to_bank
    from app.notifications.services import notify

    disclose_to_bank(
        bank_id, repair.enterprise_id, basis=REPAIR_NOTICE, purpose="", endpoint=f"notice:{kind}"
    )
    notify(kind, text, link=link, bank_id=bank_id)


# --- reading -----------------------------------------------------------------------------


_CASES = cases.CaseKind(Repair, _l("修复申请不存在"))
get_repair = _CASES.get
get_own_repair = _CASES.get_own
file_for = _CASES.file_for
list_for_enterprise = _CASES.list_for_enterprise


def repairs(*, pending: bool = False, status: str | None = None) -> Select[tuple[Repair]]:
    """The operator's list: open ones by deadline (the overdue first), then the others
    newest first; `pending`: the open ones only."""
    if status is not None and status not in STATUSES:
        raise ValidationFailed(
            "status", _("状态应为以下之一：%(all)s", all=", ".join(STATUSES)), code="invalid_status"
        )
    is_open = Repair.status.in_(OPEN_STATUSES)
    query = select(Repair)
    if pending:
        query = query.where(is_open)
    if status is not None:
        query = query.where(Repair.status == status)
    return query.order_by(
        case((is_open, 0), else_=1),  # the open ones first, by deadline
        case((is_open, Repair.deadline)),
        case((is_open, Repair.filed_at)),
        case((is_open, Repair.id)),
        case((~is_open, Repair.filed_at)).desc(),  # then the others newest first
        case((~is_open, Repair.id)).desc(),
    )


def list_repairs(
    *, pending: bool = False, status: str | None = None, limit: int | None = 500
) -> list[Repair]:
    return list(db.session.scalars(repairs(pending=pending, status=status).limit(limit)))


working_days_left = cases.working_days_left
is_overdue = cases.is_overdue


def repaired_ids(record_ids: list[int]) -> set[int]:
    """Which of these records have an approved repair (for the enterprise's own pages)."""
    if not record_ids:
        return set()
    return set(
        db.session.scalars(
            select(Repair.record_id).where(
                Repair.record_id.in_(record_ids), Repair.status == "approved"
            )
        )
    )
