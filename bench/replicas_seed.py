"""Adds to a `serving` seed what the `replicas` section reads: the statistics rollup of every
completed month (`python -m bench.replicas_seed '{}'`). Prints one JSON line: what it rolled."""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    from app import create_app
    from app.extensions import db
    from app.stats.rollup import roll_up

    app = create_app("development")
    with app.app_context():
        done = roll_up()
        db.session.commit()
    print(json.dumps({"rollup": done}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
