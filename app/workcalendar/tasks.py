"""Scheduled job: warn the operator while a year's holiday schedule is unknown (daily)."""

from __future__ import annotations

from app.clock import local_today
from app.workcalendar import services

# The State Council announces next year's holidays in the autumn (for 2026: November 2025).
NEXT_YEAR_FROM_MONTH = 11


class CalendarUnknown(RuntimeError):
    pass


def check_calendar() -> dict:
    """Fails (so the operator sees it among the job runs) while this year, or from November
    next year, is known neither to chinese-calendar nor from the operator's entries:
    deadlines then count Monday to Friday."""
    today = local_today()
    years = [today.year] + ([today.year + 1] if today.month >= NEXT_YEAR_FROM_MONTH else [])
    rows = services.coverage(years)
    missing = [r["year"] for r in rows if not r["package"] and not r["entered"]]
    if missing:
        listed = ", ".join(str(y) for y in missing)
        raise CalendarUnknown(
            f"{listed} 年的节假日安排未知，工作日暂按周一至周五计算："
            "请按国务院办公厅通知用 `flask calendar set` 录入，或升级 chinesecalendar"
        )
    return {"years": rows}
