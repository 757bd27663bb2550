"""The scheduled retention job (daily): what passed its retention and what it removed."""

from __future__ import annotations

from app.extensions import db
from app.retention import services


def apply_retention() -> dict:
    report = services.run(remove=True)
    db.session.commit()
    return report.to_dict()
