from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utcnow
from app.enterprises.size import SIZES
from app.extensions import db
from app.types import Money, UTCDateTime, one_of

SCALES = SIZES  # the declared size (企业规模) takes the standard's four values


class Region(db.Model):
    """A GB/T 2260 administrative division (Shaanxi): province, city or county."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(String(6), nullable=True)


class Industry(db.Model):
    """A GB/T 4754-2017 section (letter) or division (two digits)."""

    __tablename__ = "industries"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(String(4), nullable=True)


class Enterprise(db.Model):
    """The registry of enterprises, filled by the `enterprises` source.

    A business that registers on the site before the registry knows it gets a row with
    `verified = False` (not in the registry yet); the registry import later fills it and sets
    `verified`. Whether an *account* may act for the enterprise is another question,
    answered by `identity` (`User.verification_state`).
    """

    __tablename__ = "enterprises"
    __table_args__ = (
        CheckConstraint(one_of("scale", SCALES), name="scale"),
        CheckConstraint(one_of("size", SIZES), name="size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_rep: Mapped[str | None] = mapped_column(String(100), nullable=True)
    established_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # 注册资本, in 万元 (ten thousand yuan), as sources report it.
    registered_capital: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    region_code: Mapped[str | None] = mapped_column(
        String(6), ForeignKey("regions.code"), nullable=True, index=True
    )
    industry_code: Mapped[str | None] = mapped_column(String(4), nullable=True, index=True)
    # 企业规模 as the registry declares it; `size` is what the standard makes of the figures.
    scale: Mapped[str | None] = mapped_column(String(10), nullable=True)
    employees: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # 营业收入 and 资产总额, in 万元, as the registry reports them (for the size standard).
    revenue: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    total_assets: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
    # By 工信部联企业〔2011〕300号 (`enterprises.size`); NULL when a needed figure is unknown.
    size: Mapped[str | None] = mapped_column(String(10), nullable=True, index=True)
    address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    contact_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # 联系电话 from the registry (企业年报); verification codes go to this number only.
    contact_phone: Mapped[str | None] = mapped_column(String(30), nullable=True)
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    batch_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Enterprise {self.uscc}>"
