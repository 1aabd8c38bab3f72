"""SMTP pipelining (RFC 2920) seen from the wire: a scripted server on loopback answers only once it has read
MAIL, RCPT and DATA together, so a client waiting for each reply would never get one."""

from __future__ import annotations

import socket
import threading

import pytest

from fuite.notify.smtp import PermanentFailure, ServerFailure, SmtpConfig, SmtpSender

MESSAGE = b"From: a@exemple.fr\r\nTo: b@exemple.fr\r\nSubject: x\r\n\r\n.une ligne\r\nfin\r\n"


class ScriptedServer:
    """One connection: greets, offers PIPELINING and 8BITMIME, then for each transaction reads the three
    envelope commands *before* replying ``replies`` (MAIL, RCPT, DATA), and records every line it reads."""

    def __init__(self, transactions: list[tuple[str, str, str]]):
        self.transactions = transactions
        self.lines: list[bytes] = []
        self.batches: list[list[bytes]] = []   # each transaction's envelope, all read before any reply
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(30)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        conn.settimeout(30)
        with conn, conn.makefile("rb") as reader:
            def line() -> bytes:
                self.lines.append(reader.readline())
                return self.lines[-1]

            conn.sendall(b"220 scripted\r\n")
            line()                                                         # EHLO
            conn.sendall(b"250-scripted\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            replies = iter(self.transactions)
            while command := line().upper():
                if command.startswith(b"QUIT"):
                    conn.sendall(b"221 bye\r\n")
                    return
                if command.startswith(b"RSET"):
                    conn.sendall(b"250 OK\r\n")
                    continue
                self.batches.append([self.lines[-1], line(), line()])     # no reply before all three are read
                mail, rcpt, data = next(replies)
                conn.sendall(f"{mail}\r\n{rcpt}\r\n{data}\r\n".encode())
                if data.startswith("354"):
                    while line() not in (b".\r\n", b""):
                        pass
                    conn.sendall(b"250 OK\r\n")

    def stop(self) -> None:
        self.thread.join(30)
        self.sock.close()


def _send(server: ScriptedServer, count: int) -> list[object]:
    outcomes = []
    with SmtpSender(SmtpConfig.from_url(f"smtp://127.0.0.1:{server.port}?timeout=30")) as sender:
        sender.open()
        assert sender.pipelining and sender.eight_bit
        for k in range(count):
            try:
                sender.send("notices@exemple.fr", f"p{k}@exemple.fr", MESSAGE, eight_bit=True)
                outcomes.append("sent")
            except (PermanentFailure, ServerFailure) as exc:
                outcomes.append(exc)
    server.stop()
    return outcomes


def test_mail_rcpt_and_data_go_together_and_the_message_is_dot_stuffed():
    server = ScriptedServer([("250 OK", "250 OK", "354 go"), ("250 OK", "250 OK", "354 go")])
    assert _send(server, 2) == ["sent", "sent"]
    assert server.batches[0] == [b"MAIL FROM:<notices@exemple.fr> BODY=8BITMIME\r\n", b"RCPT TO:<p0@exemple.fr>\r\n",
                                 b"DATA\r\n"]
    assert server.batches[1][1] == b"RCPT TO:<p1@exemple.fr>\r\n"
    assert b"..une ligne\r\n" in server.lines     # a line starting with a dot is doubled (RFC 5321 4.5.2)
    assert not any(line.upper().startswith(b"RSET") for line in server.lines)


def test_a_refused_recipient_whose_data_was_accepted_all_the_same_is_ended_with_a_dot_then_reset():
    """RFC 2920 3.1: DATA answered 354 although every RCPT was refused: send a lone dot, then RSET."""
    server = ScriptedServer([("250 OK", "550 5.1.1 no such user", "354 go"), ("250 OK", "250 OK", "354 go")])
    first, second = _send(server, 2)
    assert isinstance(first, PermanentFailure) and first.code == "550 at RCPT" and second == "sent"
    end = server.lines.index(b".\r\n")
    assert server.lines[end - 1] == b"DATA\r\n"         # nothing of the message before the dot
    assert server.lines[end + 1].upper().startswith(b"RSET")
    assert server.lines.count(b"From: a@exemple.fr\r\n") == 1           # the message went once, to p1


@pytest.mark.parametrize("mail, rcpt, data, code, kind", [
    ("530 5.7.0 Authentication required", "503 5.5.1 need MAIL", "503 5.5.1 need RCPT", "530 at MAIL", ServerFailure),
    ("250 OK", "550 5.7.1 relaying denied", "554 5.5.1 no valid recipients", "550 at RCPT", PermanentFailure),
    ("250 OK", "250 OK", "554 5.7.1 not now", "554 at DATA", PermanentFailure),
])
def test_a_refused_transaction_names_the_command_that_failed_and_is_reset(mail, rcpt, data, code, kind):
    server = ScriptedServer([(mail, rcpt, data), ("250 OK", "250 OK", "354 go")])
    first, second = _send(server, 2)
    assert isinstance(first, kind) and first.code == code and second == "sent"
    assert server.lines[4].upper().startswith(b"RSET") and b".\r\n" not in server.lines[:5]   # no message, RSET
