"""Bank-facing enterprise pages: look up by code, view what the enterprise authorized."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.models import BANK_ROLES
from app.bankview.profile import bank_profile, since_arg, template_context
from app.consent.terms import denial_message
from app.enterprises.services import normalize_uscc, uscc_error

bp = Blueprint("enterprises", __name__)


@bp.route("/bank/enterprises")
@role_required(*BANK_ROLES)
def lookup():
    raw = request.args.get("uscc", "")
    if not raw:
        return render_template("enterprises/lookup.html", error=None, value="")
    error = uscc_error(raw)
    if error:
        return render_template("enterprises/lookup.html", error=error, value=raw), 422
    return redirect(url_for("enterprises.bank_view", uscc=normalize_uscc(raw)))


@bp.route("/bank/enterprises/<uscc>")
@role_required(*BANK_ROLES)
def bank_view(uscc: str):
    profile = bank_profile(
        current_user, uscc, endpoint=request.path, channel="web", ip=request.remote_addr,
        since=since_arg(request.args.get("from")),
    )  # fmt: skip
    decision = profile.decision
    return render_template(
        "enterprises/bank_profile.html",
        profile=profile.data,
        decision=decision,
        refusal=None if decision.allowed else denial_message(decision.reason, decision.terms),
        **template_context(),
    ), (200 if decision.allowed else 403)
