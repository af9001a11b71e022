"""The outbox's channels: e-mail through SMTP, and a WhatsApp/SMS gateway named by configuration.

``SmtpSender`` sends one ``outbox.Message`` per SMTP connection (notifications are few; a
connection per message keeps a failure confined to it), Indonesian first with the English
translation below, from ``SMTP_FROM``, with STARTTLS when asked. ``load_gateway`` builds the
gateway class named by ``NOTIFY_GATEWAY`` (a dotted path ``package.module.ClassName``): any
class with ``send(message)`` (see ``outbox.Message``), built without arguments; no vendor is
part of the product (docs/operations.md "Notifications").
"""

from __future__ import annotations

import importlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from .outbox import Message
from .outbox import Sender


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """``SMTP_HOST``/``PORT``/``USER``/``PASSWORD``/``STARTTLS``/``FROM``."""

    host: str
    port: int = 587
    user: str = ""
    password: str = ""
    starttls: bool = True
    sender: str = ""
    timeout: float = 30.0


def email_of(message: Message, sender: str) -> EmailMessage:
    """Return the e-mail of a message: Indonesian, then English, then the link."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.address
    mail["Subject"] = message.subject
    mail["Message-ID"] = make_msgid(f"notifikasi-{message.id}")
    parts = [f"Yth. {message.name},", "", message.subject, message.body, ""]
    if message.link:
        parts += [f"Buka: {message.link}", ""]
    parts += ["-- English --", message.subject_en, message.body_en]
    if message.link:
        parts += ["", f"Open: {message.link}"]
    mail.set_content("\n".join(parts).strip() + "\n")
    return mail


class SmtpSender:
    """Send messages by e-mail through one SMTP server."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, message: Message) -> None:
        """Send one message; any SMTP or network error propagates (the outbox retries)."""
        s = self.settings
        with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.user:
                smtp.login(s.user, s.password)
            smtp.send_message(email_of(message, s.sender or s.user))


def load_gateway(dotted: str) -> Sender:
    """Build the gateway class named ``package.module.ClassName`` (no arguments).

    :raises ValueError: the name does not name a class with a ``send`` method.
    """
    module_name, _, class_name = dotted.rpartition(".")
    if not module_name:
        raise ValueError(f"NOTIFY_GATEWAY must be package.module.ClassName, not {dotted!r}")
    cls = getattr(importlib.import_module(module_name), class_name, None)
    if cls is None or not callable(getattr(cls, "send", None)):
        raise ValueError(f"NOTIFY_GATEWAY {dotted!r} names no class with send(message)")
    gateway: Sender = cls()
    return gateway
