"""Encryption at rest of small secrets (data-source tokens, second-factor secrets).

Each purpose gets its own key, derived from the app's SECRET_KEY with HKDF-SHA256 and a
fixed, purpose-bound `info`, so the database alone does not reveal a secret and no second
secret has to be deployed. Rotating SECRET_KEY makes stored secrets unreadable.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def fernet_for(info: bytes) -> Fernet:
    """The Fernet key of one purpose (`info`), derived from SECRET_KEY."""
    secret = current_app.config["SECRET_KEY"]
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        secret.encode() if isinstance(secret, str) else secret
    )
    return Fernet(base64.urlsafe_b64encode(key))
