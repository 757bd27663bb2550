"""Disputes (异议): the rules for filing and resolving, and what readers need to know.

An enterprise contests one of its own records (`file_dispute`, with evidence files if it has
them); while the dispute is open the record is shown to banks as disputed, and once
corrected as corrected (`dispute_marks`). Within a working day the operator forwards it to
the authority that holds the record (`forward`), which answers within five; every deadline is
counted in Chinese working days. The operator records the outcome (`resolve`), at any step:
`corrected` rewrites the record
through the import path (old values kept in record history), `withdrawn` takes the record out
of everything the profile, matching and banks read (a record rule of `app/facts/records.py`),
`upheld` keeps it. Every outcome carries a note, every transition is an event and a
notification to the enterprise, and the profile is rebuilt.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError

from app import cases, events
from app import evidence as evidence_files
from app.auth.models import Role
from app.auth.services import require_role
from app.clock import utcnow
from app.decisions import decide_once
from app.disputes.models import OUTCOMES, STATUSES, Dispute, DisputeEvent, DisputeFile
from app.disputes.records import (
    contestable_fields,
    get_own_record,
    get_record,
    plain,
    snapshot,
    standing_dispute,
)
from app.disputes.records import spec_for as _spec
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.i18n import Later, later
from app.ingest.specs import SourceSpec
from app.util import to_local
from app.workcalendar.services import add_working_days

REASON_MAX = 2000
NOTE_MAX = 2000
EVIDENCE_MAX = 1000


# --- filing ------------------------------------------------------------------------------


def file_dispute(
    enterprise_id: int,
    source: str,
    record_id: int,
    *,
    reason: str | None,
    field: str | None = None,
    evidence: str | None = None,
    files: list[Any] | None = None,
    user_id: int,
    now: datetime | None = None,
) -> Dispute:
    """The enterprise contests one of its own records, with evidence files if it has them
    (`app.evidence`: all checked before any is kept; a refused filing keeps nothing).

    Another enterprise's record, or an unknown one, is NotFound (its existence is not
    confirmed). A record with an open dispute is a Conflict; so is a withdrawn record.
    The deadline is `DISPUTE_FLAG_WORKING_DAYS` working days after the (local) filing day:
    by then the operator forwards it to the authority that holds the record, or decides it.
    """
    user = cases.active_user(user_id)
    if user.role != Role.ENTERPRISE or user.enterprise_id != enterprise_id:
        raise Forbidden(_("只能对本企业的记录提出异议"))
    spec = _spec(source)
    reason = cases.case_text(reason, "reason", REASON_MAX, _("请填写异议理由"))
    evidence = cases.case_text(evidence, "evidence", EVIDENCE_MAX, "", required=False)
    field = (field or "").strip() or None
    if field is not None and field not in contestable_fields(source):
        raise ValidationFailed("field", _("该记录没有字段：%(field)s", field=field))
    if isinstance(record_id, bool) or not isinstance(record_id, int):
        raise NotFound(_("记录不存在"), code="record_not_found")
    record = get_own_record(enterprise_id, source, record_id)
    uploads = evidence_files.check_all(files or [], required=False, field="files")
    standing = standing_dispute(source, record.id)
    if standing is not None and standing.status == "withdrawn":
        raise Conflict(_("该记录已被撤销，不再使用"), code="record_withdrawn")
    if standing is not None:
        raise Conflict(_("该记录已有一项正在处理的异议"), code="dispute_open")

    now = now or utcnow()
    filed_on = to_local(now).date()  # type: ignore[union-attr]
    key, values = snapshot(spec.name, record)
    dispute = Dispute(
        enterprise_id=enterprise_id,
        uscc=record.uscc,
        source=source,
        record_id=record.id,
        record_key=key,
        record_values=values,
        field=field,
        reason=reason,
        evidence=evidence,
        status="open",
        filed_by_id=user.id,
        filed_at=now,
        deadline=add_working_days(filed_on, current_app.config["DISPUTE_FLAG_WORKING_DAYS"]),
    )
    dispute.events.append(
        DisputeEvent(user_id=user.id, at=now, from_status=None, to_status="open", note=reason)
    )
    try:
        with evidence_files.keeping(uploads) as kept:
            for upload, name in kept:
                dispute.files.append(DisputeFile.kept(upload, name, now))
            with db.session.begin_nested():  # a concurrent filing loses on the unique index
                db.session.add(dispute)
                db.session.flush()
    except IntegrityError:
        raise Conflict(_("该记录已有一项正在处理的异议"), code="dispute_open") from None
    # The record now shows as disputed (有异议).
    events.profile_shown_changed.send("disputes", enterprise_ids=[enterprise_id])
    _tell_enterprise(
        dispute,
        later(
            "您对记录提出的异议 #%(id)s 已受理，平台将在 %(date)s 前转交来源机关核查或直接处理",
            id=dispute.id,
            date=dispute.deadline.isoformat(),
        ),
    )
    return dispute


# --- forwarding --------------------------------------------------------------------------


def forward(
    dispute_id: int,
    *,
    user_id: int,
    authority: str | None,
    note: str | None = None,
    now: datetime | None = None,
) -> Dispute:
    """转交来源机关: the operator sends the objection to the authority that holds the record
    (by default the one named on it); that authority's answer is due within
    `DISPUTE_SOURCE_WORKING_DAYS` working days, the new deadline. Once only."""
    user = cases.active_user(user_id)
    require_role(user, Role.ADMIN)
    dispute = get_dispute(dispute_id)
    if dispute.status != "open":
        raise Conflict(_("该异议已处理"), code="already_resolved")
    if dispute.forwarded:
        raise Conflict(_("该异议已转交来源机关"), code="already_forwarded")
    default = str(dispute.record_values.get("authority") or "").strip() or None
    authority = cases.case_text(authority or default, "authority", 200, _("请填写来源机关"))
    note = cases.case_text(note, "note", NOTE_MAX, "", required=False)
    now = now or utcnow()
    day = to_local(now).date()  # type: ignore[union-attr]
    deadline = add_working_days(day, current_app.config["DISPUTE_SOURCE_WORKING_DAYS"])
    decide_once(
        update(Dispute)
        .where(Dispute.id == dispute.id, Dispute.status == "open", Dispute.forwarded_at.is_(None))
        .values(
            forwarded_to=authority, forwarded_at=now, forwarded_by_id=user.id, deadline=deadline
        ),
        Conflict(_("该异议已转交来源机关"), code="already_forwarded"),
    )
    db.session.expire(dispute)
    text = _("已转交 %(authority)s 核查", authority=authority)
    _log_step(dispute, user.id, "open", text + (f"：{note}" if note else ""), now)
    _tell_enterprise(
        dispute,
        later(
            "您的异议 #%(id)s 已转交 %(authority)s 核查，预计 %(date)s 前答复",
            id=dispute.id,
            authority=authority,
            date=deadline.isoformat(),
        ),
    )
    return dispute


def _log_step(
    dispute: Dispute, user_id: int, to_status: str, note: str | None, now: datetime
) -> None:
    """An operator's step on an open dispute (forwarded, or decided), in its event log."""
    db.session.add(
        DisputeEvent(
            dispute_id=dispute.id,
            user_id=user_id,
            at=now,
            from_status="open",
            to_status=to_status,
            note=note,
        )
    )
    db.session.flush()
    db.session.expire(dispute, ["events"])


def _tell_enterprise(dispute: Dispute, text: Later) -> None:
    """In the site, and by the configured sender (e-mail, SMS) to the enterprise's users."""
    from app.notifications.services import notify  # notifications sit above the domains

    link = f"/enterprise/disputes/{dispute.id}"
    notify("dispute_update", text, link=link, enterprise_id=dispute.enterprise_id)


# --- resolving ---------------------------------------------------------------------------


def resolve(
    dispute_id: int,
    outcome: str,
    *,
    user_id: int,
    note: str | None,
    corrected_values: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Dispute:
    """The operator's decision on an open dispute; then the enterprise's profile is rebuilt.

    - `corrected`: `corrected_values` ({field: new value}, value fields only) are written
      through the import path, so they are validated like any imported value and the old
      values are kept in record history;
    - `withdrawn`: the record is no longer used (profile, features, banks);
    - `upheld`: the record stands; the note says why.
    Two operators deciding at once: the first wins, the second gets a Conflict.
    """
    user = cases.active_user(user_id)
    require_role(user, Role.ADMIN)
    if outcome not in OUTCOMES:
        raise ValidationFailed(
            "outcome", _("处理结果应为 corrected、withdrawn 或 upheld"), code="invalid_outcome"
        )
    note = cases.case_text(note, "note", NOTE_MAX, _("请填写处理说明"))
    dispute = get_dispute(dispute_id)
    if dispute.status != "open":
        raise Conflict(_("该异议已处理"), code="already_resolved")
    spec = _spec(dispute.source)
    if outcome == "corrected":
        corrected_values = _check_corrections(spec, corrected_values)
    elif corrected_values:
        raise ValidationFailed(
            "corrected_values", _("只有“更正”才能填写更正后的值"), code="not_a_correction"
        )

    now = now or utcnow()
    decide_once(
        update(Dispute)
        .where(Dispute.id == dispute.id, Dispute.status == "open")
        .values(status=outcome, resolved_by_id=user.id, resolved_at=now, resolution_note=note),
        Conflict(_("该异议已处理"), code="already_resolved"),
    )
    db.session.expire(dispute)
    if outcome == "corrected":
        assert corrected_values is not None
        dispute.corrected_values = _apply_correction(dispute, spec, corrected_values, user.id)
    _log_step(dispute, user.id, outcome, note, now)
    events.records_changed.send(
        "disputes", enterprise_ids=[dispute.enterprise_id], trigger="dispute"
    )
    _tell_enterprise(
        dispute,
        {
            "corrected": later(
                "您的异议 #%(id)s 已处理：记录已更正。%(note)s", id=dispute.id, note=note
            ),
            "withdrawn": later(
                "您的异议 #%(id)s 已处理：记录已撤销，不再使用。%(note)s", id=dispute.id, note=note
            ),
            "upheld": later(
                "您的异议 #%(id)s 已处理：经核查记录无误，予以维持。%(note)s",
                id=dispute.id,
                note=note,
            ),
        }[outcome],
    )
    return dispute


def _check_corrections(spec: SourceSpec, values: Any) -> dict[str, str]:
    if not isinstance(values, dict) or not values:
        raise ValidationFailed(
            "corrected_values", _("请填写更正后的值"), code="corrections_missing"
        )
    unknown = sorted(str(name) for name in values if name not in spec.value_fields)
    if unknown:
        raise ValidationFailed(
            "corrected_values",
            _("这些字段不能更正：%(fields)s", fields=", ".join(unknown)),
            code="not_correctable",
        )
    return {name: "" if v is None else str(v).strip() for name, v in values.items()}


def _apply_correction(
    dispute: Dispute, spec: SourceSpec, corrections: dict[str, str], user_id: int
) -> dict[str, Any]:
    """Rewrite the record as one import batch (a platform correction, labelled with the
    dispute; the enterprise hears of it from the dispute, not as new data).

    Returns the values as stored after parsing (e.g. "1,200" → "1200.00").
    """
    from app.ingest.models import Origin
    from app.ingest.services import ingest_records

    record = get_record(dispute.source, dispute.record_id)
    if record is None:
        raise NotFound(_("记录不存在"), code="record_not_found")
    row = {name: plain(getattr(record, name)) for name in spec.field_names}
    row = {name: "" if v is None else str(v) for name, v in row.items()}
    row.update(corrections)
    summary = ingest_records(
        spec.name, [row], origin=Origin.CORRECTION, user_id=user_id, label=f"dispute #{dispute.id}"
    )
    if summary.rejections:
        first = summary.rejections[0]
        english = str(get_locale() or "zh").startswith("en")
        raise ValidationFailed(
            first["column"] or "corrected_values",
            f"{first['column']}: {first['reason_en' if english else 'reason']}",
            code="invalid_correction",
        )
    if summary.skipped_no_consent:
        raise Conflict(
            _("该企业未授权平台采集此类数据，不能写入更正"), code="no_collection_consent"
        )
    if not summary.updated:
        raise ValidationFailed(
            "corrected_values", _("更正后的值与现有记录相同"), code="nothing_changed"
        )
    db.session.refresh(record)
    return {name: plain(getattr(record, name)) for name in corrections}


# --- reading -----------------------------------------------------------------------------


_CASES = cases.CaseKind(Dispute, _l("异议不存在"))
get_dispute = _CASES.get
get_own_dispute = _CASES.get_own
file_for = _CASES.file_for
list_for_enterprise = _CASES.list_for_enterprise


def disputes(status: str | None = None) -> Select[tuple[Dispute]]:
    """The operator's list: open ones by deadline (overdue first), others newest first."""
    if status is not None and status not in STATUSES:
        raise ValidationFailed(
            "status", _("状态应为 open、corrected、withdrawn 或 upheld"), code="invalid_status"
        )
    if status == "open":
        return _open()
    query = select(Dispute).order_by(Dispute.filed_at.desc(), Dispute.id.desc())
    return query.where(Dispute.status == status) if status else query


def list_disputes(status: str | None = None, *, limit: int | None = 500) -> list[Dispute]:
    return list(db.session.scalars(disputes(status).limit(limit)))


def _open(overdue_first: bool = True) -> Select[tuple[Dispute]]:
    order = (
        (Dispute.deadline, Dispute.filed_at, Dispute.id)
        if overdue_first
        else (Dispute.filed_at.desc(), Dispute.id.desc())
    )
    return select(Dispute).where(Dispute.status == "open").order_by(*order)


def list_open(overdue_first: bool = True, *, limit: int | None = 500) -> list[Dispute]:
    """Open disputes; by deadline (the overdue first) or newest first."""
    return list(db.session.scalars(_open(overdue_first).limit(limit)))


working_days_left = cases.working_days_left
is_overdue = cases.is_overdue


# --- what the readers (profile sections) use --------------------------------------------


class Marks(NamedTuple):
    """What a reader of the records (a bank's view) is told about objections, per record id."""

    disputed: frozenset[int] = frozenset()  # under an open objection: 有异议
    corrected: frozenset[int] = frozenset()  # corrected after an objection: 已更正


def dispute_marks(uscc: str, sources: Iterable[str]) -> dict[str, Marks]:
    """Per source, this enterprise's records under an open objection and those corrected
    after one (one query for all the sections of a profile)."""
    found: dict[str, dict[str, set[int]]] = {}
    for source, record_id, status in db.session.execute(
        select(Dispute.source, Dispute.record_id, Dispute.status).where(
            Dispute.uscc == uscc,
            Dispute.status.in_(("open", "corrected")),
            Dispute.source.in_(list(sources)),
        )
    ):
        found.setdefault(source, {"open": set(), "corrected": set()})[status].add(record_id)
    return {
        source: Marks(frozenset(ids["open"]), frozenset(ids["corrected"] - ids["open"]))
        for source, ids in found.items()
    }
