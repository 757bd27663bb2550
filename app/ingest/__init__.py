"""Data in: the six sources from files, HTTP pulls and the push API, through one path.

    readers.py    CSV (UTF-8 ± BOM, GB18030/GBK) and XLSX files, or records → raw chunks
    specs.py      one field spec per source (names, Chinese aliases, kinds, keys)
    parsers.py    one raw value → stored value (dates, periods, amounts, USCC…)
    normalize.py  validate a chunk (parsing each distinct value once), rejections + reasons
    writers.py    stage (COPY / executemany) and write set-based in the batch transaction
    services.py   ingest_file / ingest_records / ingest_upload → BatchSummary

Decisions worth knowing:
- One transaction per batch. Services flush; the caller commits. On failure the session
  is rolled back and the failed batch is recorded and committed on its own.
- Rejections name the column as written in the input (the header the user sees); the
  summary also carries `code` and `reason_en`. Every bad field of a row is reported; the
  `rejected` count is of rows. The summary lists at most 10,000 rejections (all are stored,
  and the batch page offers them as CSV).
- Record numbers for pulls and pushes start at 1 (no header row); file rows start at 2.
- Order of checks: field values → enterprise in the registry → collection authorization
  (non-public sources) → duplicate keys within the batch → upsert. So a row of an
  enterprise without authorization is `skipped_no_consent` even if it repeats a key.
- SQLite stages with executemany and upserts with the same INSERT … SELECT … ON CONFLICT
  as PostgreSQL (which stages with COPY).
"""
