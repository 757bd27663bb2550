"""Credit repair on the web: the enterprise applies and follows, the operator decides."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app import evidence
from app.auth.decorators import role_required
from app.auth.models import Role
from app.bankview.profile import VALUE_LABELS
from app.clock import local_today
from app.disputes import records as own_records
from app.disputes.forms import FIELD_LABELS
from app.errors import ServiceError
from app.forms import attach_error
from app.paging import read_page
from app.publicity.labels import TIER_LABELS
from app.publicity.services import window_of
from app.repairs import figures, services
from app.repairs import recheck as rechecks
from app.repairs.forms import (
    RECHECK_LABELS,
    STATUS_BADGES,
    STATUS_LABELS,
    DecideForm,
    RecheckForm,
    RepairForm,
)
from app.repairs.models import STATUSES
from app.unit_of_work import discard

bp = Blueprint("repairs", __name__)


@bp.context_processor
def _labels():
    return {
        "repair_status_labels": STATUS_LABELS,
        "repair_status_badges": STATUS_BADGES,
        "tier_labels": TIER_LABELS,
        "field_labels": FIELD_LABELS,
        "value_labels": VALUE_LABELS,
        "today": local_today(),
        "repair_days_left": services.working_days_left,
        "repair_overdue": services.is_overdue,
        "recheck_labels": RECHECK_LABELS,
    }


def _locale() -> str:
    return str(get_locale() or "zh")


def _record_values(record) -> dict:
    return own_records.snapshot("public_credit", record)[1] | {
        "ref_no": record.ref_no,
        "category": record.category,
    }


# --- the enterprise ----------------------------------------------------------------------


@bp.route("/enterprise/records/public_credit/<int:record_id>/repair", methods=["GET", "POST"])
@role_required(Role.ENTERPRISE)
def apply(record_id: int):
    """申请信用修复: the record, what was done, evidence files, the signed commitment."""
    record = services.own_record(current_user.enterprise_id, record_id)
    allowed, why = services.eligibility(record)
    commitment = services.commitment_for_display(_locale())
    form = RepairForm()
    status = 200
    if request.method == "POST" and not allowed:
        flash(why, "error")
        status = 409
    elif form.validate_on_submit():
        try:
            repair = services.apply(
                current_user.enterprise_id,
                record.id,
                statement=form.statement.data,
                commitment_version=form.commitment_version.data,
                files=request.files.getlist(form.evidence.name),
                user_id=current_user.id,
                locale=_locale(),
            )
        except ServiceError as exc:
            discard()
            attach_error(form, exc)
            status = exc.status
        else:
            flash(
                _("修复申请已提交，平台将在 %(date)s 前作出决定", date=repair.deadline.isoformat()),
                "success",
            )
            return redirect(url_for("repairs.mine_detail", repair_id=repair.id))
    elif form.errors:
        status = 422
    if commitment is not None:
        form.commitment_version.data = commitment.version
    return render_template(
        "repairs/apply.html",
        form=form,
        record=record,
        values=_record_values(record),
        window=window_of(record),
        allowed=allowed,
        why=why,
        standing=services.standing_repair(record.id),
        commitment=commitment,
        working_days=current_app.config["REPAIR_WORKING_DAYS"],
        max_mb=current_app.config["EVIDENCE_MAX_MB"],
    ), status


@bp.route("/enterprise/repairs")
@role_required(Role.ENTERPRISE)
def mine():
    """我的信用修复: every application of the enterprise, its status and deadline."""
    repairs = services.list_for_enterprise(current_user.enterprise_id)
    return render_template("repairs/mine.html", repairs=repairs)


@bp.route("/enterprise/repairs/<int:repair_id>")
@role_required(Role.ENTERPRISE)
def mine_detail(repair_id: int):
    repair = services.get_own_repair(repair_id, current_user.enterprise_id)
    return render_template(
        "repairs/detail.html", repair=repair, values=_record_values(repair.record), form=None
    )


@bp.route("/repairs/<int:repair_id>/files/<int:file_id>")
@role_required(Role.ENTERPRISE, Role.ADMIN)
def evidence_file(repair_id: int, file_id: int):
    """An evidence file, to the enterprise that filed it and to the operator only."""
    return evidence.send_kept(services.file_for(repair_id, file_id, current_user))


# --- the operator ------------------------------------------------------------------------


@bp.route("/admin/repairs")
@role_required(Role.ADMIN)
def queue():
    """Open applications by deadline (the overdue first), or every one of one status."""
    status = request.args.get("status") or "open"
    if status not in (*STATUSES, "open", "recheck", "all"):
        abort(404)
    if status == "open":
        query = services.repairs(pending=True)
    elif status == "recheck":
        query = rechecks.to_review()
    else:
        query = services.repairs(status=None if status == "all" else status)
    listed = read_page(query)
    return render_template("repairs/queue.html", repairs=listed.rows, listed=listed,
                           status=status, statuses=STATUSES)  # fmt: skip


@bp.route("/admin/repairs/<int:repair_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def detail(repair_id: int):
    """One application: the record, the statement, the evidence, the events; the decision."""
    repair = services.get_repair(repair_id)
    form = DecideForm()
    status = 200
    if request.method == "POST" and not repair.is_open:
        flash(_("该修复申请已处理"), "error")
        status = 409
    elif form.validate_on_submit():
        try:
            services.decide(
                repair.id, form.outcome.data, user_id=current_user.id, note=form.note.data
            )
        except ServiceError as exc:
            discard()
            attach_error(form, exc)
            status = exc.status
            repair = services.get_repair(repair_id)
        else:
            flash(_("已处理"), "success")
            return redirect(url_for("repairs.detail", repair_id=repair.id))
    elif form.errors:
        status = 422
    return _operator_page(repair, form, RecheckForm(formdata=None), status)


def _operator_page(repair, form, recheck_form, status: int):
    sampled = repair.sampled_on is not None and repair.recheck_outcome is None
    return render_template(
        "repairs/detail.html",
        repair=repair,
        values=_record_values(repair.record),
        form=form if repair.is_open else None,
        recheck_form=recheck_form if sampled and repair.status == "approved" else None,
        operator=True,
    ), status


@bp.route("/admin/repairs/<int:repair_id>/recheck", methods=["POST"])
@role_required(Role.ADMIN)
def recheck(repair_id: int):
    """复查: confirm a sampled repair, or revoke it."""
    repair = services.get_repair(repair_id)
    form = RecheckForm()
    status = 422
    if form.validate_on_submit():
        try:
            rechecks.recheck(
                repair.id,
                form.recheck_outcome.data,
                user_id=current_user.id,
                note=form.recheck_note.data,
            )
        except ServiceError as exc:
            discard()
            attach_error(form, exc, prefix="recheck_")
            status = exc.status
            repair = services.get_repair(repair_id)
        else:
            flash(_("复查已完成"), "success")
            return redirect(url_for("repairs.detail", repair_id=repair.id))
    return _operator_page(repair, DecideForm(formdata=None), form, status)


# --- the financial office ----------------------------------------------------------------


@bp.route("/office/repairs")
@role_required(Role.REGULATOR, Role.ADMIN)
def office_figures():
    """信用修复统计: per deciding authority or per city, small groups suppressed."""
    by = request.args.get("by") or "authority"
    if by not in figures.DIMENSIONS:
        abort(404)
    return render_template("repairs/figures.html", data=figures.figures(by), by=by)
