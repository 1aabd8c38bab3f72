"""Per-client rate limiting: a token bucket per client key, kept in memory only (used by ``defences``).

Client addresses are never stored in clear: the table is keyed by a keyed BLAKE2b of the address
with a random per-process key, and it is bounded (oldest clients dropped first). Each uvicorn worker
keeps its own table, so the effective limit is ``workers x rate`` (documented in docs/serve.md).

>>> now = [0.0]
>>> limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
>>> [limiter.allow("192.0.2.1") for _ in range(3)]
[True, True, False]
>>> now[0] = 1.0
>>> limiter.allow("192.0.2.1")
True
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable

from fuite.errors import UsageError

__all__ = ["RateLimiter", "parse_rate"]

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*$")
_SECONDS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}


def parse_rate(text: str) -> float:
    """Requests per minute from ``"30/min"``, ``"5/s"``, ``"600/hour"``; ``"0"`` disables (returns 0)."""
    if text.strip() in ("0", "off", "none"):
        return 0.0
    match = _RATE.match(text)
    if not match:
        raise UsageError("--rate-limit: write N/s, N/min or N/hour (0 to disable)")
    return int(match.group(1)) * 60 / _SECONDS[match.group(2)]


class RateLimiter:
    """Token buckets: ``burst`` requests at once, refilled at ``per_minute``."""

    def __init__(self, per_minute: float, burst: int = 10, max_clients: int = 100_000,
                 clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.rate = per_minute / 60.0
        self.burst = float(max(1, burst))
        self.max_clients = max_clients
        self._key = secrets.token_bytes(16)
        self._buckets: OrderedDict[bytes, tuple[float, float]] = OrderedDict()

    def _client(self, address: str) -> bytes:
        return hashlib.blake2b(address.encode(), key=self._key, digest_size=16).digest()

    def _level(self, client: bytes, now: float) -> float:
        tokens, last = self._buckets.pop(client, (self.burst, now))
        return min(self.burst, tokens + (now - last) * self.rate)

    def _store(self, client: bytes, tokens: float, now: float) -> None:
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)

    def peek(self, address: str) -> bool:
        """Whether ``address`` has a token, without taking it."""
        now, client = self.clock(), self._client(address)
        tokens = self._level(client, now)
        self._store(client, tokens, now)
        return tokens >= 1.0

    def allow(self, address: str) -> bool:
        """Take a token for ``address``; False when its bucket is empty."""
        now, client = self.clock(), self._client(address)
        tokens = self._level(client, now)
        allowed = tokens >= 1.0
        self._store(client, tokens - 1.0 if allowed else tokens, now)
        return allowed

    def retry_after(self) -> int:
        """Seconds until one token is back."""
        return max(1, int(1 / self.rate) + 1) if self.rate else 1
