"""The quarterly re-check (复查) of repaired cases.

Each quarter a share (`REPAIR_RECHECK_SHARE`, default 10 %, at least one case) of the repairs
approved before the quarter began and never sampled is drawn at random into the review queue
(`sample`, run daily by the job `sample_repairs`: it draws once a quarter). The operator
re-checks each (`recheck`): `confirmed`, or `revoked` when the repair was not justified: the
repair's status becomes `revoked`, so the record counts again (the facts' rule excludes only
approved repairs), and the broken commitment (违背信用承诺) is recorded as a new public-credit
penalty through the import path, which rebuilds the enterprise's profile.
"""

from __future__ import annotations

import math
import random
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, select, update

from app import events
from app.cases import case_text
from app.clock import local_today, utcnow
from app.decisions import decide_once
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.i18n import later
from app.ingest.models import Origin, PublicCreditRecord
from app.repairs import services
from app.repairs.models import RECHECK_OUTCOMES, Repair
from app.repairs.services import NOTE_MAX, _operator, get_repair
from app.util import to_local


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def sample(today: date | None = None, *, share: float | None = None) -> list[Repair]:
    """Draw this quarter's sample (nothing when one was drawn already this quarter)."""
    today = today or local_today()
    start = quarter_start(today)
    drawn = db.session.scalar(select(Repair.id).where(Repair.sampled_on >= start).limit(1))
    if drawn is not None:
        return []
    candidates = list(
        db.session.scalars(
            select(Repair)
            .where(
                Repair.status == "approved",
                Repair.repaired_on < start,
                Repair.sampled_on.is_(None),
            )
            .order_by(Repair.id)
        )
    )
    if not candidates:
        return []
    share = current_app.config["REPAIR_RECHECK_SHARE"] if share is None else share
    size = min(len(candidates), max(1, math.ceil(share * len(candidates))))
    chosen = random.Random(today.toordinal()).sample(candidates, size)
    for repair in chosen:
        repair.sampled_on = today
    db.session.flush()
    return sorted(chosen, key=lambda r: r.id)


def to_review() -> Select[tuple[Repair]]:
    """Sampled repairs not re-checked yet, the oldest sample first."""
    return (
        select(Repair)
        .where(Repair.sampled_on.is_not(None), Repair.recheck_outcome.is_(None))
        .order_by(Repair.sampled_on, Repair.id)
    )


def review_queue(limit: int | None = 500) -> list[Repair]:
    return list(db.session.scalars(to_review().limit(limit)))


def recheck(
    repair_id: int,
    outcome: str,
    *,
    user_id: int | None,
    note: Any,
    now: datetime | None = None,
) -> Repair:
    """The operator's re-check of a sampled repair: `confirmed`, or `revoked` (the record
    counts again; the broken commitment becomes a public-credit record). `user_id` None:
    the command line."""
    user = _operator(user_id)
    if outcome not in RECHECK_OUTCOMES:
        raise ValidationFailed(
            "outcome", _("复查结果应为 confirmed 或 revoked"), code="invalid_outcome"
        )
    note = case_text(note, "note", NOTE_MAX, _("请填写复查说明"))
    repair = get_repair(repair_id)
    if repair.sampled_on is None:
        raise NotFound(_("该修复未被抽中复查"), code="not_sampled")
    if repair.recheck_outcome is not None or repair.status != "approved":
        raise Conflict(_("该修复已复查"), code="already_rechecked")
    now = now or utcnow()
    values: dict[str, Any] = {
        "recheck_outcome": outcome,
        "rechecked_by_id": user.id if user else None,
        "rechecked_at": now,
        "recheck_note": note,
    }
    if outcome == "revoked":
        values["status"] = "revoked"
    decide_once(
        update(Repair)
        .where(Repair.id == repair.id, Repair.recheck_outcome.is_(None))
        .values(**values),
        Conflict(_("该修复已复查"), code="already_rechecked"),
    )
    if outcome == "revoked":
        services.log_step(repair, values["rechecked_by_id"], "approved", "revoked", note, now)
        events.profile_shown_changed.send("repairs", enterprise_ids=[repair.enterprise_id])
        repair.breach_record_id = _record_breach(repair, note, now)
        _tell_of_revocation(repair, now)
    db.session.flush()
    db.session.expire(repair)
    return repair


def _tell_of_revocation(repair: Repair, now: datetime) -> None:
    """The enterprise, and the banks that read its public credit within the notification
    window (as told of repairs), learn that the record is shown again."""
    from app.notifications.services import notify

    text = later(
        "%(name)s 的公共信用记录（%(ref)s）的信用修复经复查被撤销，该记录恢复公示",
        name=repair.enterprise.name,
        ref=repair.record.ref_no,
    )
    link = f"/bank/enterprises/{repair.enterprise.uscc}"
    for bank_id in services.banks_to_tell(repair, now):
        services.tell_bank(bank_id, repair, "repair_revoked", text, link)
    notify("repair_revoked", text, link=f"/enterprise/repairs/{repair.id}",
           enterprise_id=repair.enterprise_id)  # fmt: skip


def breach_ref(repair: Repair) -> str:
    return f"违背信用承诺-修复{repair.id}"


def _record_breach(repair: Repair, note: str, now: datetime) -> int:
    """The broken commitment as a public-credit penalty, written through the import path
    (its publicity tier assigned, the profile rebuilt with the repair revoked)."""
    from app.ingest.services import ingest_records

    day = to_local(now).date()  # type: ignore[union-attr]
    summary = ingest_records(
        "public_credit",
        [
            {
                "uscc": repair.enterprise.uscc,
                "category": "penalty",
                "ref_no": breach_ref(repair),
                "authority": current_app.config["REPAIR_BREACH_AUTHORITY"],
                "decided_on": day.isoformat(),
                # record data, in Chinese like every source record
                "content": f"违背信用修复承诺（信用承诺书第 {repair.commitment_version} 版，"
                f"原记录 {repair.record.ref_no}）：{note}",
                "penalty_amount": "",
                "severity": "major",
                "valid_until": "",
            }
        ],
        origin=Origin.CORRECTION,
        label=f"repair #{repair.id} revoked",
    )
    if summary.rejections:
        raise ValidationFailed("note", summary.rejections[0]["reason"], code="breach_rejected")
    record_id = db.session.scalar(
        select(PublicCreditRecord.id).where(
            PublicCreditRecord.uscc == repair.enterprise.uscc,
            PublicCreditRecord.ref_no == breach_ref(repair),
        )
    )
    assert record_id is not None
    return record_id
