"""The ways an enterprise account proves it acts for its enterprise, behind one interface.

A provider is started by the user (a code is sent, a payment made, files handed in) and
completed by the user (the code, the amount) or, for the review, by the operator. Which
providers are offered is configuration (`VERIFICATION_PROVIDERS`, "phone,payment,review");
the web pages and the API reach every provider through `get(name)`, so a provider left out
is refused everywhere (404 `provider_not_enabled`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.models import User
from app.errors import Conflict, NotFound
from app.identity import payment, phone, review


class Provider(Protocol):
    name: str
    label: Any  # a lazy string: the provider's name for the user

    def start(self, user: User, data: Mapping[str, Any], *, ip: str | None) -> object:
        """Begin: returns the record made (code, payment, review)."""
        ...

    def complete(self, user: User, data: Mapping[str, Any], *, ip: str | None) -> User:
        """Finish with what the user received; the account verified or a `ServiceError`."""
        ...


class PhoneProvider:
    """A 6-digit code to the registry's contact phone (`app.identity.phone`)."""

    name = "phone"
    label = _l("短信验证码")

    def start(self, user: User, data: Mapping[str, Any], *, ip: str | None) -> object:
        return phone.send_code(user, ip=ip)

    def complete(self, user: User, data: Mapping[str, Any], *, ip: str | None) -> User:
        return phone.check_code(user, str(data.get("code") or ""), ip=ip)


class PaymentProvider:
    """A small payment to the corporate account (`app.identity.payment`)."""

    name = "payment"
    label = _l("对公账户打款验证")

    def start(self, user: User, data: Mapping[str, Any], *, ip: str | None) -> object:
        return payment.request_payment(
            user,
            bank_name=str(data.get("bank_name") or ""),
            account_number=str(data.get("account_number") or ""),
            account_name=str(data.get("account_name") or ""),
            ip=ip,
        )

    def complete(self, user: User, data: Mapping[str, Any], *, ip: str | None) -> User:
        return payment.check_amount(user, data.get("amount"), ip=ip)


class ReviewProvider:
    """The business licence for the operator's review (`app.identity.review`); `data` holds
    the uploaded files (`licence`, `authorization`: lists) and `legal_rep`."""

    name = "review"
    label = _l("人工审核")

    def start(self, user: User, data: Mapping[str, Any], *, ip: str | None) -> object:
        return review.submit(
            user,
            licence=list(data.get("licence") or []),
            authorization=list(data.get("authorization") or []),
            legal_rep=bool(data.get("legal_rep")),
            ip=ip,
        )

    def complete(self, user: User, data: Mapping[str, Any], *, ip: str | None) -> User:
        raise Conflict(_("人工审核由平台审核人员完成，请等待审核结论"), code="decided_by_operator")


PROVIDERS: dict[str, Provider] = {
    p.name: p for p in (PhoneProvider(), PaymentProvider(), ReviewProvider())
}


def enabled() -> list[str]:
    """The names of the providers offered, in the configured order."""
    names = str(current_app.config.get("VERIFICATION_PROVIDERS") or "").split(",")
    return [n.strip() for n in names if n.strip() in PROVIDERS]


def get(name: str) -> Provider:
    """The provider `name` when it is offered; 404 `provider_not_enabled` otherwise."""
    if name not in enabled():
        raise NotFound(_("不支持该核验方式"), code="provider_not_enabled")
    return PROVIDERS[name]
