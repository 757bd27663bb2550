"""The generated reference pages (docs/formats.md, docs/cli.md) equal what the code says."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.docs import render_cli, render_formats
from app.ingest.specs import SPECS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("page", "render"), [("docs/formats.md", render_formats), ("docs/cli.md", render_cli)]
)
def test_page_is_current(page, render):
    assert (ROOT / page).read_text(encoding="utf-8") == render(), (
        f"{page} is out of date: run .venv/bin/python scripts/docs.py"
    )


def test_formats_name_every_field_and_alias():
    text = render_formats()
    for spec in SPECS.values():
        assert f"## `{spec.name}`" in text
        for f in spec.fields:
            assert f"`{f.name}`" in text
            for alias in f.aliases:
                assert alias in text


def test_no_file_points_outside_the_project():
    outside = ("DESIGN" + ".md", "../" + "shared")
    offenders = [
        str(path.relative_to(ROOT))
        for pattern in ("app/**/*", "tests/**/*", "bench/**/*", "docs/**/*", "scripts/**/*", "*.md")
        for path in ROOT.glob(pattern)
        if path.is_file()
        and path.suffix in {".py", ".md", ".html", ".txt", ".cfg", ".toml"}
        and any(word in path.read_text(encoding="utf-8", errors="replace") for word in outside)
    ]
    assert offenders == []
