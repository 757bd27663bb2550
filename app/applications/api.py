"""Applications: an enterprise applies or posts an open demand; banks decide."""

from __future__ import annotations

from datetime import date, datetime

from flask import jsonify, request
from pydantic import Field

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.schemas import (
    Body,
    Integer,
    Money,
    MoneyText,
    Paged,
    Percent,
    PercentText,
    Shape,
    Whole,
    choice,
    parse,
    read_query,
)
from app.api.spec import doc
from app.applications import queries, services
from app.applications.states import Action, Actor, State
from app.auth.models import Role


class Party(Shape):
    uscc: str
    name: str


class Summary(Shape):
    industry: str | None
    region: str | None
    scale: str | None


class Step(Shape):
    action: choice(Action)  # type: ignore[valid-type]
    from_: choice(State) | None = Field(alias="from")  # type: ignore[valid-type]
    to: choice(State)  # type: ignore[valid-type]
    note: str | None
    at: datetime
    by: choice(Actor)  # type: ignore[valid-type]
    user_id: int | None = Field(None, description="for the enterprise only")


class Application(Shape):
    id: int
    product_id: int | None
    product: str | None
    bank: str | None
    state: choice(State)  # type: ignore[valid-type]
    amount: MoneyText
    term_months: int
    purpose: str | None
    submitted_at: datetime | None
    respond_by: datetime | None
    approved_amount: MoneyText | None
    approved_rate: PercentText | None
    approved_term_months: int | None
    reject_reason: str | None
    disbursed_amount: MoneyText | None
    disbursed_on: date | None
    first_loan: bool | None
    first_loan_declared: bool | None
    first_loan_platform: bool | None
    version: int
    enterprise: Party | None = Field(
        None,
        description="for a bank only while it may know who applied (an in-force query "
        "authorization, or its own disbursed loan), every such response logged in the "
        "enterprise's access log",
    )
    identity_basis: str | None = Field(
        None, description="bank views: authorization | loan_servicing (when enterprise is set)"
    )
    summary: Summary | None = Field(None, description="bank views without the enterprise")
    events: list[Step]


class ApplicationConsent(Body):
    """Also grant the product's bank the query authorization."""

    categories: list[str] = []
    days: Whole | None = None
    consent_text_version: Whole | None = None


class NewApplication(Body):
    product_id: Integer | None = Field(None, description="null: open demand")
    amount: Money
    term_months: Whole
    purpose: str
    consent: ApplicationConsent | None = None


class NoFields(Body):
    """accept: nothing to send."""


class Approval(Body):
    amount: Money
    rate: Percent
    term_months: Whole


class Rejection(Body):
    reason: str


class Disbursement(Body):
    amount: Money
    disbursed_on: date
    first_loan: bool | None = None


class Withdrawal(Body):
    note: str | None = None


ACTION_BODIES: dict[str, type[Body]] = {
    Action.ACCEPT: NoFields, Action.APPROVE: Approval, Action.REJECT: Rejection,
    Action.DISBURSE: Disbursement, Action.WITHDRAW: Withdrawal,
}  # fmt: skip


def _shown(apps, user) -> list[dict]:
    """The applications as `user` may see them; a bank's view of who applied is logged."""
    return queries.for_viewer(
        apps, user, endpoint=request.path, channel="api", ip=request.remote_addr
    )


@bp.route("/applications", methods=["POST"])
@api_auth(Role.ENTERPRISE)
@doc(request=NewApplication, response=Application, status=201, tag="applications")
def create_application():
    """Apply to a product, or post an open demand (product_id null)."""
    from app.consent import services as consent

    user = current_api_user()
    body = parse(NewApplication, empty_ok=True)
    grant = body.consent
    terms = {
        "product_id": body.product_id,
        "amount": body.amount,
        "term_months": body.term_months,
        "purpose": body.purpose,
        "user_id": user.id,
    }
    if grant and body.product_id is not None:
        version = grant.consent_text_version
        text = (
            consent.get_text_version("query", version)
            if version is not None
            else consent.current_text("query")
        )
        app = services.apply_with_consent(
            user.enterprise_id,
            **terms,
            categories=grant.categories,
            days=grant.days,
            ip=request.remote_addr,
            text_id=text.id if text else None,
        )
    else:
        app = services.create_application(user.enterprise_id, **terms)
    return jsonify(queries.to_dict(app, user)), 201


@bp.route("/applications")
@api_auth(Role.ENTERPRISE, Role.BANK_OFFICER, Role.BANK_ADMIN)
@doc(response=list[Application], query=Paged, tag="applications")
def list_applications():
    """An enterprise's own applications; a bank's open demands that fit it, then its own,
    newest first. `limit` from `offset` (100 by default): a bank is told who applied, and
    the look logged, for the applications returned only (`Link` names the next window)."""
    user = current_api_user()

    def fetch(limit: int, offset: int) -> list:
        if user.role == Role.ENTERPRISE:
            return queries.list_for_enterprise(user.enterprise_id, limit=limit, offset=offset)
        return queries.list_for_bank(user.bank_id, limit=limit, offset=offset)

    items, links = read_query(Paged).read(fetch)
    return jsonify(_shown(items, user)), 200, links


@bp.route("/applications/<int:application_id>")
@api_auth(Role.ENTERPRISE, Role.BANK_OFFICER, Role.BANK_ADMIN)
@doc(response=Application, tag="applications")
def get_application(application_id: int):
    """One application with its timeline (404 for another's)."""
    user = current_api_user()
    return jsonify(_shown([services.get_for_user(application_id, user)], user)[0])


def _action_view(action: str, roles: tuple[str, ...]):
    model = ACTION_BODIES[action]

    @api_auth(*roles)
    @doc(request=model, response=Application, tag="applications")
    def view(application_id: int):
        user = current_api_user()
        app = services.act(action, application_id, user, parse(model, empty_ok=True).model_dump())
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
