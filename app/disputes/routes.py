"""Disputes on the web: the enterprise's records and objections, the operator's queue."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app import evidence
from app.auth.decorators import role_required
from app.auth.models import Role
from app.bankview.profile import VALUE_LABELS
from app.clock import local_today
from app.consent.forms import CATEGORY_LABELS
from app.disputes import figures, services
from app.disputes import records as contested
from app.disputes.forms import (
    FIELD_LABELS,
    STATUS_BADGES,
    STATUS_LABELS,
    DisputeForm,
    ForwardForm,
    resolve_form,
)
from app.disputes.models import SOURCES, STATUSES
from app.errors import ServiceError
from app.forms import attach_error
from app.ingest.specs import SPECS
from app.paging import read_page
from app.publicity.labels import PUBLICITY_STATES, TIER_LABELS
from app.unit_of_work import discard

bp = Blueprint("disputes", __name__)


@bp.context_processor
def _labels():
    return {
        "source_labels": CATEGORY_LABELS,
        "field_labels": FIELD_LABELS,
        "value_labels": VALUE_LABELS,
        "status_labels": STATUS_LABELS,
        "status_badges": STATUS_BADGES,
        "today": local_today(),
        "days_left": services.working_days_left,
        "is_overdue": services.is_overdue,
        "publicity_labels": TIER_LABELS,
        "publicity_states": PUBLICITY_STATES,
    }


# --- the enterprise ----------------------------------------------------------------------


@bp.route("/enterprise/records")
@role_required(Role.ENTERPRISE)
def records():
    """The enterprise's own records of one source (latest 36 months), each contestable."""
    source = request.args.get("source") or SOURCES[0]
    if source not in SOURCES:
        abort(404)
    rows = contested.own_records(current_user.enterprise_id, source)
    return render_template(
        "disputes/records.html",
        source=source,
        sources=SOURCES,
        fields=contested.contestable_fields(source),
        rows=rows,
    )


@bp.route("/enterprise/records/<source>/<int:record_id>/dispute", methods=["GET", "POST"])
@role_required(Role.ENTERPRISE)
def file(source: str, record_id: int):
    """提出异议: the record, then the reason (a refused form keeps what was typed)."""
    if source not in SOURCES:
        abort(404)
    record = contested.get_own_record(current_user.enterprise_id, source, record_id)
    fields = contested.contestable_fields(source)
    form = DisputeForm()
    form.field.choices = [
        SelectChoice("", "—"),
        *(SelectChoice(f, FIELD_LABELS.get(f, f)) for f in fields),
    ]
    status = 200
    if form.validate_on_submit():
        try:
            dispute = services.file_dispute(
                current_user.enterprise_id,
                source,
                record_id,
                reason=form.reason.data,
                field=form.field.data or None,
                evidence=form.evidence.data,
                files=request.files.getlist(form.files.name),
                user_id=current_user.id,
            )
        except ServiceError as exc:
            discard()
            attach_error(form, exc, prefix="value_")
            status = exc.status
        else:
            flash(
                _("异议已提交，平台将在 %(date)s 前处理", date=dispute.deadline.isoformat()),
                "success",
            )
            return redirect(url_for("disputes.mine_detail", dispute_id=dispute.id))
    elif form.errors:
        status = 422
    key, values = contested.snapshot(source, record)
    return render_template(
        "disputes/file.html",
        form=form,
        source=source,
        record_key=key,
        record_values=values,
        standing=contested.standing_dispute(source, record_id),
        flag_days=current_app.config["DISPUTE_FLAG_WORKING_DAYS"],
        source_days=current_app.config["DISPUTE_SOURCE_WORKING_DAYS"],
        max_mb=current_app.config["EVIDENCE_MAX_MB"],
    ), status


@bp.route("/enterprise/disputes")
@role_required(Role.ENTERPRISE)
def mine():
    """我的异议: every objection of the enterprise, with its status and deadline."""
    disputes = services.list_for_enterprise(current_user.enterprise_id)
    return render_template("disputes/mine.html", disputes=disputes)


@bp.route("/enterprise/disputes/<int:dispute_id>")
@role_required(Role.ENTERPRISE)
def mine_detail(dispute_id: int):
    dispute = services.get_own_dispute(dispute_id, current_user.enterprise_id)
    return render_template("disputes/mine_detail.html", dispute=dispute)


@bp.route("/disputes/<int:dispute_id>/files/<int:file_id>")
@role_required(Role.ENTERPRISE, Role.ADMIN)
def evidence_file(dispute_id: int, file_id: int):
    """An evidence file, to the enterprise that filed it and to the operator only."""
    return evidence.send_kept(services.file_for(dispute_id, file_id, current_user))


# --- the operator ------------------------------------------------------------------------


@bp.route("/admin/disputes/<int:dispute_id>/forward", methods=["POST"])
@role_required(Role.ADMIN)
def forward(dispute_id: int):
    """转交来源机关; a refused form goes back to the dispute's page with what was typed."""
    form = ForwardForm()
    if form.validate_on_submit():
        try:
            services.forward(
                dispute_id, user_id=current_user.id, authority=form.authority.data,
                note=form.note.data,
            )  # fmt: skip
        except ServiceError as exc:
            discard()
            attach_error(form, exc)
            return _detail_page(dispute_id, forward_form=form, status=exc.status)
        flash(_("已转交来源机关，企业已收到通知"), "success")
        return redirect(url_for("disputes.detail", dispute_id=dispute_id))
    return _detail_page(dispute_id, forward_form=form, status=422)


@bp.route("/admin/disputes")
@role_required(Role.ADMIN)
def queue():
    """Open disputes by deadline (overdue first), or every dispute of one status."""
    status = request.args.get("status") or "open"
    if status not in (*STATUSES, "all"):
        abort(404)
    listed = read_page(services.disputes(None if status == "all" else status))
    return render_template(
        "disputes/queue.html", disputes=listed.rows, listed=listed, status=status,
        statuses=STATUSES,
    )  # fmt: skip


@bp.route("/admin/disputes/<int:dispute_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def detail(dispute_id: int):
    """One dispute: the record now and at filing, its history, the events, the decision."""
    dispute = services.get_dispute(dispute_id)
    spec = SPECS[dispute.source]
    record = contested.get_record(dispute.source, dispute.record_id)
    current = contested.snapshot(dispute.source, record)[1] if record is not None else {}
    form = resolve_form(spec.value_fields, current)
    status = 200
    if request.method == "POST" and not dispute.is_open:
        flash(_("该异议已处理"), "error")
        status = 409
    elif form.validate_on_submit():
        corrections = None
        if form.outcome.data == "corrected":
            corrections = {}
            for name in spec.value_fields:
                typed = (getattr(form, f"value_{name}").data or "").strip()
                was = current.get(name)
                if typed != ("" if was is None else str(was)):
                    corrections[name] = typed
        try:
            services.resolve(
                dispute.id,
                form.outcome.data,
                user_id=current_user.id,
                note=form.note.data,
                corrected_values=corrections,
            )
        except ServiceError as exc:
            discard()
            attach_error(form, exc, prefix="value_")
            status = exc.status  # the page reads the dispute and record again, as they stand
        else:
            flash(_("异议已处理，企业画像已重新生成"), "success")
            return redirect(url_for("disputes.detail", dispute_id=dispute.id))
    elif form.errors:
        status = 422
    return _detail_page(dispute.id, form=form, status=status)


def _detail_page(dispute_id: int, *, form=None, forward_form=None, status: int = 200):
    dispute = services.get_dispute(dispute_id)
    spec = SPECS[dispute.source]
    record = contested.get_record(dispute.source, dispute.record_id)
    if form is None:
        current = contested.snapshot(dispute.source, record)[1] if record is not None else {}
        form = resolve_form(spec.value_fields, current)
    if forward_form is None:
        forward_form = ForwardForm(
            formdata=None, authority=dispute.record_values.get("authority") or ""
        )
    return render_template(
        "disputes/detail.html",
        dispute=dispute,
        form=form,
        forward_form=forward_form,
        record=contested.snapshot(dispute.source, record) if record is not None else None,
        value_fields=spec.value_fields,
        key_fields=spec.key,
        history=contested.record_history(dispute),
    ), status


# --- the financial office ----------------------------------------------------------------


@bp.route("/office/objections")
@role_required(Role.REGULATOR, Role.ADMIN)
def office_figures():
    """异议统计: per authority or per city, small groups suppressed."""
    by = request.args.get("by") or "authority"
    if by not in figures.DIMENSIONS:
        abort(404)
    return render_template("disputes/figures.html", data=figures.figures(by), by=by)
