"""Web pages: apply with consent, follow, withdraw; the bank's inbox and decisions; roles."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.applications import services
from app.applications.models import Application
from app.auth.models import Role
from app.clock import local_today
from app.consent.models import Authorization
from app.extensions import db
from app.matching.criteria import CRITERIA
from tests.products.helpers import make_product


@pytest.fixture
def product(factories):
    return make_product(factories.bank(name="秦岭银行"))


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page
    )
    assert match, name
    return match.group(1)


def test_a_near_miss_shows_what_is_not_met_and_folds_what_is(login_as, factories):
    small = make_product(factories.bank(name="渭水银行"), name="小额贷", amount_max="150000")
    client, _owner = login_as(Role.ENTERPRISE)
    page = client.get("/matches?amount=200000&term_months=12").get_data(as_text=True)
    card = page[page.index(f'id="product-{small.id}"') :]
    card = card[: card.index("</section>")]
    shown, folded = card.split('<details class="checks-met">')
    assert "差 1 项" in shown and '<li class="fail">' in shown
    assert "金额超出上限 ¥150,000.00" in shown  # the unmet condition, not folded
    assert f"满足其余 {len(CRITERIA) - 1} 项条件" in folded
    assert "期限在 6–36 个月范围内" in folded and "申请" not in card.split("</h2>")[1]


def test_enterprise_matches_applies_with_consent_and_withdraws(login_as, product):
    client, owner = login_as(Role.ENTERPRISE)
    matches = client.get("/matches?amount=200000&term_months=12&purpose=备货")
    page = matches.get_data(as_text=True)
    assert matches.status_code == 200 and "税易贷" in page and "符合条件" in page
    assert "金额在 ¥100,000.00–¥500,000.00 范围内" in page  # money one way
    # An eligible product's met conditions are one line that opens to every reason.
    met = page[page.index('<details class="checks-met">') :]
    assert f"满足全部 {len(CRITERIA)} 项条件" in met[: met.index("</summary>")]
    assert "金额在 ¥100,000.00–¥500,000.00 范围内" in met[: met.index("</details>")]
    bad = client.get("/matches?amount=abc&term_months=12")
    assert bad.status_code == 422 and "金额不是有效的数字" in bad.get_data(as_text=True)

    form = {"product_id": product.id, "amount": "200000", "term_months": "12",
            "purpose": "备货", "categories": ["enterprises", "tax_ratings"], "days": "30"}  # fmt: skip
    step1 = client.post("/applications/new", form)
    preview = step1.get_data(as_text=True)
    assert step1.status_code == 200 and "我已阅读并同意授权书，提交申请" in preview
    assert "秦岭银行" in preview
    assert "¥200,000.00" in preview and "200000 元" not in preview  # money shown one way
    confirm = form | {"confirm": "1", "text_id": _hidden(preview, "text_id"),
                      "text_sha256": _hidden(preview, "text_sha256")}  # fmt: skip
    done = client.post("/applications/new", confirm)
    assert done.status_code == 302
    app = db.session.scalars(select(Application).where(
        Application.enterprise_id == owner.enterprise_id)).one()  # fmt: skip
    assert app.state == "submitted"
    auth = db.session.scalars(select(Authorization).where(
        Authorization.application_id == app.id)).one()  # fmt: skip
    assert sorted(auth.categories) == ["enterprises", "tax_ratings"]
    detail = client.get(f"/applications/{app.id}").get_data(as_text=True)
    assert "已提交" in detail and "撤回申请" in detail
    assert client.post(f"/applications/{app.id}/withdraw").status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, app.id).state == "withdrawn"
    assert "已撤回" in client.get("/applications").get_data(as_text=True)


def test_apply_form_keeps_input_and_names_the_field(login_as, product):
    client, _owner = login_as(Role.ENTERPRISE)
    response = client.post("/applications/new", {"product_id": product.id, "amount": "abc",
                           "term_months": "12", "purpose": "备货", "categories": ["enterprises"]})  # fmt: skip
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "金额不是有效的数字" in page and 'value="abc"' in page


def test_officer_inbox_accept_approve_disburse(login_as, factories, product):
    owner = factories.user(Role.ENTERPRISE)
    app = services.create_application(owner.enterprise_id, product_id=product.id,
        amount="200000", term_months=12, purpose="备货", user_id=owner.id)  # fmt: skip
    client, _officer = login_as(Role.BANK_OFFICER, bank=product.bank)
    inbox = client.get("/bank/inbox").get_data(as_text=True)
    assert "待受理" in inbox and "3 个工作日" in inbox
    assert "匿名企业" in inbox  # no query authorization yet
    assert "· 小型" in inbox and "small" not in inbox  # the size in words
    detail = client.get(f"/applications/{app.id}").get_data(as_text=True)
    assert "· 小型" in detail and "· small" not in detail
    client.post(f"/applications/{app.id}/accept")
    client.post(f"/applications/{app.id}/approve", {"amount": "150000", "rate": "4.2",
                "term_months": "12"})  # fmt: skip
    client.post(f"/applications/{app.id}/disburse", {"amount": "150000",
                "disbursed_on": local_today().isoformat(), "first_loan": "y"})  # fmt: skip
    db.session.expire_all()
    done = db.session.get(Application, app.id)
    assert (done.state, done.first_loan, str(done.approved_rate)) == ("disbursed", True, "4.2000")
    refused = client.post(f"/applications/{app.id}/accept", follow_redirects=True)
    assert "不能执行“受理”" in refused.get_data(as_text=True)


def test_unticked_first_loan_is_recorded_as_not_first(login_as, factories, product):
    owner = factories.user(Role.ENTERPRISE)
    app = services.create_application(owner.enterprise_id, product_id=product.id,
        amount="200000", term_months=12, purpose="备货", user_id=owner.id)  # fmt: skip
    client, officer = login_as(Role.BANK_OFFICER, bank=product.bank)
    services.accept(app.id, officer)
    services.approve(app.id, officer, amount="100000", rate="4", term_months=12)
    db.session.commit()
    client.post(f"/applications/{app.id}/disburse", {"amount": "100000",
                "disbursed_on": local_today().isoformat()})  # fmt: skip
    db.session.expire_all()
    done = db.session.get(Application, app.id)
    assert (done.state, done.first_loan) == ("disbursed", False)
    refused = client.post(f"/applications/{app.id}/accept", follow_redirects=True)
    assert "不能执行“受理”" in refused.get_data(as_text=True)


def test_bank_detail_links_to_guarded_profile_once_authorized(login_as, factories, product):
    from app.consent import services as consent

    owner = factories.user(Role.ENTERPRISE)
    text = consent.current_text("query")
    app = services.apply_with_consent(owner.enterprise_id, product_id=product.id,
        amount="200000", term_months=12, purpose="备货", categories=["enterprises"],
        user_id=owner.id, ip="127.0.0.1", text_id=text.id)  # fmt: skip
    client, _officer = login_as(Role.BANK_OFFICER, bank=product.bank)
    page = client.get(f"/applications/{app.id}").get_data(as_text=True)
    assert owner.enterprise.name in page
    assert f"/bank/enterprises/{owner.enterprise.uscc}" in page


def test_other_bank_and_enterprise_get_404_on_pages(login_as, factories, product):
    owner = factories.user(Role.ENTERPRISE)
    app = services.create_application(owner.enterprise_id, product_id=product.id,
        amount="200000", term_months=12, purpose="备货", user_id=owner.id)  # fmt: skip
    db.session.commit()
    other_bank, _ = login_as(Role.BANK_OFFICER)
    assert other_bank.get(f"/applications/{app.id}").status_code == 404
    assert other_bank.post(f"/applications/{app.id}/accept").status_code == 404
    other_owner, _ = login_as(Role.ENTERPRISE)
    assert other_owner.get(f"/applications/{app.id}").status_code == 404
    assert other_owner.get(f"/applications/{app.id}/authorize").status_code == 404


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        (Role.REGULATOR, "/applications", 403), (Role.ADMIN, "/applications", 403),
        (Role.BANK_OFFICER, "/applications", 403), (Role.BANK_OFFICER, "/matches", 403),
        (Role.BANK_OFFICER, "/applications/new", 403), (Role.ENTERPRISE, "/bank/inbox", 403),
        (Role.REGULATOR, "/bank/inbox", 403), (Role.ADMIN, "/matches", 403),
        (Role.ENTERPRISE, "/matches", 200), (Role.ENTERPRISE, "/applications", 200),
        (Role.BANK_OFFICER, "/bank/inbox", 200), (Role.BANK_ADMIN, "/bank/inbox", 200),
        (Role.ENTERPRISE, "/notifications", 200), (Role.REGULATOR, "/notifications", 200),
    ],
)  # fmt: skip
def test_page_permissions(login_as, role, path, status):
    client, _user = login_as(role)
    assert client.get(path).status_code == status


def test_anonymous_is_sent_to_login(web):
    for path in ("/matches", "/applications", "/bank/inbox", "/notifications", "/bank/products"):
        response = web.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_open_demand_page_then_authorize_the_winner(login_as, factories, product):
    client, owner = login_as(Role.ENTERPRISE)
    posted = client.post("/applications/new", {"amount": "200000", "term_months": "12",
                         "purpose": "扩产"})  # fmt: skip
    assert posted.status_code == 302
    app = db.session.scalars(select(Application).where(
        Application.enterprise_id == owner.enterprise_id)).one()  # fmt: skip
    assert app.product_id is None and app.bank_id is None
    officer = factories.user(Role.BANK_OFFICER, bank=product.bank)
    services.accept(app.id, officer)
    db.session.commit()
    assert "未读" in client.get("/notifications").get_data(as_text=True)
    detail = client.get(f"/applications/{app.id}").get_data(as_text=True)
    assert "点此授权该行查询" in detail
    page = client.get(f"/applications/{app.id}/authorize").get_data(as_text=True)
    assert "授权 秦岭银行 查询" in page
    response = client.post(f"/applications/{app.id}/authorize", {
        "categories": ["enterprises", "public_credit"], "days": "30",
        "text_id": _hidden(page, "text_id"), "text_sha256": _hidden(page, "text_sha256")})  # fmt: skip
    assert response.status_code == 302
    auth = db.session.scalars(select(Authorization).where(
        Authorization.application_id == app.id)).one()  # fmt: skip
    assert auth.grantee_bank_id == product.bank_id
    assert "点此授权该行查询" not in client.get(f"/applications/{app.id}").get_data(as_text=True)


def test_no_consent_form_ticks_a_category_for_the_owner(login_as, factories, product):
    """Consent is what the owner ticks: the apply, authorize-the-winner, query and
    collection forms come with every category unticked and a 全选 button for the owner."""
    client, owner = login_as(Role.ENTERPRISE)
    factories.bank(code="QBANK", name="秦银行")
    client.post("/applications/new", {"amount": "200000", "term_months": "12", "purpose": "扩产"})
    demand = db.session.scalars(select(Application).where(
        Application.enterprise_id == owner.enterprise_id)).one()  # fmt: skip
    services.accept(demand.id, factories.user(Role.BANK_OFFICER, bank=product.bank))
    db.session.commit()
    for path in (f"/applications/new?product_id={product.id}",
                 f"/applications/{demand.id}/authorize", "/consent/banks",
                 "/consent/collection"):  # fmt: skip
        page = client.get(path).get_data(as_text=True)
        boxes = re.findall(r'<input[^>]*name="categories"[^>]*>', page)
        assert boxes, path
        assert not [box for box in boxes if "checked" in box], path
        assert "data-check-all" in page, path
