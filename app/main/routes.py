from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import text

from app.applications.queries import inbox_counts
from app.applications.services import draft_for
from app.auth.decorators import role_required
from app.auth.models import Role
from app.enterprises.services import industry_names, region_names
from app.extensions import db
from app.identity import services as identity
from app.main import services, workbench
from app.products.staff import bank_users

bp = Blueprint("main", __name__)

HOME_ENDPOINTS = {
    Role.ENTERPRISE: "main.enterprise_home",
    Role.BANK_OFFICER: "main.bank_home",
    Role.BANK_ADMIN: "main.bank_home",
    Role.REGULATOR: "main.office_home",
    Role.ADMIN: "main.admin_home",
}


@bp.route("/")
def index():
    return render_template("main/index.html")


@bp.route("/home")
@role_required(unverified_ok=True)
def home():
    return redirect(url_for(HOME_ENDPOINTS[Role(current_user.role)]))


@bp.route("/enterprise")
@role_required(Role.ENTERPRISE, unverified_ok=True)
def enterprise_home():
    enterprise = current_user.enterprise
    return render_template(
        "main/enterprise_home.html",
        enterprise=enterprise,
        region=region_names().get(enterprise.region_code or ""),
        industry=industry_names().get(enterprise.industry_code or ""),
        state=identity.state_of(current_user),
        verified=identity.is_verified(current_user),
        phone=identity.masked_phone(current_user),
        draft=draft_for(current_user.id),
        steps=workbench.next_steps(current_user),
        improvements=(
            workbench.improvements(enterprise.id, str(get_locale() or "zh") == "en")
            if identity.is_verified(current_user)
            else []
        ),
    )


@bp.route("/bank")
@role_required(Role.BANK_OFFICER, Role.BANK_ADMIN)
def bank_home():
    staff = bank_users(current_user.bank_id) if current_user.role == Role.BANK_ADMIN else []
    counts = inbox_counts(current_user.bank_id)
    return render_template(
        "main/bank_home.html", bank=current_user.bank, staff=staff, counts=counts
    )


@bp.route("/office")
@role_required(Role.REGULATOR)
def office_home():
    return render_template(
        "main/office_home.html",
        counts=services.platform_counts(),
        month=workbench.month_so_far(current_user),
    )


@bp.route("/admin")
@role_required(Role.ADMIN)
def admin_home():
    return render_template(
        "main/admin_home.html",
        counts=services.platform_counts(),
        roles=services.users_by_role(),
        queues=services.operator_queues(),
    )


@bp.route("/healthz")
def healthz():
    """The process is up (no database access)."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    """The database answers."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means not ready
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
