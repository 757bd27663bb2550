"""Factories for test objects: `factories.enterprise()`, `factories.user("bank_officer")`…"""

from __future__ import annotations

import itertools
import random
import secrets
from datetime import date
from decimal import Decimal

import pyotp

from app.auth import services as auth_services
from app.auth import twofactor
from app.auth.models import RecoveryCode, Role, User
from app.banks.models import Bank
from app.clock import utcnow
from app.demo.uscc import make_uscc
from app.enterprises.models import Enterprise
from app.extensions import db

_seq = itertools.count(1)
_rng = random.Random(4754)


class Factories:
    PASSWORD = "Passw0rd-for-tests"
    # The second factor of every bank, office and operator user made here.
    TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

    def uscc(self, region_code: str = "610113") -> str:
        return make_uscc(region_code, _rng, kind="91")

    def bank(self, code: str | None = None, name: str | None = None) -> Bank:
        n = next(_seq)
        bank = Bank(code=code or f"BANK{n}", name=name or f"测试银行{n}")
        db.session.add(bank)
        db.session.flush()
        return bank

    def enterprise(self, **fields) -> Enterprise:
        n = next(_seq)
        region = fields.pop("region_code", "610113")
        values = {
            "uscc": self.uscc(region),
            "name": f"测试企业{n}有限公司",
            "legal_rep": "王五",
            "established_on": date(2015, 6, 1),
            "registered_capital": Decimal("500.00"),
            "region_code": region,
            "industry_code": "C",
            "scale": "small",
            "employees": 25,
            "verified": True,
        }
        values.update(fields)
        enterprise = Enterprise(**values)
        db.session.add(enterprise)
        db.session.flush()
        return enterprise

    def user(self, role: str = Role.ENTERPRISE, *, email: str | None = None,
             bank: Bank | None = None, enterprise: Enterprise | None = None,
             password: str | None = None, verified: bool = True,
             enrolled: bool | None = None) -> User:  # fmt: skip
        """A user; an enterprise account is verified unless `verified=False`. A role that
        needs the second factor has it (secret `TOTP_SECRET`) unless `enrolled=False`; an
        enterprise only with `enrolled=True`."""
        n = next(_seq)
        if role in (Role.BANK_ADMIN, Role.BANK_OFFICER) and bank is None:
            bank = self.bank()
        if role == Role.ENTERPRISE and enterprise is None:
            enterprise = self.enterprise()
        user = User(
            email=email or f"{role}{n}@example.test",
            password_hash=auth_services.hash_password(password or self.PASSWORD),
            role=role,
            display_name=f"{role} {n}",
            bank_id=bank.id if bank else None,
            enterprise_id=enterprise.id if enterprise else None,
            verification_state="verified" if verified else "unverified",
        )
        db.session.add(user)
        db.session.flush()
        if enrolled if enrolled is not None else twofactor.is_required(user):
            twofactor.set_secret(user, self.TOTP_SECRET)
        return user

    def token(self, user: User) -> str:
        _token, plaintext = auth_services.issue_token(user, "test")
        db.session.flush()
        return plaintext


def second_factor_answer(user: User) -> str:
    """What a user types at the second step of a sign-in: the app's current code, or, when
    that time step was used already (a second sign-in within the same 30 seconds, or after a
    test moved the clock back), a fresh recovery code, because the product refuses a code
    used twice. The recovery code is committed (the request reads it in its own session)."""
    db.session.refresh(user)
    totp = pyotp.TOTP(twofactor.secret_of(user))
    now = utcnow()
    if user.totp_last_step is None or totp.timecode(now) > user.totp_last_step:
        return totp.at(now)
    code = secrets.token_hex(5)
    db.session.add(RecoveryCode(user_id=user.id, code_hash=twofactor._hash_recovery(code)))
    db.session.commit()
    return code
