"""Web pages of the application life cycle: apply, follow, withdraw; the bank's inbox."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from app.applications import queries, services
from app.applications.forms import (
    ActionForm,
    ApplyForm,
    ApproveForm,
    AuthorizeForm,
    DisburseForm,
    RejectForm,
)
from app.applications.states import ACTION_LABELS, STATE_LABELS, Action
from app.auth.decorators import role_required
from app.auth.models import BANK_ROLES, Role
from app.clock import local_today, utcnow
from app.consent import services as consent
from app.consent.forms import CATEGORY_LABELS, signature
from app.consent.guard import LOAN_SERVICING, NOT_SHOWN, identify_applicant
from app.consent.terms import application_terms
from app.errors import ServiceError, ValidationFailed
from app.facts.services import is_first_loan
from app.forms import attach_error
from app.products import services as products
from app.unit_of_work import discard
from app.workcalendar import services as workdays

bp = Blueprint("applications", __name__)


def _consent_text():
    return consent.current_text_for_display("query", str(get_locale() or "zh"))


def _category_choices(form) -> None:
    """Every category, none ticked: consent is what the owner ticks (`choices` offers 全选)."""
    form.categories.choices = [SelectChoice(c, CATEGORY_LABELS[c]) for c in consent.ALL_CATEGORIES]


def _keep_draft() -> None:
    """An unverified account's refused application: kept as typed (see `role_required`)."""
    form = request.form
    services.save_draft(
        current_user.id,
        product_id=form.get("product_id"),
        amount=form.get("amount"),
        term_months=form.get("term_months"),
        purpose=form.get("purpose"),
    )


@bp.route("/applications/new", methods=["GET", "POST"])
@role_required(Role.ENTERPRISE, draft=_keep_draft)
def new():
    """A product application (two steps: the need, then what the bank will see and the
    consent text) or, without a product, an open demand (one step)."""
    from app.bankview.profile import own_preview, template_context

    form = ApplyForm()
    if not form.is_submitted():
        form.product_id.data = request.args.get("product_id", "")
        form.amount.data = request.args.get("amount", "")
        form.term_months.data = request.args.get("term_months", "")
        form.purpose.data = request.args.get("purpose", "")
    _category_choices(form)
    raw_product = (form.product_id.data or "").strip()
    product = products.get_published(int(raw_product)) if raw_product.isdigit() else None
    text = _consent_text()
    status = 200
    if form.validate_on_submit():
        try:
            if product is None:
                app = services.create_application(
                    current_user.enterprise_id,
                    product_id=None,
                    amount=form.amount.data,
                    term_months=form.term_months.data,
                    purpose=form.purpose.data or "",
                    user_id=current_user.id,
                )
                services.discard_draft(current_user.id)
                flash(_("融资需求已发布，符合条件的银行受理后会通知您"), "success")
                return redirect(url_for("applications.detail", application_id=app.id))
            services.parse_amount(form.amount.data)
            services.parse_term(form.term_months.data)
            if not (form.purpose.data or "").strip():
                raise ValidationFailed("purpose", _("请填写资金用途"))
            if not form.categories.data:
                raise ValidationFailed("categories", _("请至少选择一类数据"))
            if form.confirm.data != "1":
                form.confirm.data = "1"
                form.text_id.data = text.id if text else None
                form.text_sha256.data = text.sha256 if text else None
                return render_template(
                    "applications/confirm.html",
                    form=form,
                    terms=application_terms(form.categories.data, form.days.data),
                    product=product,
                    text=text,
                    preview=own_preview(current_user.enterprise, form.categories.data),
                    **template_context(),
                )
            app = services.apply_with_consent(
                current_user.enterprise_id,
                product_id=product.id,
                amount=form.amount.data,
                term_months=form.term_months.data,
                purpose=form.purpose.data or "",
                categories=form.categories.data,
                days=form.days.data,
                **signature(form),
            )
            services.discard_draft(current_user.id)
        except ServiceError as exc:
            discard()
            attach_error(form, exc)
            form.confirm.data = ""
            status = exc.status
        else:
            flash(
                _("申请已提交，%(bank)s 已获得本次申请的查询授权", bank=product.bank.name),
                "success",
            )
            return redirect(url_for("applications.detail", application_id=app.id))
    elif form.errors:
        status = 422
    return render_template("applications/new.html", form=form, product=product), status


@bp.route("/applications")
@role_required(Role.ENTERPRISE)
def index():
    return render_template(
        "applications/index.html",
        applications=queries.list_for_enterprise(current_user.enterprise_id),
        labels=STATE_LABELS,
    )


@bp.route("/applications/<int:application_id>")
@role_required(Role.ENTERPRISE, *BANK_ROLES)
def detail(application_id: int):
    return _detail_page(services.get_for_user(application_id, current_user))


# The decisions with fields: a refused one is shown again with what was typed.
DECISION_FORMS = {"approve": ApproveForm, "reject": RejectForm, "disburse": DisburseForm}


def _detail_page(app, refused: tuple[str, FlaskForm] | None = None, status: int = 200):
    is_bank = current_user.role in BANK_ROLES
    identity = (
        identify_applicant(
            current_user, app, endpoint=request.path, channel="web", ip=request.remote_addr
        )
        if is_bank
        else NOT_SHOWN
    )
    forms = {
        "approve_form": ApproveForm(formdata=None, amount=app.amount, term_months=app.term_months),
        "reject_form": RejectForm(formdata=None),
        "disburse_form": DisburseForm(
            formdata=None,
            amount=app.approved_amount,
            disbursed_on=local_today().isoformat(),
            first_loan=is_first_loan(app.enterprise_id, excluding=app.id),
        ),
    }
    if refused is not None:
        forms[f"{refused[0]}_form"] = refused[1]
    page = render_template(
        "applications/detail.html",
        app=app,
        is_bank=is_bank,
        identity=identity,
        loan_servicing=LOAN_SERVICING,
        needs_authorization=not is_bank and services.awaits_authorization(app),
        summary=queries.summary(app) if is_bank and not identity.shown else None,
        events=queries.events_shown(app, current_user, identity),
        labels=STATE_LABELS,
        action_labels=ACTION_LABELS,
        action_form=ActionForm(),
        days_left=workdays.working_days_left(app.respond_by, utcnow())
        if app.state == "submitted" and app.respond_by
        else None,
        **forms,
    )
    return page, status


@bp.route("/applications/<int:application_id>/<action>", methods=["POST"])
@role_required(Role.ENTERPRISE, *BANK_ROLES)
def act(application_id: int, action: str):
    if action not in services.USER_ACTIONS:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        payload = request.form.to_dict()
        if action == "disburse":  # an unticked box is absent from the form: not a first loan
            payload["first_loan"] = "first_loan" in request.form
        services.act(action, application_id, current_user, payload)
    except ValidationFailed as exc:
        discard()
        form_class = DECISION_FORMS.get(action)
        if form_class is None:
            flash(exc.message, "error")
            return redirect(url_for("applications.detail", application_id=application_id))
        form = form_class()  # what was typed, each wrong field marked
        attach_error(form, exc)
        app = services.get_for_user(application_id, current_user)
        return _detail_page(app, (action, form), 422)
    except ServiceError as exc:
        discard()
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    else:
        flash(_("已%(a)s", a=Action(action).label), "success")
    return redirect(url_for("applications.detail", application_id=application_id))


@bp.route("/applications/<int:application_id>/authorize", methods=["GET", "POST"])
@role_required(Role.ENTERPRISE)
def authorize(application_id: int):
    """After a bank accepted an open demand: authorize that bank for this application."""
    from app.bankview.profile import own_preview, template_context

    app = services.get_for_enterprise(application_id, current_user.enterprise_id)
    if app.bank_id is None:
        flash(_("尚无银行受理该需求"), "warning")
        return redirect(url_for("applications.detail", application_id=app.id))
    text = _consent_text()
    form = AuthorizeForm()
    _category_choices(form)
    if not form.is_submitted() and text is not None:
        form.text_id.data = text.id
        form.text_sha256.data = text.sha256
    status = 200
    if form.validate_on_submit():
        try:
            services.authorize_bank(
                app.id,
                current_user.enterprise_id,
                categories=form.categories.data or [],
                days=form.days.data,
                **signature(form),
            )
        except ServiceError as exc:
            discard()
            attach_error(form, exc)
            status = exc.status
        else:
            flash(_("授权已生效：%(bank)s 可查看所选数据", bank=app.bank.name), "success")
            return redirect(url_for("applications.detail", application_id=app.id))
    elif form.errors:
        status = 422
    return render_template(
        "applications/authorize.html",
        app=app,
        terms=application_terms(form.categories.data or [], form.days.data),
        form=form,
        text=text,
        preview=own_preview(current_user.enterprise, form.categories.data or []),
        **template_context(),
    ), status


@bp.route("/bank/inbox")
@role_required(*BANK_ROLES)
def inbox():
    bench = queries.workbench(
        current_user,
        tab=request.args.get("tab", "all"),
        q=request.args.get("q", "")[:100],
        due=request.args.get("due", ""),
        page=request.args.get("page", 1, type=int) or 1,
        endpoint=request.path,
        channel="web",
        ip=request.remote_addr,
    )
    return render_template(
        "applications/inbox.html",
        bench=bench,
        labels=STATE_LABELS,
        summary=queries.summary,
        due_state=queries.due_state,
    )
