"""An evidence file as the API shows it (disputes, credit repairs, fund claims): one shape
and one schema, from `app.evidence.StoredFile`."""

from __future__ import annotations

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
