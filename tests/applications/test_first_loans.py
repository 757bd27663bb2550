"""首贷 checked: the bank's word beside the platform's knowledge, the counting rule, and the
disagreements listed for the financial office (and for a bank, its own)."""

from __future__ import annotations

import pytest

from app.applications import services
from app.applications.models import Application
from app.auth.models import Role
from app.clock import local_today
from app.extensions import db
from app.facts.services import counted_first_loan, first_loan_disagrees
from app.stats import first_loans
from tests.products.helpers import make_product


@pytest.mark.parametrize(
    ("declared", "platform", "counted", "disagrees"),
    [
        (None, True, True, False),  # the bank did not say: the platform's knowledge
        (None, False, False, False),
        (True, True, True, False),
        (False, False, False, False),
        (True, False, False, True),  # "first" against an earlier loan on the platform
        (False, True, False, True),  # "not first": the bank sees the credit bureau
    ],
)
def test_counting_rule(declared, platform, counted, disagrees):
    assert counted_first_loan(declared, platform) is counted
    assert first_loan_disagrees(declared, platform) is disagrees


def _disbursed(factories, product, enterprise_user, *, first_loan):
    officer = factories.user(Role.BANK_OFFICER, bank=product.bank)
    app = services.create_application(
        enterprise_user.enterprise_id, product_id=product.id, amount="200000",
        term_months=12, purpose="备货", user_id=enterprise_user.id,
    )  # fmt: skip
    services.accept(app.id, officer)
    services.approve(app.id, officer, amount="100000", rate="4", term_months=12)
    services.disburse(app.id, officer, amount="100000", disbursed_on=local_today().isoformat(),
                      first_loan=first_loan)  # fmt: skip
    db.session.flush()
    return db.session.get(Application, app.id)


def test_a_second_loan_declared_first_is_not_counted_and_is_listed(factories, login_as):
    bank = factories.bank(name="秦岭银行")
    other_bank = factories.bank(name="渭河银行")
    owner = factories.user(Role.ENTERPRISE)
    first = _disbursed(factories, make_product(bank), owner, first_loan=None)
    assert (first.first_loan, first.first_loan_declared, first.first_loan_platform) == (
        True, None, True,
    )  # fmt: skip
    second = _disbursed(factories, make_product(other_bank), owner, first_loan=True)
    assert (second.first_loan, second.first_loan_declared, second.first_loan_platform) == (
        False, True, False,
    )  # fmt: skip
    assert [d.application_id for d in first_loans.disagreements(page=1).rows] == [second.id]
    assert first_loans.count(other_bank.id) == 1 and first_loans.count(bank.id) == 0
    db.session.commit()

    office, _ = login_as(Role.REGULATOR)
    page = office.get("/stats/first-loans").get_data(as_text=True)
    assert "渭河银行" in page and "平台已有此前贷款" in page and str(second.id) in page
    owner_name = db.session.get(Application, second.id).enterprise.name
    assert owner_name not in page  # a question to the bank, not a list of enterprises
    assert "1 笔申报与平台记录不一致" in office.get("/stats").get_data(as_text=True)

    own, _ = login_as(Role.BANK_OFFICER, bank=bank)
    assert "没有银行申报与平台记录不一致的放款" in own.get("/stats/first-loans").get_data(
        as_text=True
    )
    enterprise_client, _ = login_as(Role.ENTERPRISE)
    assert enterprise_client.get("/stats/first-loans").status_code == 403


def test_api_shows_the_declared_and_the_platform_value(factories, api):
    bank = factories.bank()
    owner = factories.user(Role.ENTERPRISE)
    loan = _disbursed(factories, make_product(bank), owner, first_loan=False)
    assert (loan.first_loan, loan.first_loan_declared, loan.first_loan_platform) == (
        False, False, True,
    )  # fmt: skip
    admin = factories.user(Role.BANK_ADMIN, bank=bank)
    body = api.get(f"/api/v1/applications/{loan.id}", token=factories.token(admin)).json
    assert (body["first_loan"], body["first_loan_declared"], body["first_loan_platform"]) == (
        False, False, True,
    )  # fmt: skip
