"""Each enterprise's size by the standard (`size.size_of`), stored on the registry row.

Computed after every registry batch for the enterprises it touched (`events.batch_written`,
before the profile rebuild), and for all by `flask enterprises sizes --recompute` when the rule
table changes. Matching, fund eligibility and statistics read `Enterprise.size` through
`facts`; the registry's declared size stays in `Enterprise.scale`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from app import events
from app.enterprises.models import Enterprise
from app.enterprises.size import size_of
from app.extensions import db

if TYPE_CHECKING:  # the registry sits below the ingest that fills it
    from app.ingest.services import BatchSummary

CHUNK = 5000


def assign(enterprise_ids: Iterable[int] | None = None) -> int:
    """Store the computed size of these enterprises (None: all); returns how many changed."""
    e = Enterprise
    query = select(e.id, e.industry_code, e.employees, e.revenue, e.total_assets, e.size)
    ids = None if enterprise_ids is None else sorted(set(enterprise_ids))
    chunks = [None] if ids is None else [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]
    changed = 0
    for chunk in chunks:
        rows = db.session.execute(query if chunk is None else query.where(e.id.in_(chunk)))
        updates = [
            {"eid": row.id, "new_size": size}
            for row in rows
            if (size := size_of(row.industry_code, row.employees, row.revenue, row.total_assets))
            != row.size
        ]
        if updates:
            db.session.execute(
                update(e.__table__)
                .where(e.__table__.c.id == db.bindparam("eid"))
                .values(size=db.bindparam("new_size")),
                updates,
            )
            changed += len(updates)
    return changed


@events.batch_written.connect
def assign_after_batch(summary: BatchSummary) -> None:
    """A registry batch's enterprises get their size before the profile rebuild."""
    if summary.source == "enterprises" and summary.touched_enterprise_ids:
        assign(summary.touched_enterprise_ids)
