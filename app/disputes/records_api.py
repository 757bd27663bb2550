"""The enterprise's own records, with their ids, so that a client can contest or repair them
without reading pages."""

from __future__ import annotations

from datetime import date

from flask import jsonify
from pydantic import Field

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.schemas import Query, Shape, choice, read_query
from app.api.spec import doc
from app.auth.models import Role
from app.disputes import records as own
from app.disputes.models import SOURCES, STATUSES
from app.publicity.labels import PUBLICITY_STATES
from app.publicity.models import TIERS


class RecordDispute(Shape):
    """The open dispute, or the one that withdrew the record."""

    id: int
    status: choice(STATUSES)  # type: ignore[valid-type]


class OwnRecord(Shape):
    id: int = Field(description="the record_id for disputes and repairs")
    source: choice(SOURCES)  # type: ignore[valid-type]
    values: dict = Field(description="the record's fields (codes, ISO dates)")
    shown: bool = Field(description="counts today: banks, the score and matching see it")
    dispute: RecordDispute | None
    tier: choice(TIERS) | None = Field(  # type: ignore[valid-type]
        None, description="public credit: the publicity tier (null = not graded)"
    )
    shown_from: date | None = None
    shown_until: date | None = Field(None, description="the last day shown")
    publicity: choice(PUBLICITY_STATES) | None = Field(  # type: ignore[valid-type]
        None, description="graded records: shown, or why not (expired = 公示期满)"
    )
    repaired: bool | None = Field(None, description="public credit: a repair was approved")
    expired: bool | None = Field(None, description="public credit: its publicity ended")


def record_json(source: str, row: own.RecordRow) -> dict:
    body = {
        "id": row.id,
        "source": source,
        "values": row.values,
        "shown": row.shown,
        "dispute": {"id": row.dispute.id, "status": row.dispute.status} if row.dispute else None,
    }
    if source == "public_credit":
        body.update(
            tier=row.tier,
            shown_from=row.shown_from.isoformat() if row.shown_from else None,
            shown_until=row.shown_until.isoformat() if row.shown_until else None,
            publicity=row.publicity,
            repaired=row.repaired,
            expired=row.publicity == "expired",
        )
    return body


class RecordsQuery(Query):
    source: choice(SOURCES)  # type: ignore[valid-type]


@bp.route("/me/records")
@api_auth(Role.ENTERPRISE)
@doc(response=list[OwnRecord], query=RecordsQuery, tag="disputes")
def my_records():
    """The caller's own records of one source (latest 36 months), newest first, each with
    its id; public-credit records with their publicity tier and dates, also those no longer
    shown (marked)."""
    source = read_query(RecordsQuery).source
    rows = own.own_records(current_api_user().enterprise_id, source)
    return jsonify([record_json(source, row) for row in rows])
