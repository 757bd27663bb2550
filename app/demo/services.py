"""The demo data set loaded by `flask demo load`: banks, one account per role, enterprises.

Idempotent: running it twice changes nothing. Passwords are public, for demos only.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.auth import services as auth_services
from app.auth.models import Role
from app.banks import services as bank_services
from app.demo.uscc import make_uscc
from app.enterprises.models import Enterprise, Region
from app.extensions import db

DEMO_PASSWORD = "Demo2026xyd"
DEMO_BANKS = [("CABANK", "长安银行"), ("XABANK", "西安银行"), ("SXRCU", "陕西农信")]
DEMO_USERS = [
    (Role.ADMIN, "admin@demo.xyd", None, "平台运营"),
    (Role.REGULATOR, "office@demo.xyd", None, "省地方金融管理局"),
    (Role.BANK_ADMIN, "bankadmin@demo.xyd", "CABANK", "长安银行管理员"),
    (Role.BANK_OFFICER, "officer@demo.xyd", "CABANK", "长安银行信贷员"),
    (Role.BANK_OFFICER, "officer2@demo.xyd", "XABANK", "西安银行信贷员"),
    (Role.ENTERPRISE, "sme@demo.xyd", "ENTERPRISE0", "张经理"),
]
DEMO_ENTERPRISES = [
    ("西安秦川精密机械有限公司", "C", "610113", "small"),
    ("宝鸡渭滨食品加工有限公司", "C", "610302", "micro"),
    ("咸阳丝路物流有限公司", "G", "610402", "small"),
    ("榆林塞上能源技术有限公司", "D", "610802", "medium"),
    ("汉中汉江茶业有限公司", "A", "610702", "micro"),
    ("延安宝塔文化旅游有限公司", "R", "610602", "micro"),
]


def _demo_enterprises() -> list[Enterprise]:
    rng = random.Random(2260)
    known = set(db.session.scalars(select(Region.code)))
    rows = []
    for i, (name, industry, region, scale) in enumerate(DEMO_ENTERPRISES):
        region = region if region in known else "610100"
        code = make_uscc(region, rng, kind="91")
        enterprise = db.session.scalar(select(Enterprise).where(Enterprise.uscc == code))
        if enterprise is None:
            enterprise = Enterprise(
                uscc=code,
                name=name,
                legal_rep=["王建国", "李秀英", "张伟", "刘洋", "陈静", "杨帆"][i],
                established_on=date(2012 + i, 3 + i, 10 + i),
                registered_capital=Decimal(100 * (i + 1)),
                region_code=region,
                industry_code=industry,
                scale=scale,
                employees=12 + 9 * i,
                verified=True,
            )
            db.session.add(enterprise)
        rows.append(enterprise)
    db.session.flush()
    return rows


def load_demo() -> list[tuple[str, str, str]]:
    """Load the demo set; returns (role, email, password) for every demo login."""
    for code, name in DEMO_BANKS:
        if bank_services.get_bank_by_code(code) is None:
            bank_services.create_bank(code, name)
    enterprises = _demo_enterprises()
    logins = []
    for role, email, bank_or_uscc, name in DEMO_USERS:
        if auth_services.get_user_by_email(email) is None:
            auth_services.create_user(
                role=role,
                email=email,
                password=DEMO_PASSWORD,
                bank_code=bank_or_uscc if role in (Role.BANK_ADMIN, Role.BANK_OFFICER) else None,
                uscc=enterprises[0].uscc if role == Role.ENTERPRISE else None,
                display_name=name,
            )
        logins.append((role.value, email, DEMO_PASSWORD))
    db.session.flush()
    return logins
