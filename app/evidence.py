"""Evidence files (credit repair, objections): what is accepted and where it is kept.

A file is accepted when its *content* is a PDF, a JPEG or a PNG (magic bytes), its name's
extension and declared type (when given) say the same thing, it is not empty and it is no
larger than `EVIDENCE_MAX_MB`. Every file of an application is checked before any is
kept, so a refused application leaves nothing behind. Files are kept under
`EVIDENCE_DIR` (default: the instance folder's `evidence/`), outside the web root, under a
random name; only the enterprise that filed them and the operator are served them.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.clock import utcnow
from app.errors import NotFound, ValidationFailed
from app.types import UTCDateTime, one_of

# content type → (magic prefix, extensions)
KINDS: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "application/pdf": (b"%PDF-", (".pdf",)),
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
}
CONTENT_TYPES: tuple[str, ...] = tuple(KINDS)
NAME_MAX = 200
FIELD = "evidence"


@dataclass(frozen=True)
class Upload:
    """An accepted file, read into memory (it is at most a few megabytes)."""

    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def max_bytes() -> int:
    return int(current_app.config["EVIDENCE_MAX_MB"] * 1024 * 1024)


def storage_dir() -> Path:
    configured = current_app.config.get("EVIDENCE_DIR")
    return Path(configured or os.path.join(current_app.instance_path, "evidence"))


def sniff(data: bytes) -> str | None:
    """The content type the bytes are, by their magic prefix (None: none we accept)."""
    for content_type, (magic, _exts) in KINDS.items():
        if data.startswith(magic):
            return content_type
    return None


def _display_name(name: str | None) -> str:
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    return base[-NAME_MAX:] or "evidence"


def check(name: str | None, declared: str | None, stream: IO[bytes]) -> Upload:
    """One file, accepted or refused with a message naming it."""
    filename = _display_name(name)
    limit = max_bytes()
    data = stream.read(limit + 1)
    if not data:
        raise ValidationFailed(FIELD, _("文件 %(name)s 是空的", name=filename), code="empty_file")
    if len(data) > limit:
        raise ValidationFailed(
            FIELD,
            _("文件 %(name)s 超过 %(mb)s MB 的上限", name=filename,
              mb=current_app.config["EVIDENCE_MAX_MB"]),
            code="file_too_large",
        )  # fmt: skip
    content_type = sniff(data)
    extension = os.path.splitext(filename)[1].lower()
    declared = (declared or "").split(";")[0].strip().lower()
    if content_type is None:
        raise ValidationFailed(
            FIELD,
            _("文件 %(name)s 不是 PDF、JPEG 或 PNG 文件", name=filename),
            code="unsupported_file",
        )
    generic = ("", "application/octet-stream")
    if extension not in KINDS[content_type][1] or declared not in (*generic, content_type):
        raise ValidationFailed(
            FIELD,
            _("文件 %(name)s 的内容与其类型不符", name=filename),
            code="file_type_mismatch",
        )
    return Upload(filename, content_type, data)


def check_all(files: list[Any], *, required: bool = True, field: str = FIELD) -> list[Upload]:
    """Werkzeug `FileStorage`s (or anything with filename, mimetype, stream), all checked
    before any is kept; at least one when `required`, at most `EVIDENCE_MAX_FILES`; an error
    names `field`."""
    files = [f for f in files if f is not None and (f.filename or "").strip()]
    if not files:
        if not required:
            return []
        raise ValidationFailed(field, _("请上传证明材料（PDF、JPEG 或 PNG）"), code="required")
    most = int(current_app.config["EVIDENCE_MAX_FILES"])
    if len(files) > most:
        raise ValidationFailed(field, _("最多上传 %(n)s 个文件", n=most), code="too_many_files")
    try:
        return [check(f.filename, getattr(f, "mimetype", None), f.stream) for f in files]
    except ValidationFailed as exc:
        exc.field = field
        raise


def store(upload: Upload) -> str:
    """Write an accepted file; returns its stored name."""
    folder = storage_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16) + KINDS[upload.content_type][1][0]
    with open(folder / stored_name, "xb") as out:
        out.write(upload.data)
    return stored_name


def remove(stored_names: list[str]) -> None:
    """Delete kept files (an application that failed after they were written)."""
    for stored_name in stored_names:
        with contextlib.suppress(FileNotFoundError):
            (storage_dir() / stored_name).unlink()


def path_of(stored_name: str) -> Path:
    return storage_dir() / stored_name


def send_kept(kept: StoredFile):
    """The response that hands a kept file over, under the name it was given; NotFound when
    the file has gone from the storage folder. Whoever may have it is the caller's service's
    question (`file_for`)."""
    from flask import send_file

    path = path_of(kept.stored_name)
    if not path.is_file():
        raise NotFound(_("文件不存在"))
    return send_file(
        path, mimetype=kept.content_type, as_attachment=True, download_name=kept.filename
    )


@contextlib.contextmanager
def keeping(uploads: list[Upload]):
    """Store accepted files for the block, yielding [(upload, stored name)]; if the block
    fails (a conflict, a database error), every file it stored is removed again."""
    stored: list[str] = []
    try:
        pairs = []
        for upload in uploads:
            name = store(upload)
            stored.append(name)
            pairs.append((upload, name))
        yield pairs
    except BaseException:
        remove(stored)
        raise


class StoredFile:
    """The columns of a kept evidence file, for the models that keep them (a repair's, an
    objection's): stored as `stored_name`, never the name the enterprise gave, which is kept
    for display only."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple:  # noqa: N805 - a class-level directive
        return (CheckConstraint(one_of("content_type", CONTENT_TYPES), name="content_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @classmethod
    def kept(cls, upload: Upload, stored_name: str, now: datetime):
        """The row of an accepted file written under `stored_name` (see `keeping`)."""
        return cls(  # type: ignore[call-arg]
            filename=upload.filename, content_type=upload.content_type, size=len(upload.data),
            sha256=upload.sha256, stored_name=stored_name, created_at=now,
        )  # fmt: skip
