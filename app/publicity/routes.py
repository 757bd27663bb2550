"""The operator's page for the publicity rule table (公示期规则): the tiers' periods, which
tier each category and severity fall in, and applying the rules now."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from app.auth.decorators import role_required
from app.auth.models import Role
from app.bankview.profile import VALUE_LABELS
from app.errors import ServiceError
from app.ingest.specs import SEVERITIES
from app.publicity import services
from app.publicity.labels import TIER_LABELS
from app.publicity.models import GRADED_CATEGORIES, TIERS
from app.unit_of_work import discard

bp = Blueprint("publicity", __name__, url_prefix="/admin/publicity")


class ActionForm(FlaskForm):
    """The CSRF token; the values come from the posted fields."""


def _page(errors: dict | None = None, typed: dict | None = None, status: int = 200):
    return render_template(
        "publicity/rules.html",
        tiers=services.list_tiers(),
        rules=services.list_rules(),
        tier_labels=TIER_LABELS,
        value_labels=VALUE_LABELS,
        categories=GRADED_CATEGORIES,
        severities=sorted(set(SEVERITIES.values())),
        tier_codes=TIERS,
        form=ActionForm(),
        errors=errors or {},
        typed=typed or {},
    ), status


@bp.route("")
@role_required(Role.ADMIN)
def index():
    return _page()


def _int(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 4 else None


@bp.route("/tiers/<tier>", methods=["POST"])
@role_required(Role.ADMIN)
def set_tier(tier: str):
    form = ActionForm()
    if not form.validate_on_submit():
        return _page(status=400)
    low, high = _int("min_months"), _int("max_months")
    typed = {tier: dict(request.form)}
    if low is None or high is None:
        message = _("请填写整数月数")
        return _page({tier: message}, typed, 422)
    try:
        services.set_tier(
            tier, min_months=low, max_months=high, published=request.form.get("published") == "y"
        )
    except ServiceError as exc:
        discard()
        return _page({tier: exc.message}, typed, exc.status)
    flash(_("已保存；记录的公示期在“立即按规则重新计算”或每日任务后生效"), "success")
    return redirect(url_for("publicity.index"))


@bp.route("/rules", methods=["POST"])
@role_required(Role.ADMIN)
def set_rule():
    form = ActionForm()
    if not form.validate_on_submit():
        return _page(status=400)
    severity = request.form.get("severity") or None
    try:
        services.set_rule(request.form.get("category", ""), severity, request.form.get("tier", ""))
    except ServiceError as exc:
        discard()
        return _page({"rule": exc.message}, {"rule": dict(request.form)}, exc.status)
    flash(_("已保存；记录的公示期在“立即按规则重新计算”或每日任务后生效"), "success")
    return redirect(url_for("publicity.index"))


@bp.route("/run", methods=["POST"])
@role_required(Role.ADMIN)
def run():
    form = ActionForm()
    if not form.validate_on_submit():
        return _page(status=400)
    summary = services.run()
    flash(
        _("已按规则重新计算：%(re)s 家企业的记录期限有变，%(ex)s 条记录公示期满，"
          "%(back)s 条记录恢复公示，重建画像 %(p)s 份",
          re=summary.reassigned, ex=summary.expired, back=summary.restored,
          p=summary.profiles_rebuilt),
        "success",
    )  # fmt: skip
    return redirect(url_for("publicity.index"))
