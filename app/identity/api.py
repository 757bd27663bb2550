"""Account verification (核验) of the caller's enterprise account: where it stands, and each
provider started and completed through `app.identity.providers` (the same rules as the
pages). Open to unverified accounts, which is what they are for.

A refused try is still recorded (a wrong code or amount counts against the limit, and is an
account event): the error is answered after what it recorded is committed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from flask import current_app, jsonify, request
from pydantic import Field, WithJsonSchema

from app.api import bp
from app.api.auth import api_auth, current_api_user
from app.api.schemas import Body, Files, Shape, choice, parse, parse_form
from app.api.spec import doc
from app.auth.models import Role, User
from app.errors import ServiceError
from app.extensions import db
from app.identity import payment, phone, providers, review, services
from app.identity.models import (
    PaymentState,
    PaymentVerification,
    PhoneCode,
    ReviewState,
    VerificationReview,
    VerificationState,
)
from app.identity.providers import PROVIDERS


class PhoneSent(Shape):
    """The open code sent to the registry's contact phone."""

    phone_masked: str
    sent_at: datetime
    expires_at: datetime
    tries_left: int


class PaymentShown(Shape):
    """The latest small payment to the corporate account (never its amount)."""

    id: int
    state: choice(PaymentState) = Field(  # type: ignore[valid-type]
        description="requested: not paid yet; sent: type the amount received"
    )
    bank_name: str
    account_masked: str
    account_name: str
    requested_at: datetime | None = None
    sent_at: datetime | None = None
    expires_at: datetime | None = None
    tries_left: int


class ReviewShown(Shape):
    """The latest business licence handed in for the operator's review."""

    id: int
    state: choice(ReviewState)  # type: ignore[valid-type]
    legal_rep: bool | None = None
    submitted_at: datetime
    due_at: datetime
    decided_at: datetime | None = None
    reason: str | None = None
    files: int | None = None


class AccountVerification(Shape):
    state: choice(VerificationState)  # type: ignore[valid-type]
    verified: bool
    method: str | None = None
    verified_at: datetime | None = None
    providers: list[choice(PROVIDERS)] = Field(  # type: ignore[valid-type]
        description="the ways offered, in order"
    )
    phone_on_file: str | None = None
    phone: PhoneSent | None = None
    payment: PaymentShown | None = None
    review: ReviewShown | None = None


class PhoneCodeTyped(Body):
    code: str = Field(description="the 6 digits received")


class PaymentAccount(Body):
    """The corporate account; the provider names every missing or malformed field at once."""

    bank_name: str = Field("", description="开户银行, with the branch")
    account_number: str = Field("", description="对公账号, 8 to 32 digits")
    account_name: str = Field("", description="户名: the registered name exactly")


class PaymentAmount(Body):
    amount: Annotated[  # the provider words a malformed amount itself (not counted)
        str | int | float,
        WithJsonSchema({"type": "string", "description": "the amount received in 元, e.g. 0.37"}),
    ]


class LicenceUpload(Body):
    licence: Files
    authorization: Files = Field(default_factory=list)
    legal_rep: bool = Field(False, description="the caller is the legal representative")


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _phone_json(code: PhoneCode | None) -> dict | None:
    if code is None:
        return None
    return {
        "phone_masked": code.phone_masked,
        "sent_at": code.sent_at.isoformat(),
        "expires_at": code.expires_at.isoformat(),
        "tries_left": int(current_app.config["PHONE_CODE_TRIES"]) - code.tries,
    }


def _payment_json(found: PaymentVerification | None) -> dict | None:
    if found is None:
        return None
    return {
        "id": found.id,
        "state": found.state,
        "bank_name": found.bank_name,
        "account_masked": found.masked_account,
        "account_name": found.account_name,
        "requested_at": found.requested_at.isoformat(),
        "sent_at": _iso(found.sent_at),
        "expires_at": _iso(found.expires_at),
        "tries_left": int(current_app.config["PAYMENT_VERIFICATION_TRIES"]) - found.tries,
    }


def _review_json(found: VerificationReview | None) -> dict | None:
    if found is None:
        return None
    return {
        "id": found.id,
        "state": found.state,
        "legal_rep": found.legal_rep,
        "submitted_at": found.submitted_at.isoformat(),
        "due_at": found.due_at.isoformat(),
        "decided_at": _iso(found.decided_at),
        "reason": found.reason,
        "files": len(found.files),
    }


def verification_json(user: User) -> dict:
    return {
        "state": services.state_of(user).value,
        "verified": services.is_verified(user),
        "method": user.verification_method,
        "verified_at": _iso(user.verified_at),
        "providers": providers.enabled(),
        "phone_on_file": services.masked_phone(user),
        "phone": _phone_json(phone.open_code(user)),
        "payment": _payment_json(payment.latest_for(user)),
        "review": _review_json(review.latest_for(user)),
    }


def _recorded(step, *args, **kwargs):
    """Run a provider step; on refusal commit what it recorded, then answer the error."""
    try:
        return step(*args, **kwargs)
    except ServiceError:
        db.session.commit()  # a refused try counts although the answer is an error
        raise


@bp.route("/me/verification")
@api_auth(Role.ENTERPRISE, unverified_ok=True)
@doc(response=AccountVerification, tag="verification")
def my_verification():
    """Where the caller's account stands, the ways offered and what is under way."""
    return jsonify(verification_json(current_api_user()))


@bp.route("/me/verification/phone/send", methods=["POST"])
@api_auth(Role.ENTERPRISE, unverified_ok=True)
@doc(response=PhoneSent, status=201, tag="verification")
def send_phone_code():
    """Send a 6-digit code to the registry's contact phone (201; never to a number given).

    409 `already_verified`; 422 `no_phone_on_file`; 429 `too_many_codes` (once a minute,
    5 a day); 502 `send_failed` when the SMS gateway did not take it.
    """
    user = current_api_user()
    code = _recorded(providers.get("phone").start, user, {}, ip=request.remote_addr)
    return jsonify(_phone_json(code)), 201


@bp.route("/me/verification/phone", methods=["POST"])
@api_auth(Role.ENTERPRISE, unverified_ok=True)
@doc(request=PhoneCodeTyped, response=AccountVerification, tag="verification")
def check_phone_code():
    """Verify the account by the code received.

    When another account administers the enterprise already, the right code verifies nothing
    (`verified` stays false): it is recorded as a stronger claim for the operator, who may
    transfer the administration.

    422 `bad_code_format`, `wrong_code` (counted), `code_locked` (the 5th wrong try),
    `code_expired`.
    """
    user = current_api_user()
    data = parse(PhoneCodeTyped).model_dump()
    _recorded(providers.get("phone").complete, user, data, ip=request.remote_addr)
    return jsonify(verification_json(user))


@bp.route("/me/verification/payment", methods=["POST"])
@api_auth(Role.ENTERPRISE, unverified_ok=True)
@doc(request=PaymentAccount, response=PaymentShown, status=201, tag="verification")
def request_payment():
    """Ask for a small payment to the corporate account (201).

    The account name must be the registered name (422 `account_name_mismatch`, recorded);
    malformed fields are all named (422, `fields`); a new request replaces the open one, at
    most 3 in 30 days (429 `too_many_payments`). The amount is never in any answer.
    """
    user = current_api_user()
    data = parse(PaymentAccount).model_dump()
    made = _recorded(providers.get("payment").start, user, data, ip=request.remote_addr)
    assert isinstance(made, PaymentVerification)
    return jsonify(_payment_json(made)), 201


@bp.route("/me/verification/payment/amount", methods=["POST"])
@api_auth(Role.ENTERPRISE, unverified_ok=True)
@doc(request=PaymentAmount, response=AccountVerification, tag="verification")
def check_payment_amount():
    """Verify the account by the amount the corporate account received.

    409 `no_payment`, `payment_not_sent`; 422 `bad_amount_format` (not counted),
    `wrong_amount` (counted), `payment_locked` (the 3rd wrong amount), `payment_expired`
    (48 hours after the payment).
    """
    user = current_api_user()
    data = parse(PaymentAmount).model_dump()
    _recorded(providers.get("payment").complete, user, data, ip=request.remote_addr)
    return jsonify(verification_json(user))


@bp.route("/me/verification/review", methods=["POST"])
@api_auth(Role.ENTERPRISE, unverified_ok=True)
@doc(
    request=LicenceUpload,
    response=ReviewShown,
    status=201,
    tag="verification",
    request_type="multipart/form-data",
)
def submit_review():
    """Hand in the business licence for the operator's review (201).

    multipart/form-data: one or more `licence` files, `authorization` files unless
    `legal_rep` is true (PDF, JPEG or PNG, by content). 409 `already_verified`,
    `review_pending`; 422 naming the file otherwise. Nothing is kept from a refusal.
    """
    user = current_api_user()
    data = parse_form(LicenceUpload).model_dump()
    made = providers.get("review").start(user, data, ip=request.remote_addr)
    assert isinstance(made, VerificationReview)
    return jsonify(_review_json(made)), 201
