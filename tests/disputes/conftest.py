"""A world for the dispute tests: two enterprises with records loaded through the import
path (the owner's and someone else's), and the platform operator."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app.auth.models import Role, User
from app.consent import services as consent_services
from app.enterprises.models import Enterprise
from app.extensions import db
from app.ingest.models import (
    PublicCreditRecord,
    SocialInsuranceRecord,
    TaxPayment,
    TaxRating,
    UtilityBill,
)
from app.ingest.services import ingest_records

NON_PUBLIC = ["tax_ratings", "tax_payments", "utility_bills", "social_insurance"]
# The records below sit at fixed dates (2019 … 2026-05): the tests run at one instant after them.
RECORDS_SEEN_AT = "2026-11-18T10:00:00+08:00"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/disputes/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.frozen_at(RECORDS_SEEN_AT))


def load_records(uscc: str, *, penalty_ref: str = "陕市监罚〔2026〕12号") -> None:
    """One enterprise's records of every source (recent periods, inside the 36 months)."""
    ingest_records(
        "public_credit",
        [{"uscc": uscc, "category": "行政处罚", "ref_no": penalty_ref, "authority": "西安市市场监管局",
          "decided_on": "2026-03-05", "content": "未按规定公示年报", "penalty_amount": "5000",
          "severity": "一般"},
         {"uscc": uscc, "category": "行政许可", "ref_no": "许可-001", "authority": "西安市生态环境局",
          "decided_on": "2025-06-01", "valid_until": "2028-06-01", "content": "排污许可"}],
        origin="push",
    )  # fmt: skip
    ingest_records(
        "tax_payments",
        [{"uscc": uscc, "period": "2026-03", "tax_type": "增值税", "amount": "1200.50",
          "due_on": "2026-04-15", "paid_on": "2026-04-10"},
         {"uscc": uscc, "period": "2026-04", "tax_type": "增值税", "amount": "800",
          "due_on": "2026-05-15", "paid_on": ""}],
        origin="push",
    )  # fmt: skip
    ingest_records(
        "utility_bills",
        [{"uscc": uscc, "utility": "电", "period": "2026-04", "amount_due": "4321",
          "amount_paid": "1234", "due_on": "2026-05-10", "paid_on": "2026-05-09"}],
        origin="push",
    )  # fmt: skip
    ingest_records(
        "social_insurance",
        [{"uscc": uscc, "period": "2026-04", "headcount": "23", "amount_due": "9000",
          "amount_paid": "9000", "paid_on": "2026-04-20"}],
        origin="push",
    )  # fmt: skip
    ingest_records("tax_ratings", [{"uscc": uscc, "year": "2025", "grade": "B"}], origin="push")


@dataclass
class World:
    enterprise: Enterprise
    owner: User
    other: Enterprise
    other_owner: User
    admin: User

    def record(self, model, enterprise: Enterprise | None = None, **where):
        query = select(model).where(model.uscc == (enterprise or self.enterprise).uscc)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db.session.scalars(query).one()

    @property
    def unpaid_tax(self) -> TaxPayment:
        return self.record(TaxPayment, period="2026-04")

    @property
    def penalty(self) -> PublicCreditRecord:
        return self.record(PublicCreditRecord, category="penalty")

    @property
    def bill(self) -> UtilityBill:
        return self.record(UtilityBill)

    @property
    def insurance(self) -> SocialInsuranceRecord:
        return self.record(SocialInsuranceRecord)

    @property
    def rating(self) -> TaxRating:
        return self.record(TaxRating)


@pytest.fixture
def world(factories) -> World:
    enterprise = factories.enterprise(name="秦岭异议测试有限公司")
    other = factories.enterprise(name="渭河另一家有限公司")
    consent_services.record_paper(
        [enterprise.uscc, other.uscc], categories=NON_PUBLIC, evidence_ref="T-DISPUTE"
    )
    load_records(enterprise.uscc)
    load_records(other.uscc, penalty_ref="陕市监罚〔2026〕99号")
    world = World(
        enterprise=enterprise,
        owner=factories.user(Role.ENTERPRISE, enterprise=enterprise),
        other=other,
        other_owner=factories.user(Role.ENTERPRISE, enterprise=other),
        admin=factories.user(Role.ADMIN),
    )
    db.session.commit()
    return world
