"""Factories for test objects: `factories.enterprise()`, `factories.user("bank_officer")`…"""

from __future__ import annotations

import itertools
import random
from datetime import date
from decimal import Decimal

from app.auth import services as auth_services
from app.auth.models import Role, User
from app.banks.models import Bank
from app.demo.uscc import make_uscc
from app.enterprises.models import Enterprise
from app.extensions import db

_seq = itertools.count(1)
_rng = random.Random(4754)


class Factories:
    PASSWORD = "Passw0rd-for-tests"

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
             password: str | None = None, verified: bool = True) -> User:  # fmt: skip
        """A user; an enterprise account is verified unless `verified=False`."""
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
        return user

    def token(self, user: User) -> str:
        _token, plaintext = auth_services.issue_token(user, "test")
        db.session.flush()
        return plaintext
