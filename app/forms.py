"""Helpers for showing service errors on Flask-WTF forms."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from app.errors import ServiceError


def attach_error(form: FlaskForm, exc: ServiceError) -> None:
    """Show a service error beside its field (keeping what was typed), or as a flash."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "error")
