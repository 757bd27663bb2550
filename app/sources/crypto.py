"""Encryption at rest of source tokens.

The key is derived from the app's SECRET_KEY with HKDF-SHA256 (`app.crypto`, a fixed,
purpose-bound `info`), so the database alone does not reveal a token, and no second secret has to be
deployed. Rotating SECRET_KEY makes stored tokens unreadable: set them again with
`flask sources set`.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from app.crypto import fernet_for

_INFO = b"xinyidai/data-source-token/v1"


class TokenUnreadable(Exception):
    """The stored token cannot be decrypted (SECRET_KEY changed, or the value is corrupt)."""


def _fernet() -> Fernet:
    return fernet_for(_INFO)


def encrypt_token(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode("ascii")


def decrypt_token(ciphertext: str) -> str:
    try:
        return _fernet().decrypt(ciphertext.encode("ascii")).decode()
    except (InvalidToken, ValueError) as exc:
        raise TokenUnreadable("stored source token cannot be decrypted") from exc
