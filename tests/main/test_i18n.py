"""Every Chinese source string has an English translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def test_every_msgid_is_translated_to_english(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with open(pot, "rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    po_path = ROOT / "app/translations/en/LC_MESSAGES/messages.po"
    with open(po_path, "rb") as fh:
        translated = {m.id for m in read_po(fh, locale="en") if m.id and m.string}
    missing = sorted(wanted - translated)
    assert not missing, "run `.venv/bin/python scripts/i18n.py` and translate: " + ", ".join(
        missing
    )
