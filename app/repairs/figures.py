"""Repair figures for the financial office: per deciding authority or per city, how many
repairs were applied for, approved, rejected and revoked on re-check, and the median working
days from filing to decision; small groups suppressed (`app.stats.cases`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from app.enterprises.models import Enterprise
from app.extensions import db
from app.ingest.models import PublicCreditRecord
from app.repairs.models import Repair
from app.stats.cases import DIMENSIONS, Case, check_dimension, tabulate

__all__ = ["COUNTERS", "DIMENSIONS", "figures"]
COUNTERS = ("approved", "rejected", "revoked")


def _cases() -> Iterator[Case]:
    query = (
        select(Repair, PublicCreditRecord.authority, Enterprise.region_code)
        .join(PublicCreditRecord, PublicCreditRecord.id == Repair.record_id)
        .join(Enterprise, Enterprise.id == Repair.enterprise_id)
        .order_by(Repair.id)
    )
    for repair, authority, region in db.session.execute(query):
        counts = [repair.status] if repair.status in ("rejected", "revoked") else []
        if repair.status in ("approved", "revoked"):  # a revoked repair was approved first
            counts.append("approved")
        yield Case.of(repair, repair.decided_at, counts, authority, region)


def figures(by: str) -> dict[str, Any]:
    """{by, groups: [{key, label, applied, approved, rejected, revoked, median_working_days,
    suppressed}], total: {…}} of every repair."""
    check_dimension(by)
    return tabulate(_cases(), by, COUNTERS, filed_as="applied")
