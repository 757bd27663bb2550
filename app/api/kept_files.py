"""An evidence file as the API shows it (disputes, credit repairs, fund claims): one shape
and one schema, from `app.evidence.StoredFile`."""

from __future__ import annotations

from collections.abc import Callable

from flask import request

from app.evidence import StoredFile

KEPT_FILE_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "filename": {"type": "string"},
        "content_type": {"type": "string"},
        "size": {"type": "integer"},
        "sha256": {"type": "string"},
        "url": {"type": "string", "description": "where the API serves it, when it does"},
    },
}


def kept_files_schema(description: str = "evidence files (PDF, JPEG, PNG)") -> dict:
    return {"type": "array", "description": description, "items": KEPT_FILE_SCHEMA}


def kept_file_json(kept: StoredFile, url: str | None = None) -> dict:
    shown = {
        "id": kept.id,
        "filename": kept.filename,
        "content_type": kept.content_type,
        "size": kept.size,
        "sha256": kept.sha256,
    }
    return shown | ({"url": url} if url else {})


def body_and_files(json_body: Callable[[], dict], id_field: str) -> tuple[dict, list]:
    """The fields and evidence files of a request that may be JSON (no files) or
    multipart/form-data with files in `files`; in a form, `id_field` becomes an int when it
    is one (as JSON would carry it), so the service checks one type either way."""
    if request.mimetype != "multipart/form-data":
        return json_body(), []
    body: dict = request.form.to_dict()
    raw = str(body.get(id_field) or "").strip()
    body[id_field] = int(raw) if raw.isdigit() and len(raw) < 10 else raw
    return body, request.files.getlist("files")
