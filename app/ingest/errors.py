"""The error of an input unusable as a whole (the readers and the limits raise it)."""

from __future__ import annotations

from app.errors import ServiceError


class UnusableInput(ServiceError):
    """The input as a whole cannot be used (unreadable, corrupt, past a limit, a required
    column missing, an unknown source); nothing of it is written."""

    status = 422
    code = "unusable_input"
