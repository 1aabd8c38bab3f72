"""Sending mail over SMTP: URL settings, one persistent connection, outcomes classified.

``smtp://user:password@host:port`` (STARTTLS when the server offers it),
``smtps://…`` (implicit TLS). Query options: ``starttls=auto|require|never``,
``cafile=PATH`` (trust this CA, e.g. a test certificate), ``timeout=SECONDS``,
``helo=NAME``. A password is never sent without TLS.

:meth:`SmtpSender.send` either returns (the server accepted the message with 250)
or raises one of :class:`TemporaryFailure` (4xx, connection trouble before the
message was handed over: safe to retry), :class:`PermanentFailure` (5xx at RCPT
or DATA: a hard bounce of that recipient), :class:`ServerFailure` (the server
refuses the session or the sender, not the recipient: 530/535 authentication,
5xx at MAIL, a refused greeting; the run must stop, nobody is marked failed) or
:class:`InDoubt` (the connection broke while the message was being handed over:
the server may or may not have it). RSET follows every failed transaction.
Exception texts hold SMTP codes only, never an address.

When the server offers PIPELINING (RFC 2920), MAIL, RCPT and DATA go in one write and their three replies
are read in order, then the message: two round trips per message instead of four. A refused MAIL or RCPT
whose DATA was nevertheless accepted (354) is ended with a lone dot, as RFC 2920 3.1 asks, then RSET.
"""

from __future__ import annotations

import smtplib
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from fuite.errors import NotifyError, UsageError

__all__ = ["SmtpConfig", "SmtpSender", "Throttle", "TemporaryFailure", "PermanentFailure", "ServerFailure", "InDoubt"]

#: Codes that concern the session or the sender wherever they come: authentication required or failed.
_SESSION_CODES = frozenset({530, 534, 535, 538})


class TemporaryFailure(Exception):
    """Not delivered this time; retry later (4xx or connection trouble before DATA)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class PermanentFailure(Exception):
    """Refused for good (5xx): a hard bounce."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class ServerFailure(NotifyError):
    """The server refuses the session or the sender (not this recipient): stop the run, mark nobody failed."""

    def __init__(self, code: str):
        super().__init__(f"the SMTP server refused the session or the sender ({code}); nothing was marked "
                         f"failed: fix the SMTP settings (smtp.url, smtp.from) and run again")
        self.code = code


class InDoubt(Exception):
    """The connection broke while the message was handed over: it may have been accepted."""


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to connect. Build with :meth:`from_url`."""

    host: str
    port: int
    implicit_tls: bool = False
    user: str = ""
    password: str = ""
    starttls: str = "auto"     # auto / require / never
    cafile: str = ""
    timeout: float = 30.0
    helo: str = ""

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        """Parse ``smtp[s]://[user[:password]@]host[:port][?options]``; errors never echo the URL."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise UsageError("SMTP URL: cannot be parsed (expected smtp://user:password@host:port)") from None
        if parts.scheme not in ("smtp", "smtps"):
            raise UsageError("SMTP URL: the scheme must be smtp:// or smtps://")
        if not parts.hostname:
            raise UsageError("SMTP URL: no host")
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(options) - {"starttls", "cafile", "timeout", "helo"}
        if unknown:
            raise UsageError(f"SMTP URL: unknown option {sorted(unknown)[0]!r}")
        starttls = options.get("starttls", "auto")
        if starttls not in ("auto", "require", "never"):
            raise UsageError("SMTP URL: starttls must be auto, require or never")
        try:
            timeout = float(options.get("timeout", 30))
        except ValueError:
            raise UsageError("SMTP URL: timeout must be a number of seconds") from None
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname, port=port or (465 if implicit else 25), implicit_tls=implicit,
            user=unquote(parts.username or ""), password=unquote(parts.password or ""),
            starttls=starttls, cafile=options.get("cafile", ""), timeout=timeout, helo=options.get("helo", ""),
        )

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cafile or None)


def _code_of(exc: smtplib.SMTPResponseException) -> int:
    return int(getattr(exc, "smtp_code", 0) or 0)


def _classify(code: int, where: str) -> Exception:
    if 400 <= code < 500:
        return TemporaryFailure(f"{code} at {where}")
    if code in _SESSION_CODES or where in ("MAIL", "connect"):
        return ServerFailure(f"{code} at {where}")
    return PermanentFailure(f"{code} at {where}")


def _angled(address: str) -> str:
    """``<addr-spec>`` (what ``smtplib.quoteaddr`` gives, without its parser for a plain addr-spec)."""
    if address and not any(c in address for c in '<>"() \t\r\n,;'):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


class SmtpSender:
    """One persistent SMTP connection (reopened when lost); use as a context manager."""

    def __init__(self, config: SmtpConfig):
        self.config = config
        self.conn: smtplib.SMTP | None = None
        self.tls = False
        self.eight_bit = False   # the server offers 8BITMIME (RFC 6152)
        self.pipelining = False  # the server offers PIPELINING (RFC 2920)

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def open(self) -> None:
        """Connect, say EHLO, upgrade to TLS when possible, log in."""
        c = self.config
        try:
            if c.implicit_tls:
                conn = smtplib.SMTP_SSL(c.host, c.port, local_hostname=c.helo or None, timeout=c.timeout,
                                        context=c.tls_context())
                self.tls = True
            else:
                conn = smtplib.SMTP(c.host, c.port, local_hostname=c.helo or None, timeout=c.timeout)
                self.tls = False
            conn.ehlo()
            if not self.tls and c.starttls != "never" and conn.has_extn("starttls"):
                conn.starttls(context=c.tls_context())
                conn.ehlo()
                self.tls = True
        except (ssl.SSLError, ssl.CertificateError) as exc:
            raise ServerFailure(f"TLS handshake failed: {type(exc).__name__}") from None
        except smtplib.SMTPResponseException as exc:
            raise _classify(_code_of(exc), "connect") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"connect: {type(exc).__name__}") from None
        self.eight_bit = conn.has_extn("8bitmime")
        self.pipelining = conn.has_extn("pipelining")
        if c.starttls == "require" and not self.tls:
            conn.close()
            raise NotifyError("the SMTP server does not offer STARTTLS (starttls=require)")
        if c.user:
            if not self.tls:
                conn.close()
                raise NotifyError("refusing to send the SMTP password without TLS (use smtps:// or STARTTLS)")
            try:
                conn.login(c.user, c.password)
            except smtplib.SMTPAuthenticationError as exc:
                conn.close()
                raise NotifyError(f"SMTP authentication failed ({_code_of(exc)})") from None
            except smtplib.SMTPException as exc:
                conn.close()
                raise NotifyError(f"SMTP login failed ({type(exc).__name__})") from None
        self.conn = conn

    def close(self) -> None:
        """Say QUIT if possible and drop the connection."""
        if self.conn is not None:
            try:
                self.conn.quit()
            except (OSError, smtplib.SMTPException):
                self.conn.close()
            self.conn = None

    def _drop(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
            self.conn = None

    def send(self, sender: str, recipient: str, message: bytes, *, eight_bit: bool = False) -> None:
        """Hand one message over; return on 250, raise TemporaryFailure / PermanentFailure / InDoubt otherwise.

        ``eight_bit``: the message has 8bit parts, sent with ``BODY=8BITMIME`` (the server must offer it).
        """
        if self.conn is None:
            self.open()
        conn = self.conn
        if eight_bit and not self.eight_bit:
            raise NotifyError("an 8bit message for a server without 8BITMIME")
        if self.pipelining and sender.isascii() and recipient.isascii():
            return self._send_pipelined(conn, sender, recipient, message, eight_bit)
        try:
            code, _ = conn.mail(sender, ["BODY=8BITMIME"] if eight_bit else [])
            if code != 250:
                self._reset()
                raise _classify(code, "MAIL")
            code, _ = conn.rcpt(recipient)
            if code not in (250, 251):
                self._reset()
                raise _classify(code, "RCPT")
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            raise TemporaryFailure(f"connection lost before DATA: {type(exc).__name__}") from None
        try:
            code, _ = conn.data(message)
        except smtplib.SMTPDataError as exc:   # DATA itself refused (no 354): nothing handed over
            self._reset()
            raise _classify(_code_of(exc), "DATA") from None
        except (OSError, smtplib.SMTPServerDisconnected):
            self._drop()
            raise InDoubt() from None
        self._ended(code)

    def _send_pipelined(self, conn: smtplib.SMTP, sender: str, recipient: str, message: bytes,
                        eight_bit: bool) -> None:
        """:meth:`send` with MAIL, RCPT and DATA in one write (RFC 2920), then the message and its dot."""
        envelope = (f"MAIL FROM:{_angled(sender)}{' BODY=8BITMIME' if eight_bit else ''}\r\n"
                    f"RCPT TO:{_angled(recipient)}\r\nDATA\r\n").encode("ascii")
        try:
            conn.send(envelope)
            mail, rcpt, data = conn.getreply()[0], conn.getreply()[0], conn.getreply()[0]
            refused = (mail, "MAIL") if mail != 250 else (rcpt, "RCPT") if rcpt not in (250, 251) else None
            if refused and data == 354:   # DATA accepted all the same: end an empty message (RFC 2920 3.1)
                conn.send(b".\r\n")
                conn.getreply()
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            raise TemporaryFailure(f"connection lost before DATA: {type(exc).__name__}") from None
        if refused is None and data != 354:
            refused = (data, "DATA")
        if refused and refused[0] == 421:
            self._drop()
        elif refused:
            self._reset()
        if refused:
            raise _classify(*refused)
        if message.startswith(b"."):
            message = b"." + message
        try:
            conn.send(message.replace(b"\r\n.", b"\r\n..") + (b".\r\n" if message.endswith(b"\r\n") else b"\r\n.\r\n"))
            code = conn.getreply()[0]
        except (OSError, smtplib.SMTPServerDisconnected):
            self._drop()
            raise InDoubt() from None
        self._ended(code)

    def _ended(self, code: int) -> None:
        """The reply to the end of DATA: return on 250; else drop the connection (421) or RSET, and raise."""
        if code == 250:
            return
        if code == 421:
            self._drop()
        else:
            self._reset()
        raise _classify(code, "end of DATA")

    def _reset(self) -> None:
        if self.conn is None:
            return
        try:
            code, _ = self.conn.rset()
            if code == 421:
                self._drop()
        except (OSError, smtplib.SMTPException):
            self._drop()


class Throttle:
    """At most ``rate`` calls of :meth:`wait` per second (0: no limit), evenly spaced; thread-safe."""

    def __init__(self, rate: float, clock=time.monotonic, sleep=time.sleep):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.next = clock()
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:   # reserve a slot, then sleep outside the lock
            slot = max(self.next, self.clock())
            self.next = slot + self.interval
        delay = slot - self.clock()
        if delay > 0:
            self.sleep(delay)

