"""Publicity periods (公示期) of negative public-credit information: how long a record is shown.

    models.py    the rule table the operator adjusts: tiers (minimum and maximum period, shown
                 at all?) and which tier a category and severity fall in
    services.py  `window()`: a record's tier, shown from / until and repairable from, the one
                 computation; `assign()` stores them on the records; `run()` is the daily expiry
    cli.py       `flask publicity run|rules|set-tier|set-rule`
    tasks.py     the daily job

Whether a record counts on a day is decided in `app/facts/records.py` (`within_publicity`),
from the dates stored here; see docs/repair.md.
"""
