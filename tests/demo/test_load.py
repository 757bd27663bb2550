"""Generated files go through the real import path: zero rejections, consent honoured,
and `flask demo load` is idempotent."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from app.audit.models import AccessLogEntry
from app.auth.services import get_user_by_email
from app.demo import services
from app.demo.files import SOURCES
from app.demo.generate import DemoData
from app.extensions import db
from app.ingest.models import TaxPayment, UtilityBill


def _ingest(app, source, path) -> dict:
    result = app.test_cli_runner().invoke(args=["ingest", "file", source, str(path), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("fmt", "encoding", "headers"),
    [("csv", "utf-8", "mixed"), ("csv", "gb18030", "zh"), ("csv", "utf-8-sig", "en"),
     ("xlsx", "utf-8", "zh")],
)  # fmt: skip
def test_generated_files_import_with_zero_rejections(app, tmp_path, fmt, encoding, headers):
    size = 12 if fmt == "xlsx" else 40
    result = app.test_cli_runner().invoke(
        args=["demo", "generate", "--enterprises", str(size), "--months", "6", "--out",
              str(tmp_path), "--format", fmt, "--encoding", encoding, "--headers", headers,
              "--seed", "9"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    generated = DemoData(size, 6, seed=9)
    consents: dict[tuple[str, ...], list[str]] = {}
    for company in generated.companies():
        if company.consent:
            consents.setdefault(company.consent, []).append(company.uscc)

    summaries = {"enterprises": _ingest(app, "enterprises", tmp_path / f"enterprises.{fmt}")}
    services.authorize_collection(consents)
    for source in SOURCES[1:]:
        summaries[source] = _ingest(app, source, tmp_path / f"{source}.{fmt}")
    for source, summary in summaries.items():
        assert summary["rejected"] == 0, (source, summary["rejections"][:3])
        assert summary["inserted"] > 0, source
    assert summaries["enterprises"]["inserted"] == size
    stored = db.session.scalar(select(func.count()).select_from(TaxPayment))
    skipped = summaries["tax_payments"]["skipped_no_consent"]
    assert stored == summaries["tax_payments"]["rows"] - skipped


def test_demo_load_goes_through_the_import_path_and_is_idempotent(app):
    first = services.load_demo_data(enterprises=40, months=6)
    by_source = {s["source"]: s for s in first.summaries}
    assert list(by_source) == list(SOURCES)  # the registry first
    assert all(s["rejected"] == 0 for s in first.summaries)
    assert by_source["enterprises"]["inserted"] == 40
    assert sum(s["skipped_no_consent"] for s in first.summaries) > 0  # some did not consent
    assert first.authorizations > 0

    sme = get_user_by_email("sme@demo.xyd").enterprise
    assert sme.uscc == services.demo_companies()[0].uscc
    mine = select(func.count()).select_from(TaxPayment).where(TaxPayment.uscc == sme.uscc)
    assert db.session.scalar(mine) > 0
    bills = select(func.count()).select_from(UtilityBill).where(UtilityBill.uscc == sme.uscc)
    assert db.session.scalar(bills) > 0

    # The demo enterprise authorized 长安银行, and its officer's look is in its access log.
    assert first.looks == 1
    looks = db.session.scalars(
        select(AccessLogEntry).where(AccessLogEntry.enterprise_id == sme.id)
    ).all()
    assert [(e.outcome, e.bank_id, e.endpoint) for e in looks] == [
        ("allowed", get_user_by_email("officer@demo.xyd").bank_id, f"/bank/enterprises/{sme.uscc}")
    ]

    again = services.load_demo_data(enterprises=40, months=6)
    assert again.authorizations == 0 and again.looks == 0
    for s in again.summaries:
        assert s["inserted"] == s["updated"] == s["rejected"] == 0, s
        assert s["unchanged"] + s["skipped_no_consent"] == s["rows"], s


def test_flask_demo_load_prints_logins_and_a_line_per_source(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load", "--enterprises", "20", "--months", "3"])
    assert result.exit_code == 0, result.output
    assert "sme@demo.xyd" in result.output and "officer@demo.xyd" in result.output
    for source in SOURCES:
        assert sum(line.startswith(source + " ") for line in result.output.splitlines()) == 1
