"""The enterprise's workbench: the next step (verify, answer a bank, authorize collection,
data on its way, complete data) and "how to improve" for every score reason."""

from __future__ import annotations

from datetime import timedelta

from app.applications import services as applications
from app.auth.models import Role
from app.clock import local_today
from app.consent import services as consent
from app.extensions import db
from app.main import workbench
from app.profiles import services as profiles
from app.scoring.advice import ADVICE, missing_advice
from app.scoring.scorecard import REASONS
from tests.conftest import WebClient
from tests.consent.test_guard import grant_query
from tests.products.helpers import make_product


def test_every_reason_has_advice_in_both_languages():
    assert missing_advice() == set()
    for code, (zh, en) in ADVICE.items():
        assert code in REASONS and zh and en and zh != en


def _keys(user):
    return [s.key for s in workbench.next_steps(user)]


def test_an_unverified_account_is_told_to_verify_first(app, factories):
    user = factories.user(Role.ENTERPRISE, verified=False)
    with app.test_request_context():
        assert _keys(user) == ["verify"]


def test_steps_follow_what_the_enterprise_has_done(app, factories):
    user = factories.user(Role.ENTERPRISE)
    with app.test_request_context():
        assert _keys(user) == ["collect"]  # nothing collected yet
        text = consent.current_text("collection", "zh")
        consent.grant_collection(user.enterprise_id, list(consent.NON_PUBLIC_CATEGORIES),
                                 user_id=user.id, ip=None, text_id=text.id)  # fmt: skip
        steps = workbench.next_steps(user)
        assert [s.key for s in steps] == ["arriving"]  # queued pull: when it will arrive
        assert "每" in steps[0].text
        for pull in db.session.scalars(db.select(consent.PullRequest)):
            pull.done_at = pull.requested_at
        assert _keys(user) == ["complete"]  # authorized, but the sources sent nothing
        assert "纳税记录" in workbench.next_steps(user)[0].text


def test_a_bank_that_took_up_an_open_demand_is_answered(app, factories):
    user = factories.user(Role.ENTERPRISE)
    bank = factories.bank(name="答复测试银行")
    officer = factories.user(Role.BANK_OFFICER, bank=bank)
    make_product(bank)
    demand = applications.create_application(
        user.enterprise_id, product_id=None, amount="200000", term_months=12,
        purpose="备货", user_id=user.id,
    )  # fmt: skip
    demand.bank_id = bank.id
    applications.accept(demand.id, officer)
    with app.test_request_context():
        steps = workbench.next_steps(user)
        assert steps[0].key == "answer" and "答复测试银行" in steps[0].title
        assert steps[0].url.endswith(f"/applications/{demand.id}/authorize")
        grant_query(user.enterprise, bank, ["enterprises"])
        assert "answer" not in _keys(user)


def test_home_page_shows_next_step_and_how_to_improve(app, factories, punctual, sources):
    enterprise = punctual(name="秦岭工作台企业")
    sources.public(enterprise.uscc, "penalty", local_today() - timedelta(days=40),
                   amount="2000", severity="minor")  # fmt: skip
    profiles.rebuild([enterprise.id], trigger="manual")
    user = factories.user(Role.ENTERPRISE, enterprise=enterprise)
    db.session.commit()
    client = WebClient(app.test_client())
    client.login(user)
    page = client.get("/enterprise").get_data(as_text=True)
    assert "下一步" in page and 'data-step="collect"' in page
    assert "如何提升评分" in page
    assert "近36个月有一般行政处罚" in page and ADVICE["PENALTY_MINOR"][0] in page
    assert "PENALTY_MINOR" not in page  # words, not codes
