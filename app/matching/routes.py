"""The enterprise's "为我匹配" page: state a need, see the products that fit and why."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.models import Role
from app.errors import ValidationFailed
from app.matching import services
from app.products.models import TYPE_LABELS

bp = Blueprint("matching", __name__)


@bp.route("/matches")
@role_required(Role.ENTERPRISE)
def index():
    amount = request.args.get("amount", "")
    term = request.args.get("term_months", "")
    purpose = request.args.get("purpose", "")
    matches, error, status = None, None, 200
    if amount or term:
        try:
            matches = services.match(current_user.enterprise, amount, term)
        except ValidationFailed as exc:
            error, status = exc, 422
    return render_template(
        "matching/index.html",
        matches=matches,
        error=error,
        amount=amount,
        term=term,
        purpose=purpose,
        types=TYPE_LABELS,
    ), status
