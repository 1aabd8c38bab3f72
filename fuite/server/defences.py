"""What keeps the self-check from being an oracle: four budgets and an adaptive proof of work.

Every lookup is checked, in this order, by

1. **a per-client budget**: a token bucket per client address (IPv4 address, IPv6 /64 prefix);
2. **a per-bucket budget**: a token bucket per index bucket. The bucket is computed from the identifier
   only (never the birth date), so every guess at one person's birth date lands in the same bucket,
   whatever the number of source addresses. The bucket may run into debt, but each lookup in debt needs
   a proof of work one bit harder than the last: ``base_bits + debt - 1`` bits. n guesses beyond the
   budget cost about ``2^(base_bits + n)`` hashes, so an attacker's extra guesses grow only with the
   logarithm of its computing power; past ``max_bits`` the bucket refuses until it refills;
3. **a global budget**: a token bucket for the whole worker; when it is empty the service is under load and
   every lookup needs a proof of work of ``load_bits`` (about a second in the page).

A proof of work (``fuite.lookup.pow``) is a nonce such that ``SHA-256(SHA-256(challenge ‖ bucket ‖
blinded_element) ‖ nonce)`` starts with the required number of zero bits. The challenge is ``{minute}.{hmac}``, authenticated with a key
derived from the server key (every worker agrees) and accepted for ``challenge_minutes`` minutes; binding the
proof to the blinded element makes one proof good for one guess only.

State is in memory, per worker, bounded: per-bucket arrays of at most 2^16 cells (larger indexes share
cells by their top 16 bits) and a bounded table of clients keyed by a keyed hash of the address.

>>> clock = FakeClock()
>>> d = Defences(b"k" * 32, bucket_bits=4, settings=DefenceSettings(bucket_burst=2, base_bits=8), clock=clock)
>>> [d.check("192.0.2.1", "a", bytes(32), None).admitted for _ in range(3)]
[True, True, False]
>>> d.check("192.0.2.1", "a", bytes(32), None).difficulty
8
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fuite.lookup.pow import pow_bits, pow_digest
from fuite.server.ratelimit import RateLimiter

__all__ = ["DefenceSettings", "Decision", "Defences", "FakeClock", "client_key"]

_CELL_BITS = 16


@dataclass(frozen=True)
class DefenceSettings:
    client_per_minute: float = 30.0   # per client address (IPv6: per /64); 0 disables
    client_burst: int = 10
    bucket_per_hour: float = 120.0    # per index bucket (identifier only); 0 disables
    bucket_burst: int = 20
    global_per_second: float = 2500.0  # per worker; beyond it, every lookup needs load_bits; 0 disables
    global_burst: int = 5000
    base_bits: int = 16               # first lookup in a bucket's debt
    load_bits: int = 19               # every lookup while the global budget is empty (~1 s in the page)
    max_bits: int = 28                # beyond this a bucket refuses until it refills
    challenge_minutes: int = 3


@dataclass(frozen=True)
class Decision:
    admitted: bool
    difficulty: int = 0        # bits a retry needs (0: no proof of work would help, wait retry_after)
    retry_after: int = 0


class FakeClock:
    """A clock for tests: ``clock()`` returns the time, ``clock.advance(s)`` moves it."""

    def __init__(self, start: float = 1_000_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def client_key(address: str) -> str:
    """The budget key of a client: the IPv4 address, or the /64 of an IPv6 address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)


class _Buckets:
    """Token buckets over a fixed array of cells, allowed to go into debt."""

    def __init__(self, cells: int, per_second: float, burst: float, floor: float):
        self.rate, self.burst, self.floor = per_second, float(burst), float(floor)
        self.tokens = np.full(cells, self.burst)
        self.last = np.zeros(cells)
        self.started = np.zeros(cells, dtype=bool)

    def level(self, cell: int, now: float) -> float:
        if not self.started[cell]:
            self.started[cell], self.last[cell] = True, now
        tokens = min(self.burst, self.tokens[cell] + (now - self.last[cell]) * self.rate)
        self.tokens[cell], self.last[cell] = tokens, now
        return tokens

    def take(self, cell: int) -> None:
        self.tokens[cell] = max(self.floor, self.tokens[cell] - 1.0)


class Defences:
    """The per-client, per-bucket and global budgets and the proof of work of one worker."""

    def __init__(self, secret: bytes, bucket_bits: int, settings: DefenceSettings = DefenceSettings(),
                 clock: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time):
        self.settings, self.clock, self.wall = settings, clock, wall
        self._mac = hashlib.blake2b(secret, person=b"fuite-pow-v1").digest()[:32]
        self._shift = max(0, bucket_bits - _CELL_BITS)
        cells = 1 << min(bucket_bits, _CELL_BITS)
        s = settings
        self.clients = RateLimiter(s.client_per_minute, s.client_burst, clock=clock) if s.client_per_minute else None
        debt = s.max_bits - s.base_bits + 2  # a debt beyond it is refused anyway
        self.buckets = (_Buckets(cells, s.bucket_per_hour / 3600, s.bucket_burst, -debt)
                        if s.bucket_per_hour else None)
        self.load = _Buckets(1, s.global_per_second, s.global_burst, -s.global_burst) if s.global_per_second else None

    def challenge(self) -> str:
        """The current challenge ``{minute}.{32 hex}``."""
        return self._challenge(int(self.wall() // 60))

    def _challenge(self, minute: int) -> str:
        return f"{minute}.{hmac.new(self._mac, str(minute).encode(), 'sha256').hexdigest()[:32]}"

    def _fresh(self, challenge: str) -> bool:
        minute, _, _ = challenge.partition(".")
        if not minute.isdigit():
            return False
        now = int(self.wall() // 60)
        return (now - self.settings.challenge_minutes < int(minute) <= now
                and hmac.compare_digest(challenge, self._challenge(int(minute))))

    def load_bits(self) -> int:
        """The proof of work every lookup needs right now (0 unless the service is under load)."""
        if self.load is None or self.load.level(0, self.clock()) >= 1.0:
            return 0
        return self.settings.load_bits

    def _required(self, cell: int, now: float) -> int:
        bits = self.load_bits()
        if self.buckets is not None:
            tokens = self.buckets.level(cell, now)
            if tokens < 1.0:
                bits = max(bits, self.settings.base_bits + int(np.ceil(1.0 - tokens)) - 1)
        return bits

    def _proved(self, bits: int, bucket: str, blinded: bytes, proof: tuple[str, bytes] | None) -> bool:
        if bits == 0:
            return True
        if proof is None or not self._fresh(proof[0]):
            return False
        return pow_bits(pow_digest(proof[0], bucket, blinded), proof[1]) >= bits

    def check(self, address: str, bucket: str, blinded: bytes, proof: tuple[str, bytes] | None) -> Decision:
        """Whether to evaluate this lookup; when admitted, its budgets are charged."""
        s, now = self.settings, self.clock()
        if self.clients is not None and not self.clients.peek(client_key(address)):
            return Decision(False, 0, self.clients.retry_after())
        cell = int(bucket, 16) >> self._shift
        bits = self._required(cell, now)
        if bits > s.max_bits:
            return Decision(False, 0, int(3600 / s.bucket_per_hour) + 1)
        if not self._proved(bits, bucket, blinded, proof):
            return Decision(False, bits, 0)
        if self.clients is not None:
            self.clients.allow(client_key(address))
        if self.buckets is not None:
            self.buckets.take(cell)
        if self.load is not None:
            self.load.take(0)
        return Decision(True)
