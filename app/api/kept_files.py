"""An evidence file as the API shows it (disputes, credit repairs, fund claims): one shape
and one model, from `app.evidence.StoredFile`; and the body of a request that may carry such
files."""

from __future__ import annotations

from flask import request
from pydantic import Field

from app.api.schemas import M, Shape, parse, parse_form
from app.evidence import StoredFile


class KeptFile(Shape):
    """An evidence file kept with a dispute, a repair or a claim."""

    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    url: str | None = Field(None, description="where the API serves it, when it does")


def kept_file_json(kept: StoredFile, url: str | None = None) -> dict:
    shown = {
        "id": kept.id,
        "filename": kept.filename,
        "content_type": kept.content_type,
        "size": kept.size,
        "sha256": kept.sha256,
    }
    return shown | ({"url": url} if url else {})


def body_and_files(model: type[M]) -> tuple[M, list]:
    """The body of a request that may be JSON (no files) or multipart/form-data with files in
    `files`, read as `model` either way (a form's `"12"` is an integer as JSON's 12 is)."""
    if request.mimetype != "multipart/form-data":
        return parse(model), []
    return parse_form(model), request.files.getlist("files")
