"""Scheduled jobs of the application life cycle (registered in app/scheduler/jobs.py)."""

from __future__ import annotations

from app.applications import services


def remind_applications() -> dict:
    """Remind banks of applications with one working day left to accept."""
    return {"reminded": services.remind_due()}


def expire_applications() -> dict:
    """Expire submitted applications past their deadline."""
    return {"expired": services.expire_overdue()}
