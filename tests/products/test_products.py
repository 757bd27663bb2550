"""Products: validation, life cycle, API and pages; only a bank administrator publishes."""

from __future__ import annotations

import pytest

from app.auth.models import Role
from app.errors import Conflict, NotFound, ValidationFailed
from app.products import services
from tests.products.helpers import DEFAULTS, make_product


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "请填写产品名称"),
        ({"type": "payday"}, "type", "产品类型"),
        ({"amount_min": "600000"}, "amount_max", "最高金额不能小于最低金额"),
        ({"amount_min": "0"}, "amount_min", "最低金额应大于 0"),
        ({"term_min_months": 48}, "term_max_months", "最长期限不能小于最短期限"),
        ({"term_max_months": 600}, "term_max_months", "最长期限不能超过"),
        ({"rate_min": "7"}, "rate_max", "最高年利率不能小于最低年利率"),
        ({"rate_max": "99"}, "rate_max", "年利率应在"),
        ({"rate_min": "0"}, "rate_min", "年利率应在"),
        ({"regions": ["999999"]}, "regions", "未知的地区代码：999999"),
        ({"industries": ["ZZ"]}, "industries", "未知的行业代码：ZZ"),
        ({"min_grade": "AAAA"}, "min_grade", "信用等级应为"),
        ({"min_score": 1200}, "min_score", "最低评分应在 0 至 1000 之间"),
        ({"min_tax_grade": "E"}, "min_tax_grade", "纳税信用级别应为"),
    ],
)
def test_validation_names_the_field(factories, fields, field, message):
    bank = factories.bank()
    with pytest.raises(ValidationFailed) as excinfo:
        services.create_product(bank.id, {**DEFAULTS, **fields})
    assert excinfo.value.field == field
    assert message in excinfo.value.message


def test_codes_are_stored_and_returned_as_lists(factories):
    product = make_product(factories.bank(), regions=["610100", "610113"], industries=["C", "13"])
    body = services.product_to_dict(product)
    assert body["regions"] == ["610100", "610113"]
    assert body["industries"] == ["13", "C"]
    assert body["amount_max"] == "500000.00"


def test_life_cycle_and_version(factories):
    bank = factories.bank()
    product = make_product(bank, status="draft")
    assert product.version == 1
    services.set_status(product.id, bank.id, "published")
    services.set_status(product.id, bank.id, "suspended")
    services.set_status(product.id, bank.id, "published")
    services.update_product(product.id, bank.id, {"rate_min": "3.5"}, expected_version=4)
    assert product.version == 5 and str(product.rate_min) == "3.5000"
    with pytest.raises(Conflict):
        services.update_product(product.id, bank.id, {"rate_min": "3.6"}, expected_version=4)
    services.set_status(product.id, bank.id, "retired")
    with pytest.raises(Conflict):
        services.set_status(product.id, bank.id, "published")
    with pytest.raises(Conflict):
        services.update_product(product.id, bank.id, {"name": "x"})


def test_another_banks_product_is_not_found(factories):
    product = make_product(factories.bank())
    with pytest.raises(NotFound):
        services.update_product(product.id, factories.bank().id, {"name": "偷改"})


# --- API ---------------------------------------------------------------------------------


def test_api_admin_creates_and_patches(api, factories):
    admin = factories.user(Role.BANK_ADMIN)
    token = factories.token(admin)
    response = api.post("/api/v1/products", {**DEFAULTS, "status": "published"}, token=token)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "published" and body["type"] == "credit"
    patched = api.patch(f"/api/v1/products/{body['id']}", {"status": "suspended",
                        "version": body["version"]}, token=token)  # fmt: skip
    assert patched.status_code == 200 and patched.json["status"] == "suspended"
    stale = api.patch(f"/api/v1/products/{body['id']}", {"name": "x", "version": 1}, token=token)
    assert stale.status_code == 409


def test_api_validation_is_422_with_field(api, factories):
    token = factories.token(factories.user(Role.BANK_ADMIN))
    response = api.post("/api/v1/products", {**DEFAULTS, "amount_min": "9e9"}, token=token)
    assert response.status_code == 422
    assert response.json["error"]["field"] == "amount_max"


@pytest.mark.parametrize("role", [Role.BANK_OFFICER, Role.ENTERPRISE, Role.REGULATOR, Role.ADMIN])
def test_api_only_bank_admin_may_publish(api, factories, role):
    token = factories.token(factories.user(role))
    assert api.post("/api/v1/products", DEFAULTS, token=token).status_code == 403


def test_api_public_list_and_own_list(api, factories):
    admin = factories.user(Role.BANK_ADMIN)
    published = make_product(admin.bank)
    draft = make_product(admin.bank, status="draft")
    other_draft = make_product(factories.bank(), status="draft")
    public = {p["id"] for p in api.get("/api/v1/products").json}
    assert published.id in public and draft.id not in public and other_draft.id not in public
    own = {p["id"] for p in api.get("/api/v1/products", token=factories.token(admin)).json}
    assert own == {published.id, draft.id}
    assert api.get("/api/v1/products", token="xyd_bogus").status_code == 401


def test_api_public_list_reads_a_window_with_links(api, factories):
    """The published products do not stop at some number: a window, and Link to the next."""
    bank = factories.bank()
    made = [make_product(bank).id for _ in range(5)]
    first = api.get("/api/v1/products?limit=2")
    assert [p["id"] for p in first.json] == made[:2]
    assert first.headers["Link"] == '</api/v1/products?limit=2&offset=2>; rel="next"'
    last = api.get("/api/v1/products?limit=2&offset=4")
    assert [p["id"] for p in last.json] == made[4:]
    assert last.headers["Link"] == '</api/v1/products?limit=2&offset=2>; rel="prev"'


# --- pages -------------------------------------------------------------------------------


def test_admin_creates_publishes_and_sees_errors_with_input_kept(login_as):
    client, admin = login_as(Role.BANK_ADMIN)
    form = {k: (",".join(v) if isinstance(v, list) else v) for k, v in DEFAULTS.items()}
    form.update(exclude_black_list="y", min_grade="", min_tax_grade="")
    bad = client.post("/bank/products/new", {**form, "amount_min": "900000"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "最高金额不能小于最低金额" in page and 'value="900000"' in page
    ok = client.post("/bank/products/new", form)
    assert ok.status_code == 302
    product = services.list_bank_products(admin.bank_id)[0]
    assert product.status == "draft"
    client.post(f"/bank/products/{product.id}/status", {"status": "published"})
    assert services.list_bank_products(admin.bank_id)[0].status == "published"
    listing = client.get("/bank/products").get_data(as_text=True)
    assert "已发布" in listing


def test_sizes_are_ticked_kept_on_error_and_saved(login_as):
    client, admin = login_as(Role.BANK_ADMIN)
    form = {k: (",".join(v) if isinstance(v, list) else v) for k, v in DEFAULTS.items()}
    form.update(exclude_black_list="y", min_grade="", min_tax_grade="", sizes=["micro", "small"])
    bad = client.post("/bank/products/new", {**form, "amount_min": "900000"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert page.count("checked") == 3  # micro, small and the black-list box
    assert 'checked id="sizes-0"' in page and 'checked id="sizes-1"' in page  # micro, small
    assert client.post("/bank/products/new", form).status_code == 302
    product = services.list_bank_products(admin.bank_id)[0]
    assert product.size_codes == ["micro", "small"]
    edit = client.get(f"/bank/products/{product.id}/edit").get_data(as_text=True)
    assert edit.count("checked") == 3


def test_officer_sees_products_but_cannot_edit(login_as, factories):
    client, officer = login_as(Role.BANK_OFFICER)
    product = make_product(officer.bank)
    assert client.get("/bank/products").status_code == 200
    assert client.get("/bank/products/new").status_code == 403
    assert client.get(f"/bank/products/{product.id}/edit").status_code == 403
    assert (
        client.post(f"/bank/products/{product.id}/status", {"status": "retired"}).status_code == 403
    )


@pytest.mark.parametrize("role", [Role.ENTERPRISE, Role.REGULATOR, Role.ADMIN])
def test_non_bank_roles_cannot_see_bank_product_pages(login_as, role):
    client, _user = login_as(role)
    assert client.get("/bank/products").status_code == 403
    assert client.get("/bank/staff").status_code == 403


def test_admin_edits_only_own_bank_products(login_as, factories):
    client, _admin = login_as(Role.BANK_ADMIN)
    other = make_product(factories.bank())
    assert client.get(f"/bank/products/{other.id}/edit").status_code == 404


def test_admin_manages_officers_and_tokens(login_as, factories):
    from app.auth import services as auth_services
    from app.extensions import db

    client, admin = login_as(Role.BANK_ADMIN)
    created = client.post(
        "/bank/staff", {"email": "newofficer@example.test", "display_name": "小李"}
    )
    page = created.get_data(as_text=True)
    assert created.status_code == 200 and "一次性密码" in page
    officer = auth_services.get_user_by_email("newofficer@example.test")
    assert officer.role == Role.BANK_OFFICER and officer.bank_id == admin.bank_id
    token = factories.token(officer)
    db.session.commit()
    assert auth_services.user_for_token(token) is not None
    assert client.post(f"/bank/staff/{officer.id}/deactivate").status_code == 302
    db.session.expire_all()
    assert not officer.active and auth_services.user_for_token(token) is None
    # Another bank's officer: 404.
    stranger = factories.user(Role.BANK_OFFICER)
    db.session.commit()
    assert client.post(f"/bank/staff/{stranger.id}/deactivate").status_code == 404
