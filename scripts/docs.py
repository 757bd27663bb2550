"""Write the reference pages that are generated from the code, so they cannot drift from it.

    .venv/bin/python scripts/docs.py            # rewrite docs/formats.md and docs/cli.md
    .venv/bin/python scripts/docs.py --check    # exit 1 when either is out of date

`docs/formats.md` is rendered from the source specs (`app.ingest.specs.SPECS`) and
`docs/cli.md` from the Click commands the application registers; `tests/test_docs.py` fails
when a spec or a command changes without the page being regenerated.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.docs import render_cli, render_formats  # noqa: E402

PAGES = {"docs/formats.md": render_formats, "docs/cli.md": render_cli}


def main(argv: list[str]) -> int:
    stale = []
    for name, render in PAGES.items():
        path = ROOT / name
        text = render()
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run .venv/bin/python scripts/docs.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
