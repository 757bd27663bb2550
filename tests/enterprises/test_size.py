"""Enterprise size by 工信部联企业〔2011〕300号: the rule table on the standard's boundaries,
the size stored by a registry import, the declared size beside it, and products that serve
some sizes only."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from itertools import pairwise

import pytest

from app.enterprises.models import Enterprise
from app.enterprises.size import RULES, Size, rule_for, size_of
from app.errors import ValidationFailed
from app.extensions import db
from app.facts.services import facts_of, for_banks, shown_to_bank
from app.ingest import services as ingest_services
from app.matching import services as matching
from app.products import services as product_services
from tests.products.helpers import make_product

D = Decimal
MICRO, SMALL, MEDIUM, LARGE = (s.value for s in Size)

# (industry code, employees, revenue 万元, total assets 万元, size): each tier's lower bounds
# exactly, and one unit below them, for the rows the standard names.
BOUNDARIES = [
    # 工业 (B, C, D): employees and revenue
    ("13", 1000, D(40000), None, LARGE),
    ("13", 999, D(40000), None, MEDIUM),
    ("13", 1000, D("39999.99"), None, MEDIUM),
    ("C", 300, D(2000), None, MEDIUM),
    ("44", 299, D(2000), None, SMALL),
    ("06", 300, D("1999.99"), None, SMALL),
    ("13", 20, D(300), None, SMALL),
    ("13", 19, D(300), None, MICRO),
    ("13", 20, D("299.99"), None, MICRO),
    ("13", 5000, D(100), None, MICRO),  # one figure below the small bound is enough
    # 批发业 (51)
    ("51", 200, D(40000), None, LARGE),
    ("51", 199, D(40000), None, MEDIUM),
    ("51", 20, D(5000), None, MEDIUM),
    ("51", 20, D("4999.99"), None, SMALL),
    ("51", 5, D(1000), None, SMALL),
    ("51", 4, D(1000), None, MICRO),
    ("51", 5, D("999.99"), None, MICRO),
    # 零售业 (52)
    ("52", 300, D(20000), None, LARGE),
    ("52", 50, D(500), None, MEDIUM),
    ("52", 49, D(500), None, SMALL),
    ("52", 10, D(100), None, SMALL),
    ("52", 9, D(100), None, MICRO),
    ("52", 10, D("99.99"), None, MICRO),
    # 软件和信息技术服务业 (65)
    ("65", 300, D(10000), None, LARGE),
    ("65", 100, D(1000), None, MEDIUM),
    ("65", 100, D("999.99"), None, SMALL),
    ("65", 10, D(50), None, SMALL),
    ("65", 9, D(50), None, MICRO),
    ("65", 10, D("49.99"), None, MICRO),
    # 建筑业 (E): revenue and total assets
    ("E", None, D(80000), D(80000), LARGE),
    ("48", None, D(80000), D("79999.99"), MEDIUM),
    ("47", None, D(6000), D(5000), MEDIUM),
    ("47", None, D("5999.99"), D(5000), SMALL),
    ("50", None, D(300), D(300), SMALL),
    ("50", None, D(300), D("299.99"), MICRO),
    # 农、林、牧、渔业: revenue alone
    ("01", None, D(20000), None, LARGE),
    ("03", None, D(500), None, MEDIUM),
    ("A", None, D(50), None, SMALL),
    ("05", None, D("49.99"), None, MICRO),
    # 交通运输业 excludes railways (53 → the employees-only row)
    ("54", 1000, D(30000), None, LARGE),
    ("53", 300, None, None, LARGE),
    # 房地产开发经营 (70, read as 7010) and 租赁和商务服务业 (employees and total assets)
    ("70", None, D(200000), D(10000), LARGE),
    ("70", None, D(1000), D("4999.99"), SMALL),
    ("72", 100, None, D(8000), MEDIUM),
    ("L", 9, None, None, MICRO),
    # 其他未列明行业: employees alone
    ("J", 300, None, None, LARGE),
    ("86", 100, None, None, MEDIUM),
    ("94", 10, None, None, SMALL),
    ("94", 9, None, None, MICRO),
]


@pytest.mark.parametrize(("code", "employees", "revenue", "assets", "size"), BOUNDARIES)
def test_standard_boundaries(code, employees, revenue, assets, size):
    assert size_of(code, employees, revenue, assets) == size


@pytest.mark.parametrize(
    ("code", "employees", "revenue", "assets"),
    [
        ("13", 500, None, None),  # revenue unknown, employees alone do not decide
        ("E", None, D(90000), None),  # total assets unknown
        ("F", 500, D(90000), None),  # wholesale or retail? the section alone does not say
        (None, 500, D(90000), D(90000)),  # industry unknown
    ],
)
def test_unknown_when_the_figures_do_not_decide(code, employees, revenue, assets):
    assert size_of(code, employees, revenue, assets) is None


def test_rule_table_is_ordered_and_every_division_has_one_row():
    for rule in RULES:
        lows = [rule.large, rule.medium, rule.small]
        for bigger, smaller in pairwise(lows):
            assert all(b >= s for b, s in zip(bigger, smaller, strict=True)), rule.group
    assert rule_for("7020") is not None and rule_for("7020").group == "property_management"
    for n in range(1, 100):
        assert rule_for(f"{n:02d}") is not None


REGISTRY = (
    "统一社会信用代码,企业名称,成立日期,行政区划代码,行业代码,企业规模,从业人数,营业收入(万元),资产总额(万元)\n"
    "{uscc},秦岭机电有限公司,2015-06-01,610113,13,small,350,2500,\n"
)


def test_registry_import_stores_the_size_beside_the_declared_one(app, factories, tmp_path):
    enterprise = factories.enterprise(industry_code="13", scale="small", employees=25)
    path = tmp_path / "registry.csv"
    path.write_text(REGISTRY.format(uscc=enterprise.uscc), encoding="utf-8")
    summary = ingest_services.ingest_file("enterprises", path)
    assert summary.rejected == 0, summary.rejections
    db.session.expire_all()
    row = db.session.get(Enterprise, enterprise.id)
    assert (row.revenue, row.employees, row.size, row.scale) == (D(2500), 350, MEDIUM, SMALL)
    facts = facts_of(enterprise.id)
    assert (facts.size, facts.size_by_standard, facts.scale) == (MEDIUM, MEDIUM, SMALL)
    assert facts.size_mismatch is True
    shown = shown_to_bank(for_banks(facts), ["enterprises"])
    assert shown["size_by_standard"] == MEDIUM and shown["size_mismatch"] is True
    assert "size_mismatch" not in shown_to_bank(for_banks(facts), ["tax_ratings"])


def test_declared_size_stands_in_while_the_standard_cannot_decide(factories):
    enterprise = factories.enterprise(industry_code="13", scale="micro", employees=400)
    facts = facts_of(enterprise.id)
    assert (facts.size_by_standard, facts.size, facts.size_mismatch) == (None, MICRO, False)


def test_product_sizes_are_validated_and_stored_in_the_standard_order(factories):
    product = make_product(factories.bank(), sizes=["small", "micro"])
    assert product.size_codes == ["micro", "small"]
    assert product_services.product_to_dict(product)["sizes"] == ["micro", "small"]
    every = make_product(factories.bank(), sizes=["micro", "small", "medium", "large"])
    assert every.sizes == ""  # every size = no limit
    with pytest.raises(ValidationFailed) as caught:
        make_product(factories.bank(), sizes=["tiny"])
    assert caught.value.field == "sizes" and "tiny" in caught.value.message


def test_matching_goes_by_the_standard_not_the_declared_size(factories):
    enterprise = factories.enterprise(industry_code="13", scale="small", employees=350)
    enterprise.revenue = D(2500)
    db.session.flush()
    from app.enterprises import sizing

    assert sizing.assign([enterprise.id]) == 1  # medium by the standard
    make_product(factories.bank(), sizes=["small", "micro"])
    facts = replace(facts_of(enterprise.id), grade="A", score=720, profile_id=1)
    [match] = matching.match(enterprise, "200000", 12, facts=facts)
    failed = [(c["criterion"], c["detail"]) for c in match.checks if not c["passed"]]
    assert failed == [("size", "中型企业，本产品仅限微型、小型企业")]
    assert sizing.assign([enterprise.id]) == 0  # nothing changed the second time


def test_cli_recomputes_and_counts(app, factories):
    import json

    enterprise = factories.enterprise(industry_code="94", scale="micro", employees=150)
    result = app.test_cli_runner().invoke(args=["enterprises", "sizes", "--recompute", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["recomputed_changed"] >= 1 and body["by_size"][MEDIUM] >= 1
    assert body["declared_differs"] >= 1
    assert db.session.get(Enterprise, enterprise.id).size == MEDIUM
