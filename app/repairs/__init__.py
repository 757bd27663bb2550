"""Credit repair (信用修复): an enterprise asks for a graded public-credit record to stop
counting before its publicity period ends; the operator decides within working-day limits.

    models.py    repairs, their events and evidence files, the credit commitment (信用承诺书)
    evidence.py  evidence files: checked by content, size-limited, stored outside the web root
    services.py  applying, deciding (approve / reject / extend once), reading
    routes.py    the enterprise's pages and the operator's queue
    api.py       the JSON API of the same services
    cli.py       `flask repairs list|decide`

Whether a repaired record counts is the record rule `not_repaired` of `app/facts/records.py`;
see docs/repair.md.
"""
