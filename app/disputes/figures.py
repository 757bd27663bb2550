"""Objection figures for the financial office: per authority (the one the objection was
forwarded to, else the one named on the record, else the kind of data) or per city, how
many objections were filed, forwarded, and how they ended (corrected, withdrawn, upheld), and
the median working days from filing to decision; small groups suppressed
(`app.stats.cases`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from app.consent.forms import CATEGORY_LABELS
from app.disputes.models import Dispute
from app.enterprises.models import Enterprise
from app.extensions import db
from app.stats.cases import DIMENSIONS, Case, check_dimension, tabulate

__all__ = ["COUNTERS", "DIMENSIONS", "figures"]
COUNTERS = ("forwarded", "corrected", "withdrawn", "upheld")


def _cases() -> Iterator[Case]:
    query = (
        select(Dispute, Enterprise.region_code)
        .join(Enterprise, Enterprise.id == Dispute.enterprise_id)
        .order_by(Dispute.id)
    )
    for dispute, region in db.session.execute(query):
        counts = [dispute.status] if dispute.status != "open" else []
        if dispute.forwarded_at is not None:
            counts.append("forwarded")
        authority = (
            dispute.forwarded_to
            or str(dispute.record_values.get("authority") or "").strip()
            or str(CATEGORY_LABELS.get(dispute.source, dispute.source))
        )
        yield Case.of(dispute, dispute.resolved_at, counts, authority, region)


def figures(by: str) -> dict[str, Any]:
    """{by, groups: [{key, label, filed, forwarded, corrected, withdrawn, upheld,
    median_working_days, suppressed}], total: {…}} of every objection."""
    check_dimension(by)
    return tabulate(_cases(), by, COUNTERS)
