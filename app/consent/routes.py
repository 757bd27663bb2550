"""The enterprise's own pages: the data-collection authorization (数据采集授权)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.models import Role
from app.clock import utcnow
from app.consent import services
from app.consent.forms import CATEGORY_LABELS, GrantForm, QueryGrantForm, RevokeForm, signature
from app.consent.terms import Terms, data_from, sentences
from app.errors import ServiceError
from app.unit_of_work import discard, refusal_flashed

bp = Blueprint("consent", __name__, url_prefix="/consent")


def _grant_form(text, *, show_current: bool = False) -> GrantForm:
    """The form; its hidden fields name the text on screen (the current one, unless the
    user is posting what they saw)."""
    form = GrantForm()
    form.categories.choices = [(c, CATEGORY_LABELS[c]) for c in services.NON_PUBLIC_CATEGORIES]
    if text is not None and (show_current or not form.is_submitted()):
        form.text_id.data = text.id
        form.text_sha256.data = text.sha256
    return form


def _render_page(form: GrantForm, text, status: int = 200):
    enterprise_id = current_user.enterprise_id
    return render_template(
        "consent/collection.html",
        form=form,
        text=text,
        status=services.collection_status(enterprise_id),
        history=services.list_authorizations(enterprise_id),
        labels=CATEGORY_LABELS,
        now=utcnow(),
    ), status


@bp.route("/collection", methods=["GET", "POST"])
@role_required(Role.ENTERPRISE)
def collection():
    text = services.current_text_for_display("collection", str(get_locale() or "zh"))
    form = _grant_form(text)
    if form.validate_on_submit():
        try:
            services.grant_collection(
                current_user.enterprise_id,
                form.categories.data or [],
                **signature(form),
            )
        except ServiceError as exc:
            discard()
            flash(exc.message, "error")
            # Shown again with the current text, whose id the next confirmation will post.
            return _render_page(_grant_form(text, show_current=True), text, exc.status)
        flash(_("授权已生效，平台将开始采集所选数据"), "success")
        return redirect(url_for("consent.collection"))
    return _render_page(form, text, 422 if form.errors else 200)


@bp.route("/authorizations/<int:authorization_id>/revoke", methods=["GET", "POST"])
@role_required(Role.ENTERPRISE)
def revoke(authorization_id: int):
    """GET asks for confirmation; POST revokes. Another enterprise's id is a 404."""
    auth = services.get_own_authorization(authorization_id, current_user.enterprise_id)
    back = url_for("consent.banks" if auth.kind == "query" else "consent.collection")
    form = RevokeForm()
    if form.validate_on_submit():
        with refusal_flashed():
            services.revoke(
                auth.id, user_id=current_user.id, enterprise_id=current_user.enterprise_id
            )
            if auth.kind == "query":
                flash(_("授权已撤销，即时生效：该银行不能再查询贵企业的数据"), "success")
            else:
                flash(_("授权已撤销，即时生效：平台不再采集这些数据"), "success")
        return redirect(back)
    return render_template(
        "consent/revoke.html", auth=auth, form=form, labels=CATEGORY_LABELS, now=utcnow(),
        back=back,
    )  # fmt: skip


# --- query authorizations: a named bank views the enterprise's data ------------------------


def _query_form() -> QueryGrantForm:
    form = QueryGrantForm()
    form.bank_id.choices = [(b.id, b.name) for b in services.active_banks()]
    # None ticked: the bank sees what the owner ticks (`choices` offers 全选).
    form.categories.choices = [(c, CATEGORY_LABELS[c]) for c in services.ALL_CATEGORIES]
    return form


@bp.route("/banks", methods=["GET", "POST"])
@role_required(Role.ENTERPRISE)
def banks():
    """Step 1: choose bank, categories, purpose, days. Step 2: see exactly what the bank
    will see and the consent text, then confirm (the form comes back with `confirm=1`)."""
    from app.bankview.profile import own_preview, template_context

    enterprise_id = current_user.enterprise_id
    text = services.current_text_for_display("query", str(get_locale() or "zh"))
    form = _query_form()
    status = 200
    if form.validate_on_submit():
        if form.confirm.data != "1":
            form.confirm.data = "1"
            form.text_id.data = text.id if text else None
            form.text_sha256.data = text.sha256 if text else None
            bank = next((b for b in services.active_banks() if b.id == form.bank_id.data), None)
            now = utcnow()
            return render_template(
                "consent/bank_preview.html",
                form=form,
                text=text,
                bank=bank,
                terms=sentences(
                    Terms.proposed(
                        purpose=form.purpose.data,
                        categories=form.categories.data,
                        days=form.days.data,
                        data_months=form.data_months.data,
                        reads_per_day=form.reads_per_day.data
                        or services.QUERY_DEFAULT_READS_PER_DAY,
                        keep_copy_days=form.keep_copy_days.data,
                        now=now,
                    )
                ),
                preview=own_preview(
                    current_user.enterprise,
                    form.categories.data,
                    data_from(now, form.data_months.data),
                ),
                **template_context(),
            )
        try:
            services.grant_query(
                enterprise_id,
                form.bank_id.data,
                form.categories.data,
                purpose=form.purpose.data,
                days=form.days.data,
                reads_per_day=form.reads_per_day.data,
                data_months=form.data_months.data,
                keep_copy_days=form.keep_copy_days.data,
                **signature(form),
            )
        except ServiceError as exc:
            discard()
            flash(exc.message, "error")
            form.confirm.data = ""
            status = exc.status
        else:
            flash(_("授权已生效：该银行可在有效期内查看所选数据，每次查看都会记录"), "success")
            return redirect(url_for("consent.banks"))
    elif form.errors:
        status = 422
    return render_template(
        "consent/banks.html",
        form=form,
        authorizations=services.list_authorizations(enterprise_id, "query"),
        labels=CATEGORY_LABELS,
        terms_of=lambda auth: sentences(Terms.of(auth)),
        now=utcnow(),
    ), status
