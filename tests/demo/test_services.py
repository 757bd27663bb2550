"""Demo accounts and the demo's collection authorizations."""

from __future__ import annotations

from sqlalchemy import func, select
from stdnum.cn import uscc as stdnum_uscc

from app.auth.services import get_user_by_email
from app.consent.models import Authorization, AuthorizationScope
from app.consent.services import collecting_enterprise_ids, has_collection_consent
from app.demo import services
from app.extensions import db


def _authorizations() -> int:
    return db.session.scalar(select(func.count()).select_from(Authorization))


def test_named_demo_enterprises_have_fixed_valid_codes():
    first, second = services.demo_companies(), services.demo_companies()
    assert [c.uscc for c in first] == [c.uscc for c in second]
    assert len({c.uscc for c in first}) == len(services.DEMO_ENTERPRISES)
    assert all(stdnum_uscc.is_valid(c.uscc) for c in first)


def test_load_demo_creates_logins_once_and_links_the_sme_to_the_first_enterprise():
    logins = services.load_demo()
    assert ("enterprise", "sme@demo.xyd", services.DEMO_PASSWORD) in logins
    sme = get_user_by_email("sme@demo.xyd")
    assert sme.enterprise.uscc == services.demo_companies()[0].uscc
    assert services.load_demo() == logins  # idempotent
    assert get_user_by_email("officer@demo.xyd").bank.code == "CABANK"


def test_authorize_collection_is_idempotent_and_only_adds_what_is_missing(factories):
    full, tax_only, none = factories.enterprise(), factories.enterprise(), factories.enterprise()
    categories = ("tax_payments", "utility_bills")
    created = services.authorize_collection(
        {categories: [full.uscc], ("tax_payments",): [tax_only.uscc, "91610113NOTINREG00"]}
    )
    assert created == 2  # the unknown code is ignored
    assert has_collection_consent(full.id, "utility_bills")
    assert has_collection_consent(tax_only.id, "tax_payments")
    assert not has_collection_consent(tax_only.id, "utility_bills")
    assert not has_collection_consent(none.id, "tax_payments")
    collecting = set(db.session.scalars(collecting_enterprise_ids("tax_payments")))
    assert {full.id, tax_only.id} <= collecting and none.id not in collecting

    before = _authorizations()
    assert services.authorize_collection({categories: [full.uscc]}) == 0
    assert _authorizations() == before

    # tax_only now asks for both: only the missing category is added
    assert services.authorize_collection({categories: [tax_only.uscc]}) == 1
    assert has_collection_consent(tax_only.id, "utility_bills")
    auth = db.session.scalars(
        select(Authorization).where(Authorization.enterprise_id == tax_only.id)
    ).all()
    assert sorted(a.categories for a in auth) == [["tax_payments"], ["utility_bills"]]
    assert {(a.method, a.evidence_ref, a.kind, a.state) for a in auth} == {
        ("paper", "DEMO", "collection", "active")
    }
    scopes = db.session.scalar(select(func.count()).select_from(AuthorizationScope))
    assert scopes >= 4


def test_a_revoked_authorization_does_not_count_as_held(factories):
    enterprise = factories.enterprise()
    assert services.authorize_collection({("tax_payments",): [enterprise.uscc]}) == 1
    auth = db.session.scalar(
        select(Authorization).where(Authorization.enterprise_id == enterprise.id)
    )
    auth.state = "revoked"
    db.session.flush()
    assert not has_collection_consent(enterprise.id, "tax_payments")
    assert services.authorize_collection({("tax_payments",): [enterprise.uscc]}) == 1
    assert has_collection_consent(enterprise.id, "tax_payments")


def test_demo_applications_never_move_before_they_were_submitted(app):
    """The demo had applications accepted earlier in the day they were submitted: every
    step of every generated history now follows the one before it."""
    import random
    from decimal import Decimal
    from types import SimpleNamespace

    from app.clock import local_today
    from app.demo.loans import _one

    product = SimpleNamespace(id=1, bank_id=1, amount_min=Decimal("100000"),
                              amount_max=Decimal("3000000"), rate_min=Decimal("3.60"),
                              term_min_months=6, term_max_months=36)  # fmt: skip
    rng = random.Random(7)
    accepted = 0
    for _ in range(600):
        row, history = _one(rng, 1, product, local_today())  # type: ignore[arg-type]
        moments = [event["at"] for event in history]
        assert moments == sorted(moments), history
        assert moments[0] == row["submitted_at"]
        assert 6 <= row["term_months"] <= 36  # within the product's terms
        if row.get("accepted_at"):
            accepted += 1
            assert row["accepted_at"] > row["submitted_at"]
    assert accepted > 300


def test_demo_products_have_conditions_and_applications_meet_them(app, factories):
    """Every demo product has conditions beyond amount and term (a mortgage does not match
    any firm at all), and every demo application went to a product whose conditions its
    enterprise meets, as matching decides them."""
    from sqlalchemy import select

    from app.applications.models import Application
    from app.demo.loans import DEMO_PRODUCTS, load_demo_loans
    from app.matching.criteria import NEED_CODES
    from app.matching.services import match
    from app.products.models import Product

    for code in DEMO_PRODUCTS:
        factories.bank(code=code)
    for _ in range(8):
        factories.enterprise()
    assert load_demo_loans(count=40) == 40
    products = {p.id: p for p in db.session.scalars(select(Product))}
    assert len(products) == sum(len(specs) for specs in DEMO_PRODUCTS.values())
    for product in products.values():
        assert (product.regions or product.industries or product.sizes or product.min_grade
                or product.min_score is not None or product.min_years is not None
                or product.min_tax_grade), product.name  # fmt: skip
    applied = list(
        db.session.scalars(select(Application).where(Application.product_id.is_not(None)))
    )
    assert applied
    for application in applied:
        product = products[application.product_id]
        assert product.term_min_months <= application.term_months <= product.term_max_months
        assert product.amount_min <= application.amount <= product.amount_max
        [found] = [
            m for m in match(application.enterprise, product.amount_min, product.term_min_months,
                             limit=100, near_miss_max=10)
            if m.product.id == product.id
        ]  # fmt: skip
        failed = [c["criterion"] for c in found.checks if not c["passed"]]
        assert not [c for c in failed if c not in NEED_CODES], (product.name, failed)
