"""Rules for banks."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.banks.models import Bank
from app.errors import Conflict, ValidationFailed
from app.extensions import db

CODE_RE = re.compile(r"^[A-Z0-9_]{2,32}$")


def create_bank(code: str, name: str) -> Bank:
    code = code.strip().upper()
    name = name.strip()
    if not CODE_RE.match(code):
        raise ValidationFailed("code", "银行代码须为 2–32 位大写字母、数字或下划线")
    if not name:
        raise ValidationFailed("name", "银行名称不能为空")
    if get_bank_by_code(code) is not None:
        raise Conflict(f"银行代码 {code} 已存在")
    bank = Bank(code=code, name=name)
    db.session.add(bank)
    db.session.flush()
    return bank


def get_bank_by_code(code: str) -> Bank | None:
    return db.session.scalar(select(Bank).where(Bank.code == code.strip().upper()))


def list_banks() -> list[Bank]:
    return list(db.session.scalars(select(Bank).order_by(Bank.code)))
