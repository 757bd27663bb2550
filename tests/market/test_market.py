"""The public face: the product supermarket, a product's page, the figures and the guide."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.applications.models import Application
from app.auth.models import Role
from app.extensions import db
from app.market import services
from tests.products.helpers import make_product


@pytest.fixture
def shelf(factories):
    """Three banks' products: two published, one draft, one suspended."""
    cabank = factories.bank(name="长安银行")
    xabank = factories.bank(name="西安银行")
    cheap = make_product(cabank, name="税易贷", rate_min="3.45", tags=["税易贷"])
    wide = make_product(
        xabank,
        name="科创抵押贷",
        type="collateral",
        tags=["科创"],
        amount_min="1000000",
        amount_max="5000000",
        term_min_months=12,
        term_max_months=60,
        regions=["610113"],
        min_years=3,
        min_tax_grade="B",
    )
    draft = make_product(cabank, name="未发布产品", status="draft")
    suspended = make_product(xabank, name="暂停产品")
    suspended.status = "suspended"
    db.session.flush()
    return {"cheap": cheap, "wide": wide, "draft": draft, "suspended": suspended}


def names(response) -> list[str]:
    text = response.get_data(as_text=True)
    return [n for n in ("税易贷", "科创抵押贷", "未发布产品", "暂停产品") if f">{n}</a>" in text]


def test_anyone_sees_only_published_products_cheapest_first(web, shelf):
    response = web.get("/market")
    assert response.status_code == 200
    assert names(response) == ["税易贷", "科创抵押贷"]
    text = response.get_data(as_text=True)
    assert text.index(">税易贷</a>") < text.index(">科创抵押贷</a>")
    assert "¥1,000,000.00 – ¥5,000,000.00" in text  # money shown the one way
    assert "成立满 3 年" in text and "纳税信用级别不低于 B 级" in text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=科创", ["科创抵押贷"]),
        ("q=西安银行", ["科创抵押贷"]),
        ("type=collateral", ["科创抵押贷"]),
        ("type=credit", ["税易贷"]),
        ("amount=2000000", ["科创抵押贷"]),
        ("amount=200000&term=12", ["税易贷"]),
        ("term=48", ["科创抵押贷"]),
        ("region=610113", ["税易贷", "科创抵押贷"]),  # its own county, and "all regions"
        ("region=610112", ["税易贷"]),
        ("tag=税易贷", ["税易贷"]),
        ("sort=amount", ["税易贷", "科创抵押贷"]),  # membership; order below
    ],
)
def test_filters(web, shelf, query, expected):
    response = web.get(f"/market?{query}")
    assert response.status_code == 200
    assert sorted(names(response)) == sorted(expected)


def test_sort_by_amount_puts_the_largest_first(web, shelf):
    text = web.get("/market?sort=amount").get_data(as_text=True)
    assert text.index(">科创抵押贷</a>") < text.index(">税易贷</a>")


def test_bad_filters_are_named_and_the_rest_still_apply(web, shelf):
    response = web.get("/market?amount=abc&term=0&region=999999&type=collateral")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert 'id="amount-error"' in text and 'id="term-error"' in text
    assert 'value="abc"' in text  # what was typed is kept
    assert names(response) == ["科创抵押贷"]


def test_hostile_query_strings_do_not_break_the_page(web, shelf):
    for query in (
        "q=%00%27%22<script>",
        "bank=99999999999",
        "page=-1",
        "amount=1e27",
        "q=" + "长" * 500,
    ):  # a NUL byte is refused at the edge (400)
        assert web.get(f"/market?{query}").status_code in (200, 400, 422), query


def test_paging(web, factories):
    bank = factories.bank()
    for i in range(services.PER_PAGE + 3):
        make_product(bank, name=f"产品{i:02d}")
    first = web.get("/market").get_data(as_text=True)
    second = web.get("/market?page=2").get_data(as_text=True)
    assert first.count('class="card product-card"') == services.PER_PAGE
    assert second.count('class="card product-card"') == 3
    assert "第 2 / 2 页" in second


def test_a_page_loads_its_products_only(factories):
    """The tag choices and the count come from every fitting product's id and tags; only the
    page's products are loaded (a province has thousands)."""
    from sqlalchemy import event

    from app.products.models import Product

    bank = factories.bank()
    made = [make_product(bank, name=f"产品{i:02d}", tags=["信易贷"] if i % 2 else ["税易贷"]).id
            for i in range(services.PER_PAGE + 5)]  # fmt: skip
    db.session.commit()
    db.session.expunge_all()
    loaded: list[int] = []

    def count(target, _context):
        loaded.append(target.id)

    event.listen(Product, "load", count)
    try:
        page = services.search(services.Filters.from_args({"sort": "newest"})[0])
        tagged = services.search(services.Filters.from_args({"tag": "信易贷", "page": "2"})[0])
    finally:
        event.remove(Product, "load", count)
    assert page.total == len(made) and page.tags == ["信易贷", "税易贷"]
    assert [p.id for p in page.products] == made[::-1][: services.PER_PAGE]
    assert tagged.total == len(made) // 2 and tagged.page == 1  # one page: page 2 reads as 1
    assert set(loaded) == {p.id for p in page.products} | {p.id for p in tagged.products}
    assert made[0] not in loaded  # the oldest untagged one: on no page read


def test_product_page_words_every_condition_and_leads_to_qualification(web, shelf, factories):
    page = web.get(f"/market/{shelf['wide'].id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for words in (
        "¥1,000,000.00 – ¥5,000,000.00",
        "12–60 个月",
        "成立满 3 年",
        "未列入严重失信主体名单",
    ):
        assert words in text
    assert "/login?next=" in text  # anonymous: log in, then matching
    web.login(factories.user(Role.ENTERPRISE))
    text = web.get(f"/market/{shelf['wide'].id}").get_data(as_text=True)
    assert "/matches?" in text and "/login?next=" not in text


@pytest.mark.parametrize("which", ["draft", "suspended"])
def test_unpublished_products_are_not_found(web, shelf, which):
    assert web.get(f"/market/{shelf[which].id}").status_code == 404


def test_an_id_beyond_the_database_range_is_not_found(web):
    assert web.get("/market/99999999999").status_code == 404


def test_figures_hide_loans_behind_too_few_enterprises(web, factories, shelf, app):
    minimum = app.config.get("STATS_MIN_ENTERPRISES", 3)

    def lend(n: int) -> None:
        for _ in range(n):
            enterprise = factories.enterprise()
            db.session.add(
                Application(
                    enterprise_id=enterprise.id,
                    product_id=shelf["cheap"].id,
                    bank_id=shelf["cheap"].bank_id,
                    state="disbursed",
                    amount=Decimal("200000"),
                    term_months=12,
                    disbursed_amount=Decimal("200000"),
                )
            )
        db.session.flush()

    lend(minimum - 1)
    text = web.get("/figures").get_data(as_text=True)
    assert 'id="fig-loans">—' in text
    lend(1)
    figures = services.public_figures()
    assert figures.loans == minimum
    assert figures.loan_amount == Decimal("200000") * minimum
    text = web.get("/figures").get_data(as_text=True)
    assert f"{minimum} 笔" in text


def test_guide_and_links_from_every_page(web):
    assert web.get("/guide").status_code == 200
    home = web.get("/").get_data(as_text=True)
    assert 'href="/market"' in home and 'href="/guide"' in home and 'href="/figures"' in home


def test_english(web, shelf):
    web.post("/lang", {"locale": "en", "next": "/market"})
    text = web.get("/market").get_data(as_text=True)
    assert "Product supermarket" in text


def test_rates_read_as_people_write_them(web, factories):
    """10.0000 % is "10%", not Decimal.normalize()'s "1E+1%"; 4.3500 is "4.35%"."""
    product = make_product(factories.bank(), name="整数利率贷", rate_min="4.35", rate_max="10")
    for path in ("/market", f"/market/{product.id}"):
        text = web.get(path).get_data(as_text=True)
        assert "4.35% – 10%" in text and "E+" not in text, path
