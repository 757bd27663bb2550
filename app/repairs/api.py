"""Credit repair (信用修复): the enterprise applies and follows; the operator decides."""

from __future__ import annotations

from datetime import date, datetime

from flask import jsonify
from flask_babel import get_locale
from pydantic import Field

from app import cases
from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.kept_files import KeptFile, kept_file_json
from app.api.schemas import (
    Body,
    Files,
    Integer,
    Paged,
    Shape,
    Whole,
    choice,
    parse,
    parse_form,
    read_query,
    text,
)
from app.api.spec import doc
from app.auth.models import Role
from app.repairs import models, services
from app.repairs.models import OUTCOMES, STATUSES


class Repair(Shape):
    id: int
    record_id: int
    uscc: str
    status: choice(STATUSES)  # type: ignore[valid-type]
    statement: str
    commitment_version: int
    commitment_sha256: str
    filed_at: datetime
    deadline: date
    working_days_left: int | None = Field(
        description="open ones: working days to the deadline (negative = overdue)"
    )
    overdue: bool
    extension_note: str | None
    decided_at: datetime | None
    decision_note: str | None
    repaired_on: date | None
    files: list[KeptFile] = Field(description="evidence files (PDF, JPEG, PNG)")


class RepairApplication(Body):
    record_id: Integer = Field(description="a public-credit record (GET /me/records)")
    statement: text(services.STATEMENT_MAX)  # type: ignore[valid-type]
    commitment_version: Whole = Field(description="the version signed")
    evidence: Files = Field(description="PDF, JPEG or PNG files (checked by content, size-limited)")


class RepairDecision(Body):
    outcome: choice(OUTCOMES)  # type: ignore[valid-type]
    note: text(services.NOTE_MAX)  # type: ignore[valid-type]


def repair_json(repair: models.Repair) -> dict:
    return {
        "id": repair.id,
        "record_id": repair.record_id,
        "uscc": repair.enterprise.uscc,
        "status": repair.status,
        "statement": repair.statement,
        "commitment_version": repair.commitment_version,
        "commitment_sha256": repair.commitment_sha256,
        **cases.timing_json(repair),
        "extension_note": repair.extension_note,
        "decided_at": repair.decided_at.isoformat() if repair.decided_at else None,
        "decision_note": repair.decision_note,
        "repaired_on": repair.repaired_on.isoformat() if repair.repaired_on else None,
        "files": [kept_file_json(f) for f in repair.files],
    }


@bp.route("/me/repairs")
@api_auth(Role.ENTERPRISE)
@doc(response=list[Repair], tag="repairs")
def my_repairs():
    """The caller's own repair applications, newest first."""
    items = services.list_for_enterprise(current_api_user().enterprise_id)
    return jsonify([repair_json(r) for r in items])


@bp.route("/me/repairs", methods=["POST"])
@api_auth(Role.ENTERPRISE)
@doc(
    request=RepairApplication,
    response=Repair,
    status=201,
    tag="repairs",
    request_type="multipart/form-data",
)
def apply_repair():
    """Apply to repair one of the caller's public-credit records (201; free of charge).

    multipart/form-data: `record_id`, `statement`, `commitment_version` (the current 信用承诺书
    the caller signs) and one or more `evidence` files. 404 when the record is not the
    caller's; 409 when it cannot be repaired now (minimum period not passed, no longer shown,
    an application standing) or the commitment version is not the current one; 422 naming
    the field (or the file) otherwise. Nothing is kept from a refused application.
    """
    form = parse_form(RepairApplication)
    user = current_api_user()
    repair = services.apply(
        user.enterprise_id,
        form.record_id,
        statement=form.statement,
        commitment_version=form.commitment_version,
        files=form.evidence,
        user_id=user.id,
        locale=str(get_locale() or "zh"),
    )
    return jsonify(repair_json(repair)), 201


class RepairsQuery(Paged):
    pending: bool = Field(False, description="only the open ones, by deadline (overdue first)")


@bp.route("/repairs")
@api_auth(Role.ADMIN)
@doc(response=list[Repair], query=RepairsQuery, tag="repairs")
def list_repairs():
    """Repair applications for the operator; `?pending=1` gives the queue."""
    query = read_query(RepairsQuery)
    listed = services.repairs(pending=query.pending)
    items, links = query.read_rows(listed)
    return jsonify([repair_json(r) for r in items]), 200, links


@bp.route("/repairs/<int:repair_id>/decide", methods=["POST"])
@api_auth(Role.ADMIN)
@doc(request=RepairDecision, response=Repair, tag="repairs")
def decide_repair(repair_id: int):
    """Decide an open application: approved (the record no longer counts from today; the
    profile is rebuilt), rejected (the note is the reason) or extended (once), with a note.
    409 if it is no longer open or already extended."""
    body = parse(RepairDecision)
    repair = services.decide(repair_id, body.outcome, user_id=current_api_user().id, note=body.note)
    return jsonify(repair_json(repair))
