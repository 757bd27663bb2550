"""Non-public records are kept only under an in-force collection authorization."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.ingest.models import PublicCreditRecord, TaxRating
from app.ingest.services import ingest_records
from tests.ingest.conftest import grant


def _ratings(*enterprises):
    return [{"uscc": e.uscc, "year": "2023", "grade": "B"} for e in enterprises]


def test_rows_without_authorization_are_skipped_not_stored(factories):
    with_consent, without = factories.enterprise(), factories.enterprise()
    grant(with_consent, ["tax_ratings"])
    summary = ingest_records("tax_ratings", _ratings(with_consent, without), origin="push")
    assert (summary.rows, summary.inserted, summary.skipped_no_consent) == (2, 1, 1)
    assert summary.rejected == 0
    assert db.session.scalars(select(TaxRating.uscc)).all() == [with_consent.uscc]


def test_expired_revoked_or_other_category_authorizations_do_not_count(factories):
    expired, revoked, other, active_until_later = (factories.enterprise() for _ in range(4))
    grant(expired, ["tax_ratings"], days=-1)  # valid_until yesterday, state still "active"
    grant(revoked, ["tax_ratings"], state="revoked")
    grant(other, ["tax_payments", "utility_bills"])
    grant(active_until_later, ["tax_ratings"], days=30)
    summary = ingest_records(
        "tax_ratings", _ratings(expired, revoked, other, active_until_later), origin="push"
    )
    assert (summary.inserted, summary.skipped_no_consent) == (1, 3)
    assert db.session.scalars(select(TaxRating.uscc)).all() == [active_until_later.uscc]


def test_public_sources_need_no_authorization(factories):
    enterprise = factories.enterprise()
    record = {
        "uscc": enterprise.uscc,
        "类别": "黑名单",
        "文书号": "陕失信〔2023〕7号",
        "认定机关": "陕西省发展和改革委员会",
        "认定日期": "2023年7月1日",
        "事由": "拒不履行",
    }
    summary = ingest_records("public_credit", [record], origin="push")
    assert (summary.inserted, summary.skipped_no_consent) == (1, 0)
    stored = db.session.scalar(select(PublicCreditRecord))
    assert (stored.category, stored.severity) == ("black_list", None)
