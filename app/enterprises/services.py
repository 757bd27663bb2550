"""Rules for the enterprise registry: USCC checks, lookups, unverified registrations."""

from __future__ import annotations

import unicodedata
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

from app.enterprises.models import Enterprise, Industry, Region
from app.errors import ValidationFailed
from app.extensions import db


def normalize_uscc(raw: str) -> str:
    """NFKC, strip spaces and dashes, upper-case (full-width input is common)."""
    return stdnum_uscc.compact(unicodedata.normalize("NFKC", raw or "")).upper()


def uscc_error(raw: str) -> str | None:
    """Why `raw` is not a valid unified social credit code, or None when it is.

    The check character (GB 32100-2015) is verified by python-stdnum.
    """
    code = normalize_uscc(raw)
    try:
        stdnum_uscc.validate(code)
    except InvalidLength:
        return _("统一社会信用代码应为 18 位")
    except InvalidChecksum:
        return _("统一社会信用代码校验位不正确，请核对后重新输入")
    except ValidationError:
        return _("统一社会信用代码格式不正确")
    return None


def validate_uscc(raw: str) -> str:
    """The normalised code, or `ValidationFailed` naming the problem."""
    error = uscc_error(raw)
    if error:
        raise ValidationFailed("uscc", error, code="invalid_uscc")
    return normalize_uscc(raw)


_BY_USCC = select(Enterprise).where(Enterprise.uscc == bindparam("uscc"))  # every bank read


def get_by_uscc(code: str) -> Enterprise | None:
    return db.session.scalar(_BY_USCC, {"uscc": normalize_uscc(code)})


def get_or_create_for_registration(code: str, name: str) -> Enterprise:
    """The registry row for a registering business; a placeholder (`verified` False: not in
    the registry yet) when the registry lacks it. What the registrant typed never changes a
    registry row: its contact phone is where verification codes go."""
    enterprise = get_by_uscc(code)
    if enterprise is None:
        enterprise = Enterprise(uscc=code, name=name.strip(), verified=False)
        db.session.add(enterprise)
        db.session.flush()
    return enterprise


@cache
def region_names() -> dict[str, str]:
    """GB/T 2260 code → name. Reference data, loaded by the first migration and never
    changed at run time, so it is read once per process."""
    return {code: name for code, name in db.session.execute(select(Region.code, Region.name))}


@cache
def industry_names() -> dict[str, str]:
    """GB/T 4754-2017 code → name (read once per process, like `region_names`)."""
    return {code: name for code, name in db.session.execute(select(Industry.code, Industry.name))}
