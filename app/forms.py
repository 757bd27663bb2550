"""Helpers for showing service errors on Flask-WTF forms."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm

from app.errors import FieldErrors, ServiceError, ValidationFailed


def attach_error(form: FlaskForm, exc: ServiceError, *, prefix: str = "") -> None:
    """Show a service error beside its field (keeping what was typed), or as a flash.

    `prefix` names a second place to look: a form that renders a record's value `amount`
    as the field `value_amount` passes "value_". A `FieldErrors` marks every field it names.
    """
    if isinstance(exc, FieldErrors):
        for name, message in exc.errors.items():
            attach_error(form, ValidationFailed(name, message), prefix=prefix)
        return
    field = None
    if exc.field:
        field = getattr(form, exc.field, None) or getattr(form, prefix + exc.field, None)
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "error")
