"""The demo data set loaded by `flask demo load`: banks, one account per role, and a few
hundred enterprises with two years of records, loaded through the import path.

Idempotent: running it twice changes nothing (a re-import is all `unchanged`). Passwords
are public, for demos only.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from app.auth import services as auth_services
from app.auth import twofactor
from app.auth.models import Role
from app.banks import services as bank_services
from app.consent import services as consent_services
from app.demo.files import SOURCES
from app.demo.generate import DemoData, FixedCompany
from app.demo.uscc import make_uscc
from app.enterprises.models import Enterprise, Region
from app.extensions import db
from app.ingest.services import ingest_file

DEMO_PASSWORD = "Demo2026xyd"
# The second factor of the demo's bank, office and operator accounts (one development secret,
# documented in README.md, to add to an authenticator app). Demo only.
DEMO_TOTP_SECRET = "XYDDEMOTOTPSECRETFORDEVELOPMENT2"
DEMO_BANKS = [("CABANK", "长安银行"), ("XABANK", "西安银行"), ("SXRCU", "陕西农信")]
DEMO_USERS = [
    (Role.ADMIN, "admin@demo.xyd", None, "平台运营"),
    (Role.REGULATOR, "office@demo.xyd", None, "省地方金融管理局"),
    (Role.BANK_ADMIN, "bankadmin@demo.xyd", "CABANK", "长安银行管理员"),
    (Role.BANK_OFFICER, "officer@demo.xyd", "CABANK", "长安银行信贷员"),
    (Role.BANK_OFFICER, "officer2@demo.xyd", "XABANK", "西安银行信贷员"),
    (Role.ENTERPRISE, "sme@demo.xyd", "ENTERPRISE0", "张经理"),
]
# The named demo enterprises (the first is the sme@demo.xyd login): name, industry
# division, region, scale, legal representative, established, capital (万元), employees,
# payment persona.
DEMO_ENTERPRISES = [
    (
        "西安秦川精密机械有限公司",
        "34",
        "610113",
        "small",
        "王建国",
        date(2012, 3, 10),
        100,
        48,
        "late",
    ),
    (
        "宝鸡渭滨食品加工有限公司",
        "13",
        "610302",
        "micro",
        "李秀英",
        date(2013, 4, 11),
        200,
        15,
        "punctual",
    ),
    (
        "咸阳丝路物流有限公司",
        "58",
        "610402",
        "small",
        "张伟",
        date(2014, 5, 12),
        300,
        30,
        "arrears",
    ),
    (
        "榆林塞上能源技术有限公司",
        "44",
        "610802",
        "medium",
        "刘洋",
        date(2015, 6, 13),
        400,
        320,
        "penalised",
    ),
    (
        "汉中汉江茶业有限公司",
        "01",
        "610702",
        "micro",
        "陈静",
        date(2016, 7, 14),
        500,
        9,
        "redlisted",
    ),
    (
        "延安宝塔文化旅游有限公司",
        "88",
        "610602",
        "micro",
        "杨帆",
        date(2017, 8, 15),
        600,
        7,
        "blacklisted",
    ),
]
DEMO_ENTERPRISE_COUNT = 300
DEMO_MONTHS = 24
DEMO_SEED = 2260
DEMO_EVIDENCE = "DEMO"


def demo_companies() -> list[FixedCompany]:
    """The named demo enterprises with their (fixed, valid) USCCs."""
    rng = random.Random(DEMO_SEED)
    return [
        FixedCompany(
            uscc=make_uscc(region, rng, kind="91"),
            name=name,
            industry_code=industry,
            region_code=region,
            scale=scale,
            legal_rep=rep,
            established_on=established,
            capital=capital,
            employees=employees,
            persona=persona,
        )
        for name, industry, region, scale, rep, established, capital, employees, persona in (
            DEMO_ENTERPRISES
        )
    ]


def _demo_enterprises() -> list[Enterprise]:
    """The named enterprises, created directly when the registry import has not run."""
    known = set(db.session.scalars(select(Region.code)))
    rows = []
    for company in demo_companies():
        enterprise = db.session.scalar(select(Enterprise).where(Enterprise.uscc == company.uscc))
        if enterprise is None:
            enterprise = Enterprise(
                uscc=company.uscc,
                name=company.name,
                legal_rep=company.legal_rep,
                established_on=company.established_on,
                registered_capital=Decimal(company.capital),
                region_code=company.region_code if company.region_code in known else "610100",
                industry_code=company.industry_code,
                scale=company.scale,
                employees=company.employees,
                verified=True,
            )
            db.session.add(enterprise)
        rows.append(enterprise)
    db.session.flush()
    return rows


def load_demo() -> list[tuple[str, str, str]]:
    """Load the banks, the named enterprises and the accounts; returns (role, email, password)
    for every demo login."""
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
                verified=True,
            )
        user = auth_services.get_user_by_email(email)
        if user is not None and twofactor.is_required(user) and not twofactor.is_enrolled(user):
            twofactor.set_secret(user, DEMO_TOTP_SECRET)
        logins.append((role.value, email, DEMO_PASSWORD))
    db.session.flush()
    return logins


def load_demo_look() -> int:
    """The demo enterprise (sme@demo.xyd) has authorized 长安银行 to view its data for a
    pre-loan review (30 days, the last 24 months), and the bank's officer has opened its
    profile once, through the bank's own page path: the enterprise's authorizations and
    "who looked at my data" pages, and the officer's enterprise search, have something to
    show. 1 when made, 0 when such an authorization is in force already."""
    from app.bankview.profile import bank_profile
    from app.consent import services as consent
    from app.consent.guard import covering_authorizations

    owner = auth_services.get_user_by_email("sme@demo.xyd")
    officer = auth_services.get_user_by_email("officer@demo.xyd")
    if owner is None or officer is None or owner.enterprise is None or officer.bank_id is None:
        return 0
    enterprise = owner.enterprise
    if covering_authorizations(enterprise.id, officer.bank_id):
        return 0
    text = consent.current_text("query")
    consent.grant_query(
        enterprise.id, officer.bank_id, list(consent.ALL_CATEGORIES), purpose="pre_loan",
        user_id=owner.id, ip=None, text_id=text.id if text else None, days=30, data_months=24,
    )  # fmt: skip
    path = f"/bank/enterprises/{enterprise.uscc}"
    bank_profile(officer, enterprise.uscc, endpoint=path, channel="web", ip=None)
    return 1


def authorize_collection(
    usccs_by_categories: dict[tuple[str, ...], list[str]],
    *,
    evidence_ref: str = DEMO_EVIDENCE,
    chunk: int = 1000,
) -> int:
    """Record paper collection authorizations (书面授权, `consent.services.record_paper`)
    for enterprises in the registry, only for the categories each has not authorized yet
    (in force): a second call adds nothing. What is held is read set-based, then one
    `record_paper` call per set of missing categories. Returns the number recorded."""
    usccs = sorted({u for group in usccs_by_categories.values() for u in group})
    ids: dict[str, int] = {}
    for start in range(0, len(usccs), chunk):
        part = usccs[start : start + chunk]
        query = select(Enterprise.uscc, Enterprise.id).where(Enterprise.uscc.in_(part))
        ids.update({uscc: enterprise_id for uscc, enterprise_id in db.session.execute(query)})
    wanted = {c for categories in usccs_by_categories for c in categories}
    held = {
        (enterprise_id, category)
        for category in wanted
        for enterprise_id in db.session.scalars(
            consent_services.collecting_enterprise_ids(category)
        )
    }
    missing: dict[tuple[str, ...], list[str]] = {}
    for categories, group in usccs_by_categories.items():
        for code in group:
            if code in ids:
                lacking = tuple(c for c in categories if (ids[code], c) not in held)
                if lacking:
                    missing.setdefault(lacking, []).append(code)
    return sum(
        len(
            consent_services.record_paper(
                group, grantee="platform", categories=categories, evidence_ref=evidence_ref
            )
        )
        for categories, group in missing.items()
    )


@dataclass
class DemoLoad:
    logins: list[tuple[str, str, str]]
    summaries: list[dict] = field(default_factory=list)
    authorizations: int = 0
    applications: int = 0
    looks: int = 0  # the demo enterprise's authorization to 长安银行 and its officer's look
    fund: str = ""

    def summary_lines(self) -> list[str]:
        lines = [
            f"collection authorizations recorded: {self.authorizations}",
            f"demo loan applications added: {self.applications}",
            *(
                ["sme@demo.xyd authorized 长安银行, whose officer looked once"]
                if self.looks
                else []
            ),
            *([self.fund] if self.fund else []),
        ]
        for s in self.summaries:
            lines.append(
                f"{s['source']:<17} rows {s['rows']:>6}  inserted {s['inserted']:>6}  "
                f"updated {s['updated']:>4}  unchanged {s['unchanged']:>6}  "
                f"rejected {s['rejected']:>3}  skipped_no_consent {s['skipped_no_consent']:>5}"
            )
        return lines


def ingest_sources(files: dict[str, Path], sources: Iterable[str]) -> list[dict]:
    """Import the files through the same path as `flask ingest file`; their summaries."""
    return [
        ingest_file(source, files[source], filename=files[source].name).to_dict()
        for source in sources
    ]


def load_demo_data(
    *, enterprises: int = DEMO_ENTERPRISE_COUNT, months: int = DEMO_MONTHS, seed: int = DEMO_SEED
) -> DemoLoad:
    """Banks and accounts, then `enterprises` enterprises (the named ones first) with
    `months` months of records, generated into a temporary directory and imported source by
    source (the registry first), with collection authorizations for most of them."""
    data = DemoData(enterprises, months, seed=seed, fixed=demo_companies())
    with tempfile.TemporaryDirectory(prefix="xyd-demo-") as tmp:
        generated = data.write(Path(tmp))
        summaries = ingest_sources(generated.files, ["enterprises"])
        result = DemoLoad(logins=load_demo())
        result.authorizations = authorize_collection(generated.consents)
        summaries += ingest_sources(generated.files, SOURCES[1:])
    result.summaries = summaries
    # Products and a year of applications, then the statistics rollup of the past months.
    from app.demo.fund import DEMO_FUND, load_demo_fund
    from app.demo.loans import load_demo_loans
    from app.stats.rollup import roll_up

    result.applications = load_demo_loans()
    result.looks = load_demo_look()
    fund = load_demo_fund()
    if fund.registered:
        result.fund = (
            f"demo fund {DEMO_FUND}: {fund.registered} loans registered, {fund.reports} status "
            f"reports, {fund.claims} claims, {fund.paid} paid"
        )
    roll_up()
    return result
