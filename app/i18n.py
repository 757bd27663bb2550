"""Sentences kept to be said later, in the language of whoever reads them.

A notification is written once and read by people with different languages (the site in
English for one officer, an e-mail in Chinese for another), so it is stored as the Chinese
msgid and its arguments, not as a rendered sentence, and rendered when shown. `later()` marks
the msgid for extraction (scripts/i18n.py passes `-k later`) and keeps it untranslated.

A `Later` without arguments also serves as a lazy label (`str()` reads it in the current
locale), for labels that stored sentences name (a source in "new tax records arrived").

Arguments are plain values already in a form that reads the same in both languages (amounts
through `format_yuan`, dates in ISO form, names and users' own words), or a `Later` of
their own for a word that is itself translated (a status label).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import force_locale, gettext


def default_locale() -> str:
    """The language of the msgids, and of the site to anyone who has not chosen another."""
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


@dataclass(frozen=True)
class Later:
    msgid: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def render(self) -> str:
        """The sentence in the current locale (an unknown msgid reads as the Chinese)."""
        values = {k: v.render() if isinstance(v, Later) else v for k, v in self.args.items()}
        return gettext(self.msgid, **values) if values else gettext(self.msgid)

    def __str__(self) -> str:  # as a lazy label: read in the current locale when shown
        return self.render()

    def render_in(self, locale: str | None) -> str:
        """The sentence in `locale` (None: the application's default)."""
        if not locale:
            return self.render()
        with force_locale(locale):
            return self.render()

    def to_json(self) -> dict[str, Any]:
        """The arguments as JSON: a nested sentence as its own msgid and arguments, an int
        as it is, anything else (a Decimal rate, a name) as the text it reads as."""

        def stored(v: Any) -> Any:
            if isinstance(v, Later):
                return v.to_stored()
            return v if isinstance(v, int | str) else str(v)

        return {k: stored(v) for k, v in self.args.items()}

    def to_stored(self) -> dict[str, Any]:
        return {"msgid": self.msgid, "args": self.to_json()}

    @classmethod
    def from_stored(cls, msgid: str, args: Mapping[str, Any] | None) -> Later:
        def value(v: Any) -> Any:
            if isinstance(v, dict) and set(v) == {"msgid", "args"}:
                return cls.from_stored(v["msgid"], v["args"])
            return v

        return cls(msgid, {k: value(v) for k, v in (args or {}).items()})


def later(msgid: str, **args: Any) -> Later:
    """A sentence to render when read: `later("您的申请 #%(id)s 已受理", id=7)`."""
    return Later(msgid, args)
