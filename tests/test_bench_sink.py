"""The benchmarks' SMTP sink (bench/notify.py) counts what it accepted, whichever server it runs."""

from __future__ import annotations

import smtplib
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from notify import Sink, smtp_sink_command  # noqa: E402


@pytest.mark.parametrize("kind", ["smtp-sink", "aiosmtpd"])
def test_the_sink_counts_every_message_it_accepted(kind):
    if kind == "smtp-sink" and smtp_sink_command() is None:
        pytest.skip("Postfix's smtp-sink is not installed (bash install.sh installs it)")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@exemple.fr", "b@exemple.fr", "Notification"
    message.set_content("Madame, Monsieur, é\n" * 20)
    with Sink(2, kind) as sink:
        with smtplib.SMTP("127.0.0.1", sink.port) as client:
            for _ in range(7):
                client.send_message(message)
    assert sink.kind == kind and sink.received == 7 and sink.cpu >= 0
