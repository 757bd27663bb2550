"""The contested records: which tables, their natural key and values, the enterprise's own
records page (latest 36 months) and a record's earlier values.

Records are read through the ingest models and field specs; nothing here writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, or_, select

from app.clock import local_today
from app.disputes.models import SOURCES, Dispute
from app.enterprises.models import Enterprise
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.facts.records import counts
from app.ingest.models import (
    PublicCreditRecord,
    RecordHistory,
    SocialInsuranceRecord,
    TaxPayment,
    TaxRating,
    UtilityBill,
)
from app.ingest.specs import SPECS, SourceSpec
from app.repairs.models import Repair

RECORD_MODELS: dict[str, Any] = {
    "public_credit": PublicCreditRecord,
    "tax_ratings": TaxRating,
    "tax_payments": TaxPayment,
    "utility_bills": UtilityBill,
    "social_insurance": SocialInsuranceRecord,
}
WINDOW_MONTHS = 36  # the records page shows what the profile reads
RECORDS_SHOWN = 500


def spec_for(source: str) -> SourceSpec:
    if source not in SOURCES:
        raise ValidationFailed(
            "source", _("未知的数据类别：%(source)s", source=source), code="unknown_source"
        )
    return SPECS[source]


def contestable_fields(source: str) -> tuple[str, ...]:
    """The fields of a record an enterprise may name (everything but its own code)."""
    return tuple(name for name in spec_for(source).field_names if name != "uscc")


def plain(value: Any) -> Any:
    """JSON-ready: dates as ISO text, money as a decimal string."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(source: str, record: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(natural key, values) of a record, JSON-ready, as record history stores them."""
    spec = spec_for(source)
    key = {name: plain(getattr(record, name)) for name in spec.key}
    values = {name: plain(getattr(record, name)) for name in spec.value_fields}
    return key, values


def get_record(source: str, record_id: int) -> Any | None:
    return db.session.get(RECORD_MODELS[source], record_id) if source in RECORD_MODELS else None


def get_own_record(enterprise_id: int, source: str, record_id: int) -> Any:
    """One of the enterprise's records; another's (or none) is NotFound."""
    enterprise = db.session.get(Enterprise, enterprise_id)
    record = get_record(source, record_id)
    if enterprise is None or record is None or record.uscc != enterprise.uscc:
        raise NotFound(_("记录不存在"), code="record_not_found")
    return record


def standing_dispute(source: str, record_id: int) -> Dispute | None:
    """The record's open dispute, or the one that withdrew it."""
    return db.session.scalar(
        select(Dispute)
        .where(
            Dispute.source == source,
            Dispute.record_id == record_id,
            Dispute.status.in_(("open", "withdrawn")),
        )
        .order_by(Dispute.id.desc())
        .limit(1)
    )


def _window_filter(source: str, today: date) -> ColumnElement[bool]:
    """The last 36 months of a source (plus public-credit decisions still in force)."""
    model = RECORD_MODELS[source]
    index = today.year * 12 + today.month - 1 - WINDOW_MONTHS
    first_period = f"{index // 12:04d}-{index % 12 + 1:02d}"
    if source == "public_credit":
        since = date(index // 12, index % 12 + 1, 1)
        return or_(model.decided_on >= since, model.valid_until >= today)
    if source == "tax_ratings":
        return model.year >= today.year - WINDOW_MONTHS // 12
    return model.period >= first_period


@dataclass
class RecordRow:
    id: int
    values: dict[str, Any]
    dispute: Dispute | None  # the open dispute, or the one that withdrew the record
    shown: bool = True  # counts today (`app/facts/records.counts`): banks and the score see it
    tier: str | None = None  # public credit: the publicity tier, None = not graded
    shown_from: date | None = None
    shown_until: date | None = None
    as_of: date | None = None
    repaired: bool = False  # public credit: a credit repair was approved (信用修复)

    @property
    def status(self) -> str | None:
        return self.dispute.status if self.dispute else None

    @property
    def publicity(self) -> str | None:
        """Why a graded record is not shown (else `shown`): `not_published` (its tier is
        never shown), `expired` (公示期满), `withdrawn` (after a dispute), `repaired` (信用修复),
        `pending` (decided after today); None = not graded."""
        if self.tier is None:
            return None
        if self.shown:
            return "shown"
        if self.status == "withdrawn":
            return "withdrawn"
        if self.repaired:
            return "repaired"
        if self.shown_from is None:
            return "not_published"
        if (
            self.shown_until is not None
            and self.as_of is not None
            and self.shown_until < self.as_of
        ):
            return "expired"
        return "pending"


def own_records(
    enterprise_id: int, source: str, *, today: date | None = None, limit: int = RECORDS_SHOWN
) -> list[RecordRow]:
    """The enterprise's records of one source (latest 36 months), newest first, each with
    its open (or withdrawing) dispute. Two queries, whatever the number of rows."""
    spec_for(source)
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(_("企业不存在"))
    today = today or local_today()
    model = RECORD_MODELS[source]
    order: tuple[Any, ...]
    if source == "public_credit":
        order = (model.decided_on.desc(), model.id.desc())
    elif source == "tax_ratings":
        order = (model.year.desc(),)
    else:
        order = (model.period.desc(), model.id)
    records = db.session.execute(
        select(model, counts(source, model, today).label("shown"))
        .where(model.uscc == enterprise.uscc, _window_filter(source, today))
        .order_by(*order)
        .limit(limit)
    ).all()
    marked = {
        d.record_id: d
        for d in db.session.scalars(
            select(Dispute).where(
                Dispute.source == source,
                Dispute.uscc == enterprise.uscc,
                Dispute.status.in_(("open", "withdrawn")),
            )
        )
    }
    repaired: set[int] = set()
    if source == "public_credit" and records:
        repaired = set(
            db.session.scalars(
                select(Repair.record_id).where(
                    Repair.record_id.in_([r.id for r, _shown in records]),
                    Repair.status == "approved",
                )
            )
        )
    fields = contestable_fields(source)
    return [
        RecordRow(
            r.id,
            {f: plain(getattr(r, f)) for f in fields},
            marked.get(r.id),
            bool(shown),
            getattr(r, "tier", None),
            getattr(r, "shown_from", None),
            getattr(r, "shown_until", None),
            today,
            r.id in repaired,
        )
        for r, shown in records
    ]


def record_history(dispute: Dispute, *, limit: int = 1000) -> list[dict[str, Any]]:
    """Earlier values of the contested record (import corrections and dispute corrections),
    newest first: [{replaced_at, batch_id, old_values}]."""
    wanted = {k: str(v) for k, v in dispute.record_key.items()}
    rows = db.session.scalars(
        select(RecordHistory)
        .where(RecordHistory.source == dispute.source, RecordHistory.uscc == dispute.uscc)
        .order_by(RecordHistory.id.desc())
        .limit(limit)
    )
    found = []
    for row in rows:
        key = json.loads(row.natural_key)
        if {k: str(v) for k, v in key.items()} == wanted:
            found.append(
                {
                    "replaced_at": row.replaced_at,
                    "batch_id": row.batch_id,
                    "old_values": json.loads(row.old_values),
                }
            )
    return found
