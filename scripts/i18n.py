"""Keep the English catalogue in step with the Chinese source strings.

    .venv/bin/python scripts/i18n.py            # extract, update; list untranslated msgids
    .venv/bin/python scripts/i18n.py --check    # exit 1 when any msgid lacks English

Simplified Chinese is the source language (the msgids); an untranslated string shows in
Chinese, never as a blank.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
POT = ROOT / "app" / "translations" / "messages.pot"
PO = ROOT / "app" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
FIXED_DATE = '"POT-Creation-Date: 2026-01-01 00:00+0000\\n"'


def extract() -> None:
    POT.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-k", "later", "--no-location", "--sort-output",
         "-o", str(POT), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    # A fixed creation date: the extraction time would make every branch's catalogue
    # conflict with every other's on the header alone.
    text = POT.read_text(encoding="utf-8")
    POT.write_text(
        re.sub(r'"POT-Creation-Date: [^"]*"', lambda _m: FIXED_DATE, text), encoding="utf-8"
    )


def update(translations: dict[str, str] | None = None) -> list[str]:
    """Merge the template into the English catalogue; returns msgids still untranslated."""
    with open(POT, "rb") as fh:
        template = read_po(fh)
    if PO.exists():
        with open(PO, "rb") as fh:
            catalog = read_po(fh, locale="en")
    else:
        PO.parent.mkdir(parents=True, exist_ok=True)
        catalog = read_po(open(POT, "rb"), locale="en")  # noqa: SIM115
    catalog.update(template, no_fuzzy_matching=True)
    for message in catalog:
        if message.id and translations and message.id in translations:
            message.string = translations[message.id]
    catalog.obsolete.clear()
    catalog.fuzzy = False
    catalog.project, catalog.version = "Xinyidai", "1.0"
    with open(PO, "wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False)
    return [m.id for m in catalog if m.id and not m.string]


if __name__ == "__main__":
    extract()
    missing = update()
    for msgid in missing:
        print(f"untranslated: {msgid}")
    if "--check" in sys.argv and missing:
        sys.exit(1)
