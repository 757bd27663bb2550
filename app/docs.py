"""Reference pages rendered from the definitions they describe (see `scripts/docs.py`).

The source file formats come from `app.ingest.specs.SPECS` and the command line from the
Click commands the application registers, so `docs/formats.md` and `docs/cli.md` are the
code's own account of its contracts; a test keeps the committed pages equal to these.
"""

from __future__ import annotations

import inspect

import click

from app.ingest.specs import (
    AMOUNT,
    DATE,
    DAY_OR_MONTH,
    ENUM,
    INDUSTRY,
    INT,
    PERIOD,
    REGION,
    SPECS,
    TEXT,
    USCC,
    YEAR,
    Field,
)

# How each kind of value is read (the parsers in app.ingest.parsers / normalize).
KIND_WORDS = {
    USCC: "unified social credit code, 18 characters with a valid check character; upper-cased",
    TEXT: "text; surrounding spaces trimmed, full-width characters normalised (NFKC)",
    DATE: "date: `2024-03-05`, `2024/3/5`, `20240305`, `2024年3月5日` or an Excel date",
    PERIOD: "month: `2024-03`, `202403`, `2024年3月`",
    DAY_OR_MONTH: "date (as above), or a month (`2024-03`, `202403`, `2024年3月`) meaning its"
    " last day",
    YEAR: "year: `2024`",
    AMOUNT: "amount (yuan; registered capital in 万元): thousands separators, `¥`/`￥`, `元` "
    "allowed; not negative",
    INT: "whole number, not negative",
    ENUM: "one of the listed words (Chinese or English, case-insensitive)",
    REGION: "GB/T 2260 administrative division code of Shaanxi (6 digits)",
    INDUSTRY: "GB/T 4754-2017 section letter, or a code whose first two digits are a division",
}


def _choices(f: Field) -> str:
    by_value: dict[str, list[str]] = {}
    for spelling, value in f.choices.items():
        if spelling != value.lower():
            by_value.setdefault(value, []).append(spelling)
    return "; ".join(
        f"`{value}`" + (f" ({' / '.join(spellings)})" if spellings else "")
        for value, spellings in by_value.items()
    )


LIMITS_DOC = [
    "## Big and hostile files",
    "",
    "A file past one of these limits is refused whole with a reason in words (nothing is",
    "written; the failed batch is recorded; `flask ingest file` exits 2). Settings, with",
    "their defaults:",
    "",
    "| setting | default | refuses |",
    "| --- | --- | --- |",
    "| `INGEST_MAX_ROWS` | 5,000,000 | a file with more data rows |",
    "| `INGEST_MAX_CELL_CHARS` | 32,767 (Excel's own cell limit) | a cell the import reads"
    " that is longer |",
    "| `INGEST_MAX_LINE_KB` | 1,024 | a CSV line that is longer, found while the encoding is"
    " checked, before the CSV parser would buffer it |",
    "| `INGEST_XLSX_MAX_UNPACKED_MB` | 1,024 | an XLSX whose parts unpack to more in all |",
    "| `INGEST_XLSX_MAX_SHARED_STRINGS_MB` | 100 | an XLSX whose shared-strings part (held in"
    " memory while the sheet is read) is bigger |",
    "| `INGEST_XLSX_MAX_SHARED_STRINGS` | 2,000,000 | an XLSX with more shared strings (each"
    " one a Python object in memory: 6 million one-letter strings in 99 MB took openpyxl"
    " 560 MB) |",
    "",
    "An XLSX is a zip of XML parts, and a 1 MB workbook can unpack to gigabytes (a zip bomb).",
    "Before the workbook is opened, the archive is checked: at most 1,000 parts (read from the",
    "zip's end record), the sizes its directory declares, then every part inflated block by",
    "block and counted, so that a part unpacking to more (or less) than it declares is",
    "refused as forged after one block, and the limits hold for the bytes really unpacked.",
    "The sheet is then read streaming (openpyxl read-only, through `defusedxml`, which refuses",
    "XML entity bombs), rows counted as they come. Memory stays at a block or two for a",
    "refused file (`tests/ingest/test_hostile_files.py` measures it).",
    "",
    "### Background imports",
    "",
    "An uploaded or pushed file bigger than `INGEST_BACKGROUND_MB` (5) is not imported by the",
    "web worker (gunicorn would stop it after 30 s): it is stored outside the web root",
    "(`INGEST_JOB_DIR`, default `instance/ingest-jobs/`), its batch is created `queued`, and",
    "the answer comes at once: the operator's page goes to the batch page, the API answers",
    "`202` with the batch's state and `Location: /api/v1/ingest/batches/{id}`. The",
    "scheduler's `run_import_jobs` (every 10 s) claims queued batches one by one (one",
    "`UPDATE … WHERE status = 'queued'`, so two schedulers never run one batch) and imports",
    "them exactly as a small file: the same limits, the same all-or-nothing batch. While it",
    "runs, the rows read, the rows rejected so far, the total (when the file tells) and a",
    "heartbeat are written to the batch row about once a second in transactions of their own,",
    "so the batch page (refreshed by a small script every 3 s) and",
    "`GET /api/v1/ingest/batches/{id}` show state, rows, percent and elapsed time, then the",
    "summary or the reason it failed. A batch whose heartbeat is older than",
    "`INGEST_JOB_STALE_SECONDS` (900) belonged to a process that died (its transaction died",
    "with it): it is queued again, and failed after `INGEST_JOB_MAX_ATTEMPTS` (3) tries. On",
    "SQLite (development) the import holds the only write lock, so there the progress appears",
    "only when the batch ends. Smaller files and JSON record pushes are imported at once.",
    "",
]


def render_formats() -> str:
    lines = [
        "# Source file formats",
        "",
        "<!-- Generated by scripts/docs.py from app/ingest/specs.py; do not edit by hand. -->",
        "",
        "Files are CSV (UTF-8 with or without BOM, GB18030/GBK) or XLSX (first sheet). A header",
        "names a field by its English or any of its Chinese names, compared after NFKC",
        "normalisation, trimming and lower-casing (so `注册资本（万元）` finds `注册资本(万元)`;",
        "a trailing `*` is ignored). Unknown columns are ignored; a missing required column makes",
        "the whole file unusable and nothing is written (`flask ingest file` exits 2).",
        "",
        "A row is rejected, with its spreadsheet row number (header = 1), column and reason, for",
        "an invalid code, an enterprise not in the registry, a missing required value, a value",
        "that cannot be read, a negative amount or count, a date or period in the future where",
        "marked below, or a word outside its list. The other rows load. Two rows with the same",
        "natural key in one file: identical → one counts and the other is `unchanged`; different",
        "→ both are rejected as conflicting. Re-importing changes nothing (`unchanged`); a",
        "corrected value is `updated` and the old value kept in history. Non-public sources are",
        "stored only under the enterprise's collection authorization (else `skipped_no_consent`).",
        "",
        "The same fields serve HTTP pulls (`GET {base_url}/{source}?uscc=…&since=YYYY-MM&page=N`",
        'with `Authorization: Bearer TOKEN`, answering `{"records": [...], "next_page": N|null}`)',
        "and pushes (`POST /api/v1/ingest/{source}`).",
        "",
        *LIMITS_DOC,
    ]
    for spec in SPECS.values():
        lines += [
            f"## `{spec.name}`" + (" (non-public)" if spec.non_public else ""),
            "",
            f"Natural key: {', '.join(f'`{k}`' for k in spec.key)}.",
            "",
            "| field | Chinese names | required | value |",
            "| --- | --- | --- | --- |",
        ]
        for f in spec.fields:
            words = KIND_WORDS[f.kind]
            if f.choices:
                words += ": " + _choices(f)
            if f.not_future:
                words += "; not in the future"
            if f.max_length:
                words += f"; at most {f.max_length} characters"
            required = "yes" if f.required else ""
            lines.append(f"| `{f.name}` | {' / '.join(f.aliases)} | {required} | {words} |")
        lines.append("")
        for note in spec.notes:
            lines += [note, ""]
    return "\n".join(lines)


def _usage(command: click.Command, path: str) -> str:
    ctx = click.Context(command, info_name=path)
    return " ".join(command.collect_usage_pieces(ctx))


def _walk(group: click.Group, ctx: click.Context, path: str) -> list[str]:
    lines: list[str] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        full = f"{path} {name}"
        if isinstance(command, click.Group):
            lines += [f"## `{full}`", "", inspect.cleandoc(command.help or ""), ""]
            lines += _walk(command, click.Context(command, parent=ctx, info_name=name), full)
            continue
        lines += [f"### `{f'{full} {_usage(command, full)}'.strip()}`", ""]
        if command.help:
            lines += [inspect.cleandoc(command.help), ""]
        options = [
            p
            for p in command.params
            if isinstance(p, click.Option) and not p.hidden and p.name != "help"
        ]
        for p in options:
            lines.append(f"- `{' / '.join(p.opts + p.secondary_opts)}`: {p.help or ''}".rstrip())
        if options:
            lines.append("")
    return lines


# Commands that Flask and its extensions bring, documented by them.
_FOREIGN = {"db", "limiter", "routes", "run", "shell"}


def render_cli() -> str:
    from app import create_app

    app = create_app()
    group = app.cli
    ctx = click.Context(group, info_name="flask", obj=None)
    lines = [
        "# Command line",
        "",
        "<!-- Generated by scripts/docs.py from the registered commands; do not edit by hand. -->",
        "",
        "Run as `.venv/bin/flask --app wsgi COMMAND …` (`flask db upgrade` migrates; `flask run`",
        "serves for development). Every command below also answers `--help`.",
        "",
    ]
    for name in sorted(app.cli.commands):
        if name in _FOREIGN:
            continue
        command = app.cli.commands[name]
        if isinstance(command, click.Group):
            lines += [f"## `flask {name}`", "", inspect.cleandoc(command.help or ""), ""]
            lines += _walk(
                command, click.Context(command, parent=ctx, info_name=name), f"flask {name}"
            )
        else:
            usage = f"flask {name} {_usage(command, name)}".strip()
            lines += [f"## `{usage}`", "", inspect.cleandoc(command.help or ""), ""]
    return "\n".join(line.rstrip() for line in lines).rstrip() + "\n"
