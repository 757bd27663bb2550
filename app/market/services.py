"""What anyone may see without logging in: published products, searched and filtered, with
their conditions in words, and the platform's aggregate figures (suppressed like the other
statistics: a figure that rests on fewer than the minimum number of enterprises is not shown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from app.applications.models import Application
from app.banks.models import Bank
from app.enterprises.models import Enterprise
from app.enterprises.services import industry_names, region_names
from app.enterprises.size import SIZE_LABELS, Size
from app.extensions import db
from app.matching.criteria import region_candidates
from app.paging import PER_PAGE, page_of
from app.products.models import PRODUCT_TYPES, Product

SORTS = ("rate", "amount", "newest")
MAX_QUERY = 50


@dataclass(frozen=True)
class Filters:
    """A supermarket query, read from the request's arguments (all optional)."""

    q: str = ""
    type: str = ""
    bank: int | None = None
    region: str = ""
    amount: Decimal | None = None
    term: int | None = None
    tag: str = ""
    sort: str = "rate"
    page: int = 1

    @classmethod
    def from_args(cls, args) -> tuple[Filters, dict[str, str]]:
        """The filters and, per argument that could not be read, why (the rest still apply)."""
        errors: dict[str, str] = {}

        def text(name: str) -> str:
            return (args.get(name) or "").replace("\x00", "").strip()[:MAX_QUERY]

        def whole(name: str, low: int, high: int) -> int | None:
            raw = text(name)
            if not raw:
                return None
            if not raw.isdigit() or not low <= int(raw) <= high:
                errors[name] = _("应为 %(low)d 到 %(high)d 的整数", low=low, high=high)
                return None
            return int(raw)

        amount = None
        raw_amount = text("amount").replace(",", "")
        if raw_amount:
            try:
                amount = Decimal(raw_amount)
            except InvalidOperation:
                amount = None
            if amount is None or not amount.is_finite() or not 0 < amount < 10**12:
                errors["amount"] = _("请填写大于 0 的金额（元）")
                amount = None
        kind = text("type")
        if kind and kind not in PRODUCT_TYPES:
            errors["type"] = _("未知的产品类型")
            kind = ""
        region = text("region")
        if region and region not in region_names():
            errors["region"] = _("未知的行政区划")
            region = ""
        sort = text("sort") or "rate"
        filters = cls(
            q=text("q"),
            type=kind,
            bank=whole("bank", 1, 2**31 - 1),
            region=region,
            amount=amount,
            term=whole("term", 1, 600),
            tag=text("tag"),
            sort=sort if sort in SORTS else "rate",
            page=whole("page", 1, 100_000) or 1,
        )
        return filters, errors

    def args(self, **changes) -> dict[str, str]:
        """The query string of these filters (for links to other pages and sorts)."""
        values = {
            "q": self.q,
            "type": self.type,
            "bank": self.bank,
            "region": self.region,
            "amount": self.amount,
            "term": self.term,
            "tag": self.tag,
            "sort": self.sort if self.sort != "rate" else None,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


@dataclass
class Page:
    products: list[Product]
    total: int
    page: int
    pages: int
    tags: list[str] = field(default_factory=list)


def search(filters: Filters) -> Page:
    """Published products that fit the filters, cheapest first unless sorted otherwise."""
    stmt = select(Product).join(Bank).where(Product.status == "published")
    if filters.q:
        like = f"%{filters.q}%"
        stmt = stmt.where(
            or_(Product.name.ilike(like), Bank.name.ilike(like), Product.description.ilike(like))
        )
    if filters.type:
        stmt = stmt.where(Product.type == filters.type)
    if filters.bank:
        stmt = stmt.where(Product.bank_id == filters.bank)
    if filters.region:
        covering = region_candidates(filters.region) or [filters.region]
        stmt = stmt.where(
            or_(Product.regions == "", *[Product.regions.like(f"%,{c},%") for c in covering])
        )
    if filters.amount is not None:
        stmt = stmt.where(
            Product.amount_min <= filters.amount, Product.amount_max >= filters.amount
        )
    if filters.term is not None:
        stmt = stmt.where(
            Product.term_min_months <= filters.term, Product.term_max_months >= filters.term
        )
    order = {
        "rate": (Product.rate_min, Product.id),
        "amount": (Product.amount_max.desc(), Product.id),
        "newest": (Product.published_at.desc(), Product.id.desc()),
    }[filters.sort]
    # Every fitting product's id and tags (for the tag choices and the tag filter: a short
    # JSON list, compared as words, since the two databases store JSON differently), then
    # the page's products only: a province's thousands of products are not loaded per view.
    fitting = db.session.execute(stmt.with_only_columns(Product.id, Product.tags).order_by(*order))
    tags: set[str] = set()
    ids = []
    for product_id, product_tags in fitting:
        tags.update(product_tags or [])
        if not filters.tag or filters.tag in (product_tags or []):
            ids.append(product_id)
    page, pages = page_of(len(ids), filters.page, PER_PAGE)
    shown = ids[(page - 1) * PER_PAGE : page * PER_PAGE]
    found = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(shown)))}
    return Page([found[i] for i in shown], len(ids), page, pages, sorted(tags))


def banks_with_products() -> list[Bank]:
    return list(
        db.session.scalars(
            select(Bank)
            .where(Bank.id.in_(select(Product.bank_id).where(Product.status == "published")))
            .order_by(Bank.name)
        )
    )


def conditions(product: Product) -> list[str]:
    """The product's eligibility conditions beyond amount and term, as a reader would say them."""
    regions = region_names()
    industries = industry_names()
    words = []
    if product.region_codes:
        names = "、".join(regions.get(c, c) for c in product.region_codes)
        words.append(_("限以下地区的企业：%(names)s", names=names))
    if product.industry_codes:
        names = "、".join(industries.get(c, c) for c in product.industry_codes)
        words.append(_("限以下行业：%(names)s", names=names))
    if product.size_codes:
        names = "、".join(str(SIZE_LABELS[Size(s)]) for s in product.size_codes)
        words.append(_("限%(sizes)s企业（按中小企业划型标准）", sizes=names))
    if product.min_grade:
        words.append(_("平台信用等级不低于 %(grade)s", grade=product.min_grade))
    if product.min_score is not None:
        words.append(_("信用评分不低于 %(score)d 分", score=product.min_score))
    if product.min_years is not None:
        words.append(_("成立满 %(years)d 年", years=product.min_years))
    if product.min_tax_grade:
        words.append(_("纳税信用级别不低于 %(grade)s 级", grade=product.min_tax_grade))
    if product.exclude_black_list:
        words.append(_("未列入严重失信主体名单"))
    return words


@dataclass(frozen=True)
class Figures:
    enterprises: int
    banks: int
    products: int
    loans: int | None  # None: too few enterprises behind it to show
    loan_amount: Decimal | None
    minimum: int


def public_figures() -> Figures:
    """Platform-wide totals; the loan figures only when enough enterprises stand behind them."""
    minimum = int(current_app.config.get("STATS_MIN_ENTERPRISES", 3))
    disbursed = Application.state == "disbursed"
    loans, amount, borrowers = db.session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(Application.disbursed_amount), 0),
            func.count(func.distinct(Application.enterprise_id)),
        ).where(disbursed)
    ).one()
    shown = borrowers >= minimum
    return Figures(
        enterprises=db.session.scalar(select(func.count()).select_from(Enterprise)) or 0,
        banks=db.session.scalar(
            select(func.count(func.distinct(Product.bank_id))).where(Product.status == "published")
        )
        or 0,
        products=db.session.scalar(
            select(func.count()).select_from(Product).where(Product.status == "published")
        )
        or 0,
        loans=loans if shown else None,
        loan_amount=Decimal(amount) if shown else None,
        minimum=minimum,
    )
