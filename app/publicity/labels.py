"""Words for the tiers and for why a record is not shown (the API keeps the codes)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TIER_LABELS = {"minor": _l("轻微"), "general": _l("一般"), "serious": _l("严重")}
PUBLICITY_STATES = {
    "shown": _l("公示中"),
    "pending": _l("尚未公示"),
    "expired": _l("公示期满，不再公示"),
    "not_published": _l("依规不予公示"),
    "withdrawn": _l("记录已撤销"),
    "repaired": _l("已信用修复，不再公示"),
}
