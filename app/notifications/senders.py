"""One family of senders for everything that leaves the site: notifications, SMS, e-mail.

A `Message` says which channel it goes by, to whom and what; a `Sender` delivers it or
raises `SendFailed`. Each channel's sender is chosen in configuration:

- `NOTIFICATION_SENDER`: notifications beyond the site ("module:Class"; default: the log);
- `SMS_SENDER`: `log` (development: the text goes to the log and to the operator's
  development outbox) or `http` (a real gateway, `HttpSmsSender`), or "module:Class";
- `MAIL_SENDER`: `log` (development) or `smtp` (`SmtpSender`: SMTP_HOST, SMTP_PORT,
  SMTP_SECURITY starttls / ssl / none, SMTP_USER, SMTP_PASSWORD, MAIL_FROM), or
  "module:Class". E-mail leaves through the outbox (`notifications.mail`), never from a
  request.
"""

from __future__ import annotations

import importlib
import logging
import smtplib
import ssl
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from enum import StrEnum
from typing import Protocol

import requests
from flask import current_app
from flask_babel import gettext as _

from app.clock import utcnow
from app.errors import ServiceError
from app.httpclient import post_once

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
        payload = {"id": message.id, "to": message.to, "text": message.body}
        try:
            response = post_once(
                self.url,
                self.token,
                payload,
                key=message.id,
                agent="xinyidai-sms/1",
                timeout=self.timeout,
                retries=self.retries,
                backoff_factor=self.backoff_factor,
            )
        except requests.RequestException as exc:
            log.warning("sms %s to gateway failed: %s", message.id, type(exc).__name__)
            raise SendFailed(_("短信发送失败：无法连接短信网关，请稍后再试")) from exc
        if not 200 <= response.status_code < 300:
            log.warning("sms %s refused by gateway: HTTP %s", message.id, response.status_code)
            raise SendFailed(
                _("短信发送失败：短信网关返回 %(status)d，请稍后再试", status=response.status_code)
            )
        log.info("sms %s %s accepted by gateway", message.id, message.kind)


class SmtpSender:
    """A real mail server: one SMTP session per message, TLS as `SMTP_SECURITY` says
    (`starttls`, the default; `ssl`; `none` only for a server on the same host), login when
    `SMTP_USER` is set. Any refusal or connection error is `SendFailed` (the outbox retries)."""

    def __init__(self) -> None:
        config = current_app.config
        self.host = config.get("SMTP_HOST") or ""
        self.port = int(config.get("SMTP_PORT") or 587)
        self.security = (config.get("SMTP_SECURITY") or "starttls").lower()
        self.user = config.get("SMTP_USER") or ""
        self.password = config.get("SMTP_PASSWORD") or ""
        self.sender = config.get("MAIL_FROM") or "noreply@xinyidai.invalid"
        self.timeout = float(config.get("SMTP_TIMEOUT", 15.0))

    def send(self, message: Message) -> None:
        if not self.host:
            raise SendFailed(_("邮件服务器未配置"), code="mail_not_configured")
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject or _("信易贷通知")
        mail["Message-ID"] = make_msgid(idstring=message.id)
        mail.set_content(message.body)
        try:
            if self.security == "ssl":
                context = ssl.create_default_context()
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.user:
                    client.login(self.user, self.password)
                client.send_message(mail)
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("mail %s to %s failed: %s", message.id, self.host, type(exc).__name__)
            raise SendFailed(_("邮件发送失败：%(why)s", why=type(exc).__name__)) from exc
        log.info("mail %s %s accepted by %s", message.id, message.kind, self.host)


SHORT_NAMES = {
    Channel.SMS: {
        "log": "app.notifications.senders:LoggingSender",
        "http": "app.notifications.senders:HttpSmsSender",
    },
    Channel.EMAIL: {
        "log": "app.notifications.senders:LoggingSender",
        "smtp": "app.notifications.senders:SmtpSender",
    },
}
CONFIG_KEYS = {
    Channel.SITE: "NOTIFICATION_SENDER",
    Channel.SMS: "SMS_SENDER",
    Channel.EMAIL: "MAIL_SENDER",
}


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
