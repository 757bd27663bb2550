"""Applications: an enterprise applies or posts an open demand; banks decide."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import gettext as _

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.spec import doc
from app.applications import queries, services
from app.auth.models import Role
from app.errors import ValidationFailed
from app.extensions import db

APPLICATION_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "product_id": {"type": "integer", "nullable": True},
        "bank": {"type": "string", "nullable": True},
        "state": {"type": "string"},
        "amount": {"type": "string"},
        "term_months": {"type": "integer"},
        "purpose": {"type": "string", "nullable": True},
        "enterprise": {
            "type": "object",
            "nullable": True,
            "description": "uscc and name; for a bank only while it may know who applied "
            "(an in-force query authorization, or its own disbursed loan), every such "
            "response logged in the enterprise's access log",
        },
        "identity_basis": {
            "type": "string",
            "description": "bank views: authorization | loan_servicing (when enterprise is set)",
        },
        "summary": {
            "type": "object",
            "description": "bank views without the enterprise: industry, region, scale",
        },
        "events": {
            "type": "array",
            "items": {
                "type": "object",
                "description": "action, from, to, note, at, by (enterprise | bank | system); "
                "user_id for the enterprise only",
            },
        },
    },
}
CREATE_SCHEMA = {
    "type": "object",
    "required": ["amount", "term_months", "purpose"],
    "properties": {
        "product_id": {"type": "integer", "nullable": True, "description": "null: open demand"},
        "amount": {"type": "string"},
        "term_months": {"type": "integer"},
        "purpose": {"type": "string"},
        "consent": {
            "type": "object",
            "description": "optional: also grant the product's bank the query authorization",
            "properties": {
                "categories": {"type": "array", "items": {"type": "string"}},
                "days": {"type": "integer"},
                "consent_text_version": {"type": "integer"},
            },
        },
    },
}
ACTION_SCHEMA = {
    "type": "object",
    "description": "approve {amount, rate, term_months}; reject {reason}; "
    "disburse {amount, disbursed_on, first_loan}; accept / withdraw {}",
}


def _body() -> dict:
    body = request.get_json(silent=True)
    if body is None and not request.data:
        return {}
    if not isinstance(body, dict):
        raise ValidationFailed(None, _("请求体应为 JSON 对象"), code="invalid_json")
    return body


def _shown(apps, user) -> list[dict]:
    """The applications as `user` may see them; a bank's view of who applied is logged."""
    return queries.for_viewer(
        apps, user, endpoint=request.path, channel="api", ip=request.remote_addr
    )


@bp.route("/applications", methods=["POST"])
@api_auth(Role.ENTERPRISE)
@doc(request=CREATE_SCHEMA, response=APPLICATION_SCHEMA, status=201, tag="applications")
def create_application():
    """Apply to a product, or post an open demand (product_id null)."""
    from app.consent import services as consent

    user = current_api_user()
    body = _body()
    product_id = body.get("product_id")
    if product_id is not None and (isinstance(product_id, bool) or not str(product_id).isdigit()):
        raise ValidationFailed("product_id", _("产品编号应为整数"))
    grant = body.get("consent")
    if grant and product_id is not None:
        if not isinstance(grant, dict):
            raise ValidationFailed("consent", _("consent 应为 JSON 对象"))
        version = grant.get("consent_text_version")
        if version is not None and not str(version).isdigit():
            raise ValidationFailed("consent_text_version", _("授权书版本应为整数"))
        text = (
            consent.get_text_version("query", int(version))
            if version is not None
            else consent.current_text("query")
        )
        app = services.apply_with_consent(
            user.enterprise_id,
            product_id=int(product_id),
            amount=body.get("amount"),
            term_months=body.get("term_months"),
            purpose=str(body.get("purpose") or ""),
            categories=grant.get("categories") or [],
            days=grant.get("days"),
            user_id=user.id,
            ip=request.remote_addr,
            text_id=text.id if text else None,
        )
    else:
        app = services.create_application(
            user.enterprise_id,
            product_id=int(product_id) if product_id is not None else None,
            amount=body.get("amount"),
            term_months=body.get("term_months"),
            purpose=str(body.get("purpose") or ""),
            user_id=user.id,
        )
    db.session.commit()
    return jsonify(queries.to_dict(app, user)), 201


@bp.route("/applications")
@api_auth(Role.ENTERPRISE, Role.BANK_OFFICER, Role.BANK_ADMIN)
@doc(response={"type": "array", "items": APPLICATION_SCHEMA}, tag="applications")
def list_applications():
    """An enterprise's own applications; a bank's own plus the open demands that fit it."""
    user = current_api_user()
    if user.role == Role.ENTERPRISE:
        items = queries.list_for_enterprise(user.enterprise_id)
    else:
        items = queries.list_for_bank(user.bank_id)
    return jsonify(_shown(items, user))


@bp.route("/applications/<int:application_id>")
@api_auth(Role.ENTERPRISE, Role.BANK_OFFICER, Role.BANK_ADMIN)
@doc(response=APPLICATION_SCHEMA, tag="applications")
def get_application(application_id: int):
    """One application with its timeline (404 for another's)."""
    user = current_api_user()
    return jsonify(_shown([services.get_for_user(application_id, user)], user)[0])


def _action_view(action: str, roles: tuple[str, ...]):
    @api_auth(*roles)
    @doc(request=ACTION_SCHEMA, response=APPLICATION_SCHEMA, tag="applications")
    def view(application_id: int):
        user = current_api_user()
        app = services.act(action, application_id, user, _body())
        db.session.commit()
        return jsonify(_shown([app], user)[0])

    view.__name__ = f"application_{action}"
    view.__doc__ = f"{action.capitalize()} the application (409 when its state does not allow it)."
    bp.add_url_rule(
        f"/applications/<int:application_id>/{action}",
        endpoint=view.__name__,
        view_func=view,
        methods=["POST"],
    )


for _action in ("accept", "approve", "reject", "disburse"):
    _action_view(_action, (Role.BANK_OFFICER, Role.BANK_ADMIN))
_action_view("withdraw", (Role.ENTERPRISE,))
