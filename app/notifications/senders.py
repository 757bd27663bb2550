"""Pluggable delivery of notifications beyond the site (SMS, e-mail, WeCom…).

`NOTIFICATION_SENDER` names a class "module:Class" implementing `Sender`; the default logs.
"""

from __future__ import annotations

import importlib
import logging
from typing import Protocol

from flask import current_app

from app.notifications.models import Notification

log = logging.getLogger("xinyidai.notifications")


class Sender(Protocol):
    def send(self, notification: Notification) -> None: ...


class LoggingSender:
    """Development and tests: one log line per notification."""

    def send(self, notification: Notification) -> None:
        log.info(
            "notification %s to user=%s bank=%s enterprise=%s: %s",
            notification.kind,
            notification.user_id,
            notification.bank_id,
            notification.enterprise_id,
            notification.text,
        )


def configured_sender() -> Sender:
    path = current_app.config.get("NOTIFICATION_SENDER", "app.notifications.senders:LoggingSender")
    module, _sep, name = path.partition(":")
    return getattr(importlib.import_module(module), name)()
