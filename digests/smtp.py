"""Delivery's SMTP side: each subscriber's copy of a digest onto an open connection.

Building and encoding a MIME message costs far more than the SMTP exchange, so over SMTP
each rendered mail is serialized once and copied per subscriber by substitution, and the
commands of one mail go in one round trip when the server allows it. Anything else (another
backend, an address that needs encoding) takes Django's full builder.
"""

import re
import smtplib

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import make_msgid, sanitize_address
from django.core.mail.utils import DNS_NAME

from newsletter.emails import subscriber_links, subscriber_message
from newsletter.models import Subscriber

from .rendering import PREFERENCES_PLACEHOLDER, UNSUBSCRIBE_PLACEHOLDER, RenderedDigest, rendered_message

ADDRESS_PLACEHOLDER = "vivold-recipient@placeholder.invalid"


def digest_copy_send(
    *,
    mail: BaseEmailBackend,
    rendered: RenderedDigest,
    subscriber: Subscriber,
    serialized: dict[int, "SerializedDigest"],
) -> None:
    """Send this subscriber's copy over `mail` (open). `serialized` keeps each rendered mail's
    bytes for the next subscriber. Raises what smtplib raises."""
    if isinstance(mail, SmtpBackend) and _plain_address(subscriber.email):
        if id(rendered) not in serialized:
            serialized[id(rendered)] = SerializedDigest(rendered)
        copy = serialized[id(rendered)]
        if copy.usable:
            raw = copy.bytes_for(email=subscriber.email, links=subscriber_links(subscriber))
            _sendmail_pipelined(mail.connection, copy.from_email, subscriber.email, raw)
            return
    mail.send_messages([rendered_message(rendered=rendered, subscriber=subscriber, connection=mail)])


def smtp_reply(error: Exception) -> tuple[int, str]:
    """The SMTP reply code (0 for a network error) and a readable description."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (451, b""))
    elif isinstance(error, smtplib.SMTPResponseException):
        code, text = error.smtp_code, error.smtp_error
    else:
        return 0, f"{type(error).__name__}: {error}"
    return code, f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"


class SerializedDigest:
    """One digest mail turned into bytes once, with the per-subscriber parts left as placeholders.

    Serialized through subscriber_message, the builder every other path uses; each
    subscriber's copy substitutes their address, links and a fresh Message-ID. `usable` is
    False when the encoding hid a placeholder (a body too long for 8-bit lines gets
    quoted-printable): then every mail is built in full instead.
    """

    def __init__(self, rendered: RenderedDigest):
        probe = Subscriber(pk=0, email=ADDRESS_PLACEHOLDER)
        links = {"unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER, "preferences_url": PREFERENCES_PLACEHOLDER}
        text, html = rendered.personalize(links)
        message = subscriber_message(
            subscriber=probe, subject=rendered.subject, text=text, html=html, unsubscribe_url=UNSUBSCRIBE_PLACEHOLDER
        )
        mime = message.message()
        self.message_id = mime["Message-ID"]
        self.raw = mime.as_bytes(linesep="\r\n")
        self.from_email = sanitize_address(message.from_email, message.encoding or settings.DEFAULT_CHARSET)
        expected = {
            ADDRESS_PLACEHOLDER: 1,
            UNSUBSCRIBE_PLACEHOLDER: 1 + text.count(UNSUBSCRIBE_PLACEHOLDER) + html.count(UNSUBSCRIBE_PLACEHOLDER),
            PREFERENCES_PLACEHOLDER: text.count(PREFERENCES_PLACEHOLDER) + html.count(PREFERENCES_PLACEHOLDER),
            self.message_id: 1,
        }
        self.usable = all(self.raw.count(key.encode()) == n for key, n in expected.items())
        self._pattern = re.compile(b"|".join(re.escape(key.encode()) for key in expected))

    def bytes_for(self, *, email: str, links: dict[str, str]) -> bytes:
        values = {
            ADDRESS_PLACEHOLDER.encode(): email.encode(),
            UNSUBSCRIBE_PLACEHOLDER.encode(): links["unsubscribe_url"].encode(),
            PREFERENCES_PLACEHOLDER.encode(): links["preferences_url"].encode(),
            self.message_id.encode(): make_msgid(domain=DNS_NAME).encode(),
        }
        return self._pattern.sub(lambda match: values[match.group()], self.raw)


def _plain_address(email: str) -> bool:
    """An address that goes into headers as it is (anything else takes the full builder)."""
    return email.isascii() and not any(c.isspace() or c in '<>",;' for c in email)


def _sendmail_pipelined(smtp: smtplib.SMTP, sender: str, recipient: str, raw: bytes) -> None:
    """smtplib's sendmail for one recipient, with MAIL, RCPT and DATA in one round trip
    when the server offers PIPELINING (RFC 2920). Raises the same exceptions as sendmail."""
    if not (smtp.does_esmtp and smtp.has_extn("pipelining")):
        smtp.sendmail(sender, [recipient], raw)
        return
    smtp.send(f"MAIL FROM:{smtplib.quoteaddr(sender)}\r\nRCPT TO:{smtplib.quoteaddr(recipient)}\r\nDATA\r\n")
    mail_reply, rcpt_reply, data_reply = smtp.getreply(), smtp.getreply(), smtp.getreply()
    accepted = mail_reply[0] == 250 and rcpt_reply[0] in (250, 251)
    if data_reply[0] == 354 and not accepted:
        smtp.send(b".\r\n")  # a server that took DATA anyway gets an empty message, then RSET
        smtp.getreply()
    if not accepted or data_reply[0] != 354:
        try:
            smtp.rset()
        except smtplib.SMTPServerDisconnected:
            pass
        if mail_reply[0] != 250:
            raise smtplib.SMTPSenderRefused(*mail_reply, sender)
        if not accepted:
            raise smtplib.SMTPRecipientsRefused({recipient: rcpt_reply})
        raise smtplib.SMTPDataError(*data_reply)
    quoted = re.sub(rb"(?m)^\.", b"..", raw)
    if not quoted.endswith(b"\r\n"):
        quoted += b"\r\n"
    smtp.send(quoted + b".\r\n")
    code, text = smtp.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, text)
