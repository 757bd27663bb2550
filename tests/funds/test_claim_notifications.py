"""A claim's decision reaches the claiming bank's staff, on the site and by e-mail (a real
SMTP server on 127.0.0.1), and nobody else; the text names the claim and loan, not the
borrower."""

from __future__ import annotations

import pytest

from app.auth.models import Role
from app.clock import local_today
from app.errors import ServiceError
from app.extensions import db
from app.funds import services
from app.loans import services as loans_services
from app.notifications import mail
from app.notifications.services import list_for


def _claim(loans, amount="200000"):
    fund = loans.fund()
    loan = loans.disbursed(amount=amount)
    services.register(fund.code, loan.application_id, loans.officer)
    loans_services.report_status(loan.id, loans.officer, as_of=local_today(),
                                 status="non_performing", days_past_due=120,
                                 outstanding=amount)  # fmt: skip
    return services.file_claim(fund.code, loan.id, loans.officer, loss_amount=amount,
                               evidence="起诉书")  # fmt: skip


def test_an_approval_is_told_to_the_bank_on_the_site_and_by_mail(loans, factories, smtp):
    loans.officer.email = "officer@claims.test"
    other = factories.user(Role.BANK_OFFICER, email="other@claims.test")  # another bank
    claim = _claim(loans)
    services.decide(claim.id, loans.office, outcome="approved", note="同意")
    [note] = [n for n in list_for(loans.officer) if n.kind == "claim_approved"]
    text = note.render("zh")
    assert f"代偿申请 #{claim.id}" in text and f"贷款 #{claim.loan_id}" in text
    assert "¥100,000.00" in text  # half of 200,000
    assert claim.loan.enterprise.name not in text
    assert note.link == f"/bank/loans/{claim.loan_id}"
    assert not [n for n in list_for(other) if n.kind.startswith("claim_")]
    assert not [n for n in list_for(loans.office) if n.kind.startswith("claim_")]
    mail.deliver_pending()
    assert ["officer@claims.test"] in smtp.recipients
    assert ["other@claims.test"] not in smtp.recipients
    bodies = [
        m.get_content()
        for to, m in zip(smtp.recipients, smtp.messages, strict=True)
        if to == ["officer@claims.test"]
    ]  # fmt: skip (the loan's earlier events too)
    assert sum(f"代偿申请 #{claim.id}（" in body for body in bodies) == 1


def test_a_rejection_gives_the_reason_and_a_refusal_tells_nothing(loans):
    claim = _claim(loans)
    services.decide(claim.id, loans.office, outcome="rejected", note="催收记录不全")
    [note] = [n for n in list_for(loans.officer) if n.kind == "claim_rejected"]
    assert "已驳回：催收记录不全" in note.render("zh")
    before = len(list_for(loans.officer))
    with pytest.raises(ServiceError) as again, db.session.begin_nested():
        services.decide(claim.id, loans.office, outcome="approved", note="")
    assert again.value.code == "already_decided"  # 409, and nothing told
    assert len(list_for(loans.officer)) == before
