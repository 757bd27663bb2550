"""Helpers for the ingestion tests: files in tmp_path, collection authorizations, counts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.clock import utcnow
from app.consent.models import Authorization, AuthorizationScope
from app.enterprises.models import Enterprise
from app.extensions import db
from app.ingest.models import (
    ImportBatch,
    ImportRejection,
    PublicCreditRecord,
    RecordHistory,
    SocialInsuranceRecord,
    TaxPayment,
    TaxRating,
    UtilityBill,
)
from app.ingest.services import ingest_file

NON_PUBLIC = ("tax_ratings", "tax_payments", "utility_bills", "social_insurance")
TABLES = (
    Enterprise,
    PublicCreditRecord,
    TaxRating,
    TaxPayment,
    UtilityBill,
    SocialInsuranceRecord,
    RecordHistory,
    ImportRejection,
)


def csv_text(header: list[str], rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def grant(enterprise: Enterprise, categories=NON_PUBLIC, *, state="active", days=None) -> None:
    """A collection authorization for the platform, created directly."""
    now = utcnow()
    authorization = Authorization(
        kind="collection",
        enterprise_id=enterprise.id,
        purpose_note="test",
        valid_from=now - timedelta(days=10),
        valid_until=None if days is None else now + timedelta(days=days),
        method="paper",
        evidence_ref="TEST-1",
        state=state,
    )
    authorization.scopes = [AuthorizationScope(category=c) for c in categories]
    db.session.add(authorization)
    db.session.flush()


def table_counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in TABLES
    }


def batches(status: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(ImportBatch).where(ImportBatch.status == status)
    )


@pytest.fixture
def write_file(tmp_path):
    """`write_file(text_or_bytes, name, encoding)` → a path in tmp_path."""

    def _write(content, name: str = "data.csv", encoding: str = "utf-8"):
        path = tmp_path / name
        data = content if isinstance(content, bytes) else content.encode(encoding)
        path.write_bytes(data)
        return path

    return _write


@pytest.fixture
def load(write_file):
    """`load(source, header, rows)` → the summary of a CSV import of those rows."""

    def _load(source: str, header: list[str], rows: list[list[object]], **kwargs):
        return ingest_file(source, write_file(csv_text(header, rows)), **kwargs)

    return _load


@pytest.fixture
def consenting(factories):
    """An enterprise that authorized the platform to collect every non-public category."""
    enterprise = factories.enterprise()
    grant(enterprise)
    return enterprise
