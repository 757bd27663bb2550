"""Loan products published by banks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.banks.models import Bank
from app.clock import utcnow
from app.extensions import db
from app.types import LabelledEnum, Money, Rate, UTCDateTime, one_of


class ProductType(LabelledEnum):
    CREDIT = "credit", _l("信用贷")  # unsecured
    COLLATERAL = "collateral", _l("抵押贷")
    GUARANTEE = "guarantee", _l("担保贷")


class ProductStatus(LabelledEnum):
    DRAFT = "draft", _l("草稿")
    PUBLISHED = "published", _l("已发布")
    SUSPENDED = "suspended", _l("已暂停")
    RETIRED = "retired", _l("已停用")  # final


TYPE_LABELS = ProductType.labels()
STATUS_LABELS = ProductStatus.labels()
PRODUCT_TYPES: tuple[str, ...] = tuple(t.value for t in ProductType)
PRODUCT_STATES: tuple[str, ...] = tuple(s.value for s in ProductStatus)


def _codes(text: str | None) -> list[str]:
    return [code for code in (text or "").split(",") if code]


class Product(db.Model):
    """A bank's loan product and its eligibility criteria.

    Regions, industries and sizes are stored as ",code,code," (empty = all) so that matching
    filters them in SQL with LIKE on both databases; `region_codes` / `industry_codes`
    give the lists.
    """

    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint(one_of("type", PRODUCT_TYPES), name="type"),
        CheckConstraint(one_of("status", PRODUCT_STATES), name="status"),
        CheckConstraint("amount_min > 0 AND amount_min <= amount_max", name="amount_range"),
        CheckConstraint(
            "term_min_months > 0 AND term_min_months <= term_max_months", name="term_range"
        ),
        CheckConstraint("rate_min > 0 AND rate_min <= rate_max", name="rate_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(12))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    amount_min: Mapped[Decimal] = mapped_column(Money())
    amount_max: Mapped[Decimal] = mapped_column(Money())
    term_min_months: Mapped[int] = mapped_column(Integer)
    term_max_months: Mapped[int] = mapped_column(Integer)
    rate_min: Mapped[Decimal] = mapped_column(Rate())
    rate_max: Mapped[Decimal] = mapped_column(Rate())
    regions: Mapped[str] = mapped_column(Text, default="")
    industries: Mapped[str] = mapped_column(Text, default="")
    # Enterprise sizes served (`enterprises.size`), ",small,micro," (empty = any size).
    sizes: Mapped[str] = mapped_column(Text, default="")
    # A grade code of the active scorecard (`scoring.services.active_grade_order`): a product
    # whose code the active version no longer defines fits no enterprise until it is edited.
    min_grade: Mapped[str | None] = mapped_column(String(3), nullable=True)
    min_score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    min_years: Mapped[int | None] = mapped_column(Integer, nullable=True)
    min_tax_grade: Mapped[str | None] = mapped_column(String(1), nullable=True)
    exclude_black_list: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    bank: Mapped[Bank] = relationship(lazy="joined")

    @property
    def region_codes(self) -> list[str]:
        return _codes(self.regions)

    @property
    def industry_codes(self) -> list[str]:
        return _codes(self.industries)

    @property
    def size_codes(self) -> list[str]:
        return _codes(self.sizes)

    def __repr__(self) -> str:
        return f"<Product {self.id} {self.name}>"
