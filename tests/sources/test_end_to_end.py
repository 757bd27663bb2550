"""Pulls through the real ingestion path: consent skip, rejections, failed batches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.clock import utcnow
from app.consent.models import Authorization, AuthorizationScope
from app.extensions import db
from app.ingest import models as ingest_models
from app.sources import services
from app.sources.services import SourceError
from tests.sources.conftest import TOKEN, Answer, paged


def grant(enterprise, *categories):
    authorization = Authorization(
        kind="collection",
        enterprise_id=enterprise.id,
        purpose_note="test",
        valid_from=utcnow() - timedelta(days=1),
        method="paper",
        evidence_ref="TEST-PULL",
    )
    authorization.scopes = [AuthorizationScope(category=c) for c in categories]
    db.session.add(authorization)
    db.session.flush()


def payment(uscc, period, amount="1,234.50"):
    return {"uscc": uscc, "period": period, "tax_type": "增值税", "amount": amount,
            "due_on": "2024-04-15", "paid_on": "2024-04-10"}  # fmt: skip


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_pulled_payments_land_under_consent_and_rejections_are_numbered(app, server, factories):
    consenting, other = factories.enterprise(), factories.enterprise()
    grant(consenting, "tax_payments")
    server.script = paged(
        [
            [payment(consenting.uscc, "2024-03"), payment(other.uscc, "2024-03")],
            [payment(consenting.uscc, "2024年4月", "¥2,000"), payment(consenting.uscc, "2099-01")],
        ]
    )
    services.set_source("tax_payments", server.url, TOKEN)
    db.session.commit()

    summary = services.pull_source("tax_payments")

    assert (summary.rows, summary.inserted, summary.skipped_no_consent, summary.rejected) == (
        4, 2, 1, 1,
    )  # fmt: skip
    assert [r["row"] for r in summary.rejections] == [4]
    batch = db.session.get(ingest_models.ImportBatch, summary.batch_id)
    assert batch.origin == "pull" and batch.status == "succeeded"
    assert batch.filename.startswith(server.url + "/tax_payments")
    assert services.get_source("tax_payments").last_batch_id == batch.id

    again = services.pull_source("tax_payments")  # the same answer again changes nothing
    assert (again.inserted, again.unchanged) == (0, 2)


def test_a_failed_pull_leaves_a_failed_batch_and_no_rows(app, server, factories):
    consenting = factories.enterprise()
    grant(consenting, "tax_payments")
    good = paged([[payment(consenting.uscc, "2024-03")], [payment(consenting.uscc, "2024-04")]])
    server.script = lambda req, n: Answer(401) if req.query["page"] == "2" else good(req, n)
    services.set_source("tax_payments", server.url, TOKEN)
    db.session.commit()
    before = count(ingest_models.TaxPayment)

    with pytest.raises(SourceError):
        services.pull_source("tax_payments")

    assert count(ingest_models.TaxPayment) == before
    failed = db.session.scalars(
        select(ingest_models.ImportBatch).where(
            ingest_models.ImportBatch.origin == "pull",
            ingest_models.ImportBatch.status == "failed",
        )
    ).all()
    assert len(failed) == 1 and "HTTP 401" in failed[0].error
    assert TOKEN not in failed[0].error


def test_a_granted_enterprise_is_pulled_by_the_consent_job(app, server, factories):
    from app.consent import tasks
    from app.consent.models import PullRequest

    enterprise = factories.enterprise()
    grant(enterprise, "tax_payments", "social_insurance")
    db.session.add(
        PullRequest(enterprise_id=enterprise.id, categories=["tax_payments", "social_insurance"])
    )
    insured = {"uscc": enterprise.uscc, "period": "2024-03", "headcount": 12,
               "amount_due": "3,600", "amount_paid": "3,600", "paid_on": "2024-03-20"}  # fmt: skip
    server.script = lambda req, n: Answer(
        body={
            "records": [payment(enterprise.uscc, "2024-03")]
            if req.path.endswith("/tax_payments")
            else [insured],
            "next_page": None,
        }
    )
    services.set_source("tax_payments", server.url, TOKEN)
    services.set_source("social_insurance", server.url, TOKEN)
    db.session.commit()

    tasks.process_pull_requests()

    request = db.session.scalar(select(PullRequest))
    assert request.outcome.startswith("ok"), request.outcome
    assert all(r.query["uscc"] == enterprise.uscc for r in server.requests)
    assert count(ingest_models.TaxPayment) == 1
    assert count(ingest_models.SocialInsuranceRecord) == 1
