"""What a bank user is shown of one enterprise: only what the guard allows.

`bank_profile()` is the single place that assembles a bank-facing profile; the web page, the
API and exports all call it, and it calls `consent.guard.check_bank_access()` first. Sections
the decision does not cover are returned as `{"authorized": False}` and never read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _

from app.auth.models import User
from app.consent.guard import ALL_CATEGORIES, AccessDecision, check_bank_access
from app.enterprises import services
from app.enterprises.models import Enterprise
from app.errors import NotFound

# category → reader(enterprise) → JSON-ready data. Record sources register their readers here.
SECTION_READERS: dict[str, Callable[[Enterprise], dict]] = {}


def section_reader(category: str):
    def register(fn: Callable[[Enterprise], dict]):
        SECTION_READERS[category] = fn
        return fn

    return register


@section_reader("enterprises")
def _registry(enterprise: Enterprise) -> dict:
    regions, industries = services.region_names(), services.industry_names()
    return {
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "legal_rep": enterprise.legal_rep,
        "established_on": enterprise.established_on.isoformat()
        if enterprise.established_on
        else None,
        "registered_capital": (
            str(enterprise.registered_capital)
            if enterprise.registered_capital is not None
            else None
        ),
        "region_code": enterprise.region_code,
        "region": regions.get(enterprise.region_code or ""),
        "industry_code": enterprise.industry_code,
        "industry": industries.get(enterprise.industry_code or ""),
        "scale": enterprise.scale,
        "employees": enterprise.employees,
        "address": enterprise.address,
        "verified": enterprise.verified,
    }


def anonymous_summary(enterprise: Enterprise) -> dict:
    """What any bank may see without an authorization: no name, no code."""
    regions, industries = services.region_names(), services.industry_names()
    city_code = (enterprise.region_code or "")[:4] + "00" if enterprise.region_code else None
    return {
        "industry": industries.get(enterprise.industry_code or ""),
        "industry_code": (enterprise.industry_code or "")[:1] or None,
        "city": regions.get(city_code or ""),
        "region": regions.get(enterprise.region_code or ""),
        "scale": enterprise.scale,
    }


@dataclass
class BankProfile:
    decision: AccessDecision
    enterprise: Enterprise
    data: dict


def bank_profile(
    user: User, uscc: str, *, endpoint: str, channel: str, ip: str | None
) -> BankProfile:
    """The profile of `uscc` as `user`'s bank may see it now (every call logged)."""
    enterprise = services.get_by_uscc(uscc)
    if enterprise is None:
        raise NotFound(_("企业不存在"))
    decision = check_bank_access(
        user, enterprise, ALL_CATEGORIES, endpoint=endpoint, channel=channel, ip=ip
    )
    if not decision.allowed:
        return BankProfile(
            decision, enterprise, {"authorized": False, "summary": anonymous_summary(enterprise)}
        )
    sections = _sections(enterprise, decision.categories)
    data = {
        "authorized": True,
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "authorization": {"id": decision.authorization_id, "purpose": decision.purpose},
        "categories": sorted(decision.categories),
        "sections": sections,
        "summary": anonymous_summary(enterprise),
    }
    return BankProfile(decision, enterprise, data)


def own_preview(enterprise: Enterprise, categories) -> dict:
    """Exactly the sections a bank would be shown under an authorization for `categories`.

    For the enterprise itself (its own data), before it confirms a query authorization.
    """
    sections = _sections(enterprise, set(categories or ()))
    return {
        "authorized": True,
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "sections": sections,
    }


def _sections(enterprise: Enterprise, covered) -> dict:
    """Every category: its data when covered, else `{"authorized": False}` (never read)."""
    sections = {}
    for category in ALL_CATEGORIES:
        reader = SECTION_READERS.get(category)
        if category not in covered:
            sections[category] = {"authorized": False}
        elif reader is None:
            sections[category] = {"authorized": True, "available": False}
        else:
            sections[category] = {"authorized": True, **reader(enterprise)}
    return sections
