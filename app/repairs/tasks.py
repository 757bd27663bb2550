"""Scheduled: the quarterly re-check sample of repaired cases."""

from __future__ import annotations


def sample_repairs() -> dict:
    """Draw this quarter's re-check sample (once a quarter; other days draw nothing)."""
    from app.repairs.recheck import sample
    from app.scheduler.tasks import JobSkipped

    drawn = sample()
    if not drawn:
        raise JobSkipped("no sample due")
    return {"sampled": [r.id for r in drawn]}
