"""Disputes (异议): the enterprise files and follows its own; the operator lists and resolves."""

from __future__ import annotations

from datetime import date, datetime

from flask import jsonify
from pydantic import Field

from app import cases
from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.kept_files import KeptFile, body_and_files, kept_file_json
from app.api.schemas import Body, Integer, Paged, Shape, choice, parse, read_query, text
from app.api.spec import doc
from app.auth.models import Role
from app.disputes import services
from app.disputes.models import OUTCOMES, SOURCES, STATUSES
from app.disputes.models import Dispute as DisputeRow


class DisputeEvent(Shape):
    at: datetime
    by: str | None
    from_: str | None = Field(alias="from")
    to: str
    note: str | None


class DisputeRecord(Shape):
    key: dict
    values: dict


class Dispute(Shape):
    id: int
    uscc: str
    source: choice(SOURCES)  # type: ignore[valid-type]
    record_id: int
    record: DisputeRecord = Field(description="the record as it stood when the dispute was filed")
    field: str | None
    reason: str
    evidence: str | None
    status: choice(STATUSES)  # type: ignore[valid-type]
    filed_by: str
    filed_at: datetime
    deadline: date
    working_days_left: int | None = Field(
        description="open disputes: working days to the deadline (negative = overdue)"
    )
    overdue: bool
    resolved_by: str | None
    resolved_at: datetime | None
    resolution_note: str | None
    corrected_values: dict | None
    forwarded_to: str | None = Field(
        description="the authority that holds the record, once forwarded to it"
    )
    forwarded_at: datetime | None
    files: list[KeptFile] = Field(description="evidence files (PDF, JPEG, PNG)")
    events: list[DisputeEvent]


class DisputeFiling(Body):
    source: choice(SOURCES)  # type: ignore[valid-type]
    record_id: Integer
    reason: text(services.REASON_MAX)  # type: ignore[valid-type]
    field: str | None = Field(None, description="the field contested")
    evidence: str | None = None


class DisputeResolution(Body):
    outcome: choice(OUTCOMES)  # type: ignore[valid-type]
    note: text(services.NOTE_MAX)  # type: ignore[valid-type]
    corrected_values: dict | None = Field(
        None, description="outcome corrected only: {field: new value}, value fields only"
    )


class DisputeForwarding(Body):
    authority: str | None = Field(
        None, max_length=200, description="default: the authority named on the record"
    )
    note: text(services.NOTE_MAX) | None = None  # type: ignore[valid-type]


def dispute_json(dispute: DisputeRow) -> dict:
    return {
        "id": dispute.id,
        "uscc": dispute.uscc,
        "source": dispute.source,
        "record_id": dispute.record_id,
        "record": {"key": dispute.record_key, "values": dispute.record_values},
        "field": dispute.field,
        "reason": dispute.reason,
        "evidence": dispute.evidence,
        "status": dispute.status,
        "filed_by": cases.name_of(dispute.filed_by),
        **cases.timing_json(dispute),
        "resolved_by": cases.name_of(dispute.resolved_by),
        "resolved_at": dispute.resolved_at.isoformat() if dispute.resolved_at else None,
        "resolution_note": dispute.resolution_note,
        "corrected_values": dispute.corrected_values,
        "forwarded_to": dispute.forwarded_to,
        "forwarded_at": dispute.forwarded_at.isoformat() if dispute.forwarded_at else None,
        "files": [kept_file_json(f) for f in dispute.files],
        "events": [
            {
                "at": e.at.isoformat(),
                "by": cases.name_of(e.user),
                "from": e.from_status,
                "to": e.to_status,
                "note": e.note,
            }
            for e in dispute.events
        ],
    }


@bp.route("/me/disputes")
@api_auth(Role.ENTERPRISE)
@doc(response=list[Dispute], tag="disputes")
def my_disputes():
    """The caller's own disputes, newest first."""
    items = services.list_for_enterprise(current_api_user().enterprise_id)
    return jsonify([dispute_json(d) for d in items])


@bp.route("/me/disputes", methods=["POST"])
@api_auth(Role.ENTERPRISE)
@doc(request=DisputeFiling, response=Dispute, status=201, tag="disputes")
def file_dispute():
    """Contest one of the caller's records (201).

    404 when the record is not the caller's (or does not exist); 409 when the record already
    has an open dispute or was withdrawn; 422 naming the field for a missing reason or a bad
    source / field. The deadline is the configured number of Chinese working days ahead.
    The same fields may come as multipart/form-data with evidence files in `files` (PDF,
    JPEG or PNG, checked by content; a refused file keeps nothing, 422 naming `files`).
    """
    body, files = body_and_files(DisputeFiling)
    user = current_api_user()
    dispute = services.file_dispute(
        user.enterprise_id,
        body.source,
        body.record_id,
        reason=body.reason,
        field=body.field,
        evidence=body.evidence,
        files=files,
        user_id=user.id,
    )
    return jsonify(dispute_json(dispute)), 201


class DisputesQuery(Paged):
    status: choice(STATUSES) | None = Field(  # type: ignore[valid-type]
        None, description="open: by deadline, overdue first"
    )


@bp.route("/disputes")
@api_auth(Role.ADMIN)
@doc(response=list[Dispute], query=DisputesQuery, tag="disputes")
def list_disputes():
    """Disputes for the operator; `?status=open` gives the queue, overdue first."""
    query = read_query(DisputesQuery)
    listed = services.disputes(query.status)
    items, links = query.read_rows(listed)
    return jsonify([dispute_json(d) for d in items]), 200, links


@bp.route("/disputes/<int:dispute_id>")
@api_auth(Role.ADMIN)
@doc(response=Dispute, tag="disputes")
def get_dispute(dispute_id: int):
    """One dispute with its events."""
    return jsonify(dispute_json(services.get_dispute(dispute_id)))


@bp.route("/disputes/<int:dispute_id>/resolve", methods=["POST"])
@api_auth(Role.ADMIN)
@doc(request=DisputeResolution, response=Dispute, tag="disputes")
def resolve_dispute(dispute_id: int):
    """Resolve an open dispute: corrected, withdrawn or upheld, always with a note.

    `corrected` writes `corrected_values` to the record like an import correction (validated
    the same way; the old values stay in record history); `withdrawn` stops the record being
    used; then the enterprise's profile is rebuilt. 409 if the dispute is no longer open.
    """
    body = parse(DisputeResolution)
    dispute = services.resolve(
        dispute_id,
        body.outcome,
        user_id=current_api_user().id,
        note=body.note,
        corrected_values=body.corrected_values,
    )
    return jsonify(dispute_json(dispute))


@bp.route("/disputes/<int:dispute_id>/forward", methods=["POST"])
@api_auth(Role.ADMIN)
@doc(request=DisputeForwarding, response=Dispute, tag="disputes")
def forward_dispute(dispute_id: int):
    """转交来源机关: send an open dispute to the authority that holds the record; its answer
    is due within the configured working days (the new deadline). 409 when the dispute is
    no longer open or was already forwarded."""
    body = parse(DisputeForwarding)
    dispute = services.forward(
        dispute_id, user_id=current_api_user().id, authority=body.authority, note=body.note
    )
    return jsonify(dispute_json(dispute))
