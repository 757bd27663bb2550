"""Field declarations the forms share, and showing service errors on Flask-WTF forms."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from app.errors import FieldErrors, ServiceError, ValidationFailed


def required_text(label: Any, message: Any, max_length: int) -> TextAreaField:
    """A text that must be written (`message` when it is not), at most `max_length` long."""
    return TextAreaField(
        label,
        validators=[
            DataRequired(message=message),
            Length(max=max_length, message=_l("内容过长")),
        ],
    )


def outcome_field(label: Any, choices: list, message: Any) -> RadioField:
    """An operator's choice of outcome, one of `choices` (`message` when none is chosen)."""
    return RadioField(label, choices=choices, validators=[DataRequired(message=message)])


def checkboxes(label: Any, **options: Any) -> SelectMultipleField:
    """A choice of several, shown as a list of check boxes (`choices` here or set per page)."""
    options.setdefault("choices", [])
    return SelectMultipleField(
        label, option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False), **options
    )


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
