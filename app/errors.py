"""Errors raised by services and turned into responses at the boundary.

Services raise these; the API answers `{"error": {"code", "message"}}` with the status,
web views flash the message, CLI commands print it.
"""

from __future__ import annotations


class ServiceError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        if code:
            self.code = code

    def to_dict(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class ValidationFailed(ServiceError):
    status = 422
    code = "validation_failed"

    def __init__(self, field: str | None, message: str, *, code: str | None = None):
        super().__init__(message, code=code, field=field)


class FieldErrors(ValidationFailed):
    """Several fields wrong at once: every one is named, so that a form can mark them all
    and an API client fix them all in one go. `field` / `message` are the first of them."""

    def __init__(self, errors: dict[str, str]):
        if not errors:
            raise ValueError("FieldErrors needs at least one error")
        self.errors = {name: str(message) for name, message in errors.items()}
        first = next(iter(self.errors))
        super().__init__(first, self.errors[first])

    def to_dict(self) -> dict:
        return {**super().to_dict(), "fields": dict(self.errors)}


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Locked(ServiceError):
    status = 429
    code = "account_locked"
