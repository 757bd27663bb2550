"""Disputes (异议): an enterprise contests one of its own records; the operator resolves it.

    models.py    Dispute (one per objection, a frozen copy of the record) and DisputeEvent
    records.py   the contested records: key and values, the enterprise's records, history
    services.py  file, resolve, list; the readers' set-based markers
    routes.py    the enterprise's records and objections; the operator's queue

Decisions worth knowing:
- A record with an open dispute shows `disputed: true` to banks (the key is absent on other
  rows, so existing consumers see no change of shape).
- `withdrawn` hides the record without touching the ingest tables: it is one of the record
  rules of `app/facts/records.py` (`counts(source, Model, as_of)`, a NOT EXISTS against
  `disputes`), which scoring, matching and the bank's view all apply.
- `corrected` goes through the import path (`ingest_records`, one record, origin `push`,
  labelled with the dispute): same validation, the old values kept in `record_history`.
"""
