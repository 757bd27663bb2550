"""The publicity rule table: tiers and which tier a record's category and severity fall in."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db

# 轻微 / 一般 / 严重, in increasing order of gravity.
TIERS = ("minor", "general", "serious")
# The categories of negative information the rules grade; licences and the red list are not
# graded (a licence has its own validity).
GRADED_CATEGORIES = ("penalty", "black_list")


class PublicityTier(db.Model):
    """One tier: shown for at least `min_months` (before that no repair) and at most
    `max_months` from the decision; `published` false = not shown at all (轻微)."""

    __tablename__ = "publicity_tiers"
    __table_args__ = (
        CheckConstraint("tier IN ('minor','general','serious')", name="tier"),
        CheckConstraint("min_months >= 0 AND max_months >= min_months", name="months"),
    )

    tier: Mapped[str] = mapped_column(String(10), primary_key=True)
    min_months: Mapped[int] = mapped_column(Integer)
    max_months: Mapped[int] = mapped_column(Integer)
    published: Mapped[bool] = mapped_column(Boolean)


class PublicityRule(db.Model):
    """Records of `category` with `severity` fall in `tier`; a rule without severity applies
    to the category's records no other rule of it names (unknown severity included)."""

    __tablename__ = "publicity_rules"
    __table_args__ = (
        UniqueConstraint("category", "severity"),
        CheckConstraint("category IN ('penalty','black_list')", name="category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str | None] = mapped_column(String(10), nullable=True)
    tier: Mapped[str] = mapped_column(ForeignKey("publicity_tiers.tier"))
