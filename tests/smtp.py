"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the tests that send mail, and the app
configured to send to it (`smtp` fixture in tests/conftest.py)."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy


class Inbox:
    """What the server received: `messages` (parsed) and, beside each, its `recipients`."""

    def __init__(self) -> None:
        self.messages: list = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
