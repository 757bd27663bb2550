"""Repair figures for the financial office: per deciding authority or per city, how many
repairs were applied for, approved, rejected and revoked on re-check, and the median working
days from filing to decision; small groups suppressed with the statistics' threshold.

A group resting on 1 to N-1 enterprises (`STATS_MIN_ENTERPRISES`) shows no figures; when
that leaves exactly one group hidden (its figures = the total minus the others), the
smallest shown group is hidden too, as the statistics do.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.enterprises.models import Enterprise
from app.enterprises.services import region_names
from app.errors import ValidationFailed
from app.extensions import db
from app.ingest.models import PublicCreditRecord
from app.repairs.models import Repair
from app.stats.suppression import median, min_enterprises
from app.util import to_local
from app.workcalendar.services import working_days_between

DIMENSIONS = ("authority", "city")


@dataclass
class Group:
    key: str
    label: str
    enterprises: set[int] = field(default_factory=set)
    applied: int = 0
    approved: int = 0
    rejected: int = 0
    revoked: int = 0
    days: Counter = field(default_factory=Counter)  # working days to decision → count

    def add(self, repair: Repair, decided_days: int | None) -> None:
        self.enterprises.add(repair.enterprise_id)
        self.applied += 1
        if repair.status in ("approved", "revoked"):
            self.approved += 1
        self.rejected += repair.status == "rejected"
        self.revoked += repair.status == "revoked"
        if decided_days is not None:
            self.days[decided_days] += 1


def _row(group: Group, hidden: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"key": group.key, "label": group.label, "suppressed": hidden}
    for name in ("applied", "approved", "rejected", "revoked"):
        row[name] = None if hidden else getattr(group, name)
    row["median_working_days"] = None if hidden else median(group.days)
    return row


def figures(by: str, since: date | None = None, until: date | None = None) -> dict[str, Any]:
    """{by, groups: [{key, label, applied, approved, rejected, revoked, median_working_days,
    suppressed}], total: {…}} for the repairs filed in [since, until] (local days)."""
    if by not in DIMENSIONS:
        raise ValidationFailed(
            "by",
            _("分组应为以下之一：%(all)s", all=", ".join(DIMENSIONS)),
            code="invalid_dimension",
        )
    query = (
        select(Repair, PublicCreditRecord.authority, Enterprise.region_code)
        .join(PublicCreditRecord, PublicCreditRecord.id == Repair.record_id)
        .join(Enterprise, Enterprise.id == Repair.enterprise_id)
        .order_by(Repair.id)
    )
    names = region_names() if by == "city" else {}
    groups: dict[str, Group] = {}
    total = Group("", _("合计"))
    for repair, authority, region in db.session.execute(query):
        filed = to_local(repair.filed_at).date()  # type: ignore[union-attr]
        if (since and filed < since) or (until and filed > until):
            continue
        if by == "authority":
            key = label = authority
        else:
            key = (region or "")[:4] + "00" if region else ""
            label = names.get(key, key or _("未知"))
        decided_at = to_local(repair.decided_at)
        days = working_days_between(filed, decided_at.date()) if decided_at else None
        groups.setdefault(key, Group(key, label)).add(repair, days)
        total.add(repair, days)
    n = min_enterprises()
    hidden = {key for key, g in groups.items() if len(g.enterprises) < n}
    if len(hidden) == 1 and len(groups) > 1:
        shown = [g for key, g in groups.items() if key not in hidden]
        hidden.add(min(shown, key=lambda g: (len(g.enterprises), g.applied, g.key)).key)
    return {
        "by": by,
        "groups": [_row(g, g.key in hidden) for g in sorted(groups.values(), key=lambda g: g.key)],
        "total": _row(total, 0 < len(total.enterprises) < n),
    }
