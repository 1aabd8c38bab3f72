"""Tell the DPO when the audit trail fails to verify: one email through the case's SMTP settings.

The message names the case folder, the case id and what differs (sequence numbers, dates, actions): never an
identifier of the leak.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

from fuite.errors import NotifyError, UsageError
from fuite.store.audit import Problem


def alert_message(case_dir, case_id: str, problems: list[Problem], sender: str, recipient: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, recipient
    msg["Subject"] = f"[fuite] audit verification failed for case {case_id[:8]}"
    msg["Date"], msg["Message-ID"] = formatdate(localtime=False), make_msgid(domain="fuite.invalid")
    lines = [f"`fuite audit` on {socket.gethostname()} found that the audit trail of the case in {case_dir}",
             f"(case id {case_id}) does not verify:", ""]
    lines += [f"- entry {p.seq}: {p.reason}" for p in problems]
    lines += ["", "Someone may have rolled the case back, truncated or rewritten its log. Keep the case folder and",
              "the witness file as they are, and compare them with your backups before running other commands."]
    msg.set_content("\n".join(lines) + "\n")
    return msg


def smtp_target(case_file) -> tuple[str, str, str]:
    """(SMTP URL, sender, DPO address) from the typed case file, or a usage error naming the missing key."""
    url, sender, to = case_file.smtp.url, case_file.smtp.sender, case_file.dpo.email
    for value, key in ((url, "smtp.url"), (sender, "smtp.from"), (to, "dpo.email")):
        if not value:
            raise UsageError(f"case.toml: {key} is empty: --alert cannot reach the DPO")
    return url, sender, to


def _connect(url: str, timeout: float = 30.0) -> smtplib.SMTP:
    """One SMTP session from ``smtp[s]://[user:password@]host[:port][?starttls=never]``: TLS whenever offered,
    and never a password without it (the rules of ``fuite.notify.smtp``, which the store cannot import)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise UsageError("case.toml: smtp.url: expected smtp://… or smtps://…")
    context, tls = ssl.create_default_context(), parts.scheme == "smtps"
    if tls:
        conn = smtplib.SMTP_SSL(parts.hostname, parts.port or 465, timeout=timeout, context=context)
    else:
        conn = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=timeout)
        conn.ehlo()
        if "starttls=never" not in parts.query and conn.has_extn("starttls"):
            conn.starttls(context=context)
            conn.ehlo()
            tls = True
    if parts.username:
        if not tls:
            conn.close()
            raise NotifyError("refusing to send the SMTP password without TLS (use smtps:// or STARTTLS)")
        conn.login(unquote(parts.username), unquote(parts.password or ""))
    return conn


def send_alert(case_dir, case_id: str, case_file, problems: list[Problem]) -> str:
    """Email the DPO; returns the recipient."""
    url, sender, to = smtp_target(case_file)
    message = alert_message(case_dir, case_id, problems, sender, to)
    try:
        conn = _connect(url)
        try:
            conn.send_message(message, from_addr=sender, to_addrs=[to])
        finally:
            conn.quit()
    except (OSError, smtplib.SMTPException) as exc:
        raise NotifyError(f"the alert to the DPO could not be sent ({type(exc).__name__})") from None
    return to
