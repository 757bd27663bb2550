"""A bank's product pages (its administrator edits them) and its staff page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.decorators import role_required
from app.auth.models import BANK_ROLES, Role
from app.errors import ServiceError
from app.products import services, staff
from app.products.forms import OfficerForm, ProductForm, StatusForm
from app.products.models import STATUS_LABELS, TYPE_LABELS, Product
from app.unit_of_work import discard, refusal_flashed

bp = Blueprint("products", __name__)

FORM_FIELDS = services.FIELDS


def _labels() -> dict:
    return {"types": TYPE_LABELS, "statuses": STATUS_LABELS}


@bp.route("/bank/products")
@role_required(*BANK_ROLES)
def index():
    return render_template(
        "products/index.html",
        products=services.list_bank_products(current_user.bank_id),
        form=StatusForm(),
        **_labels(),
    )


def _form_data(form: ProductForm) -> dict:
    return {name: getattr(form, name).data for name in FORM_FIELDS}


def _fill(form: ProductForm, product) -> None:
    data = services.product_to_dict(product)
    for name in FORM_FIELDS:
        value = data[name]
        if isinstance(value, list) and name != "sizes":  # sizes: one checkbox each
            value = ",".join(value)
        getattr(form, name).data = "" if value is None else value
    form.version.data = str(product.version)


def _save(form: ProductForm, product_id: int | None):
    """Call the service; on refusal put the message on its field and keep the input."""
    data = _form_data(form)
    try:
        if product_id is None:
            product = services.create_product(current_user.bank_id, data)
        else:
            product = services.update_product(
                product_id, current_user.bank_id, data, expected_version=form.version.data
            )
    except ServiceError as exc:
        discard()
        target = getattr(form, exc.field, None) if exc.field else None
        if target is not None and exc.field in FORM_FIELDS:
            target.errors = [*target.errors, exc.message]
        else:
            flash(exc.message, "error")
        return None, exc.status
    return product, 200


@bp.route("/bank/products/new", methods=["GET", "POST"])
@role_required(Role.BANK_ADMIN)
def new():
    return _edit_page(None)


@bp.route("/bank/products/<int:product_id>/edit", methods=["GET", "POST"])
@role_required(Role.BANK_ADMIN)
def edit(product_id: int):
    return _edit_page(services.get_bank_product(product_id, current_user.bank_id))


def _edit_page(product: Product | None):
    """The product's form (a new draft when `product` is None); once saved, back to the list."""
    form = ProductForm()
    status = 200
    if form.validate_on_submit():
        saved, status = _save(form, product.id if product else None)
        if saved is not None:
            flash(_("产品已更新") if product else _("产品已保存为草稿"), "success")
            return redirect(url_for("products.index"))
    elif product is not None and not form.is_submitted():
        _fill(form, product)
    return render_template("products/edit.html", form=form, product=product), status


@bp.route("/bank/products/<int:product_id>/status", methods=["POST"])
@role_required(Role.BANK_ADMIN)
def change_status(product_id: int):
    form = StatusForm()
    if form.validate_on_submit():
        with refusal_flashed(let_through=(404,)):
            services.set_status(product_id, current_user.bank_id, request.form.get("status", ""))
            flash(_("产品状态已更新"), "success")
    return redirect(url_for("products.index"))


@bp.route("/bank/staff", methods=["GET", "POST"])
@role_required(Role.BANK_ADMIN)
def staff_page():
    form = OfficerForm()
    password = None
    status = 200
    if form.validate_on_submit():
        try:
            _user, password = staff.create_officer(
                current_user.bank_id,
                current_user.bank.code,
                form.email.data or "",
                form.display_name.data or "",
            )
        except ServiceError as exc:
            discard()
            form.email.errors = [*form.email.errors, exc.message]
            status = exc.status
        else:
            flash(_("信贷员账户已创建，请将一次性密码安全地交给本人"), "success")
            form = OfficerForm(formdata=None)
    return render_template(
        "products/staff.html",
        form=form,
        password=password,
        users=staff.bank_users(current_user.bank_id),
        tokens=staff.bank_tokens(current_user.bank_id),
        action_form=StatusForm(),
    ), status


@bp.route("/bank/staff/<int:user_id>/deactivate", methods=["POST"])
@role_required(Role.BANK_ADMIN)
def deactivate(user_id: int):
    if StatusForm().validate_on_submit():
        staff.deactivate_officer(current_user.bank_id, user_id)
        flash(_("该信贷员已停用，其登录和令牌即时失效"), "success")
    return redirect(url_for("products.staff_page"))


@bp.route("/bank/staff/tokens/<int:token_id>/revoke", methods=["POST"])
@role_required(Role.BANK_ADMIN)
def revoke_token(token_id: int):
    if StatusForm().validate_on_submit():
        staff.revoke_token(current_user.bank_id, token_id)
        flash(_("令牌已吊销"), "success")
    return redirect(url_for("products.staff_page"))
