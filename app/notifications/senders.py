"""One family of senders for everything that leaves the site: notifications, SMS, e-mail.

A `Message` says which channel it goes by, to whom and what; a `Sender` delivers it or
raises `SendFailed`. Each channel's sender is chosen in configuration:

- `NOTIFICATION_SENDER`: notifications beyond the site ("module:Class"; default: the log);
- `SMS_SENDER`: `log` (development: the text goes to the log and to the operator's
  development outbox) or `http` (a real gateway, `HttpSmsSender`), or "module:Class".
"""

from __future__ import annotations

import importlib
import logging
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import requests
from flask import current_app
from flask_babel import gettext as _

from app.clock import utcnow
from app.errors import ServiceError
from app.httpclient import retrying_session

log = logging.getLogger("xinyidai.notifications")


class Channel(StrEnum):
    SITE = "site"  # a notification shown in the site (and handed on, e.g. to WeCom)
    SMS = "sms"
    EMAIL = "email"


@dataclass(frozen=True)
class Message:
    channel: Channel
    to: str  # a phone number, an e-mail address, or the site recipient ("user:7", "bank:2")
    body: str
    subject: str = ""
    kind: str = ""  # what it is about ("phone_code", "loan_decided"…), for the logs
    # The receiver's key to tell a retried delivery from a new message.
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


class SendFailed(ServiceError):
    status = 502
    code = "send_failed"


class Sender(Protocol):
    def send(self, message: Message) -> None: ...


@dataclass(frozen=True)
class Outgoing:
    """A message as the development outbox keeps it."""

    message: Message
    at: datetime


# Development only (`SMS_SENDER=log`): the last messages logged by this process, for the
# operator's page. A real gateway never puts a message here.
_OUTBOX: deque[Outgoing] = deque(maxlen=50)
_OUTBOX_LOCK = threading.Lock()


def development_outbox() -> list[Outgoing]:
    """The messages the logging sender handled in this process, newest first."""
    with _OUTBOX_LOCK:
        return list(reversed(_OUTBOX))


class LoggingSender:
    """Development and tests: one log line per message (and the development outbox)."""

    def send(self, message: Message) -> None:
        log.info("%s %s to %s: %s", message.channel, message.kind, message.to, message.body)
        if message.channel != Channel.SITE:
            with _OUTBOX_LOCK:
                _OUTBOX.append(Outgoing(message, utcnow()))


class HttpSmsSender:
    """A real SMS gateway: `POST SMS_GATEWAY_URL` with `Authorization: Bearer
    SMS_GATEWAY_TOKEN` and `{"id", "to", "text"}`; any 2xx is accepted.

    5xx answers and connection errors are retried like the data sources (`app.httpclient`);
    the message id lets the gateway drop a repeat of a request that did arrive.
    """

    def __init__(self) -> None:
        config = current_app.config
        self.url = config.get("SMS_GATEWAY_URL") or ""
        self.token = config.get("SMS_GATEWAY_TOKEN") or ""
        self.retries = int(config.get("SMS_RETRIES", 3))
        self.backoff_factor = float(config.get("SMS_BACKOFF_FACTOR", 1.0))
        self.timeout = float(config.get("SMS_TIMEOUT", 10.0))

    def send(self, message: Message) -> None:
        if not self.url:
            raise SendFailed(_("短信网关未配置"), code="sms_not_configured")
        session = retrying_session(
            self.token,
            retries=self.retries,
            backoff_factor=self.backoff_factor,
            backoff_max=30.0,
            retry_after_max=60,
            methods=frozenset({"POST"}),
            headers={"User-Agent": "xinyidai-sms/1", "Idempotency-Key": message.id},
        )
        payload = {"id": message.id, "to": message.to, "text": message.body}
        try:
            with session:
                response = session.post(self.url, json=payload, timeout=self.timeout)
        except requests.RequestException as exc:
            log.warning("sms %s to gateway failed: %s", message.id, type(exc).__name__)
            raise SendFailed(_("短信发送失败：无法连接短信网关，请稍后再试")) from exc
        if not 200 <= response.status_code < 300:
            log.warning("sms %s refused by gateway: HTTP %s", message.id, response.status_code)
            raise SendFailed(
                _("短信发送失败：短信网关返回 %(status)d，请稍后再试", status=response.status_code)
            )
        log.info("sms %s %s accepted by gateway", message.id, message.kind)


SHORT_NAMES = {
    Channel.SMS: {
        "log": "app.notifications.senders:LoggingSender",
        "http": "app.notifications.senders:HttpSmsSender",
    },
}
CONFIG_KEYS = {Channel.SITE: "NOTIFICATION_SENDER", Channel.SMS: "SMS_SENDER"}


def sender_for(channel: Channel) -> Sender:
    """The configured sender of a channel (a short name or "module:Class")."""
    path = current_app.config.get(CONFIG_KEYS[channel]) or "log"
    path = SHORT_NAMES.get(channel, {}).get(path, path)
    if path == "log":
        return LoggingSender()
    module, _sep, name = path.partition(":")
    return getattr(importlib.import_module(module), name)()


def configured_sender() -> Sender:
    """The notifications' sender (`NOTIFICATION_SENDER`)."""
    return sender_for(Channel.SITE)
