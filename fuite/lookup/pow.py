"""The self-check's proof of work (protocol part; the server decides when to ask for one).

A proof for a lookup is an 8-byte nonce such that ``SHA-256(SHA-256(challenge ‖ bucket ‖ blinded_element) ‖
nonce)`` starts with ``difficulty`` zero bits; ``challenge`` (ASCII) comes from the server, ``bucket`` is the
request's bucket in lowercase hex (ASCII) and ``blinded_element`` its 32 raw bytes. Binding the proof to the
blinded element makes one proof good for one guess only.

>>> digest = pow_digest("29000000.00000000000000000000000000000000", "a", bytes(32))
>>> nonce = solve_pow(digest, 8)
>>> pow_bits(digest, nonce) >= 8
True
"""

from __future__ import annotations

import hashlib

__all__ = ["pow_digest", "pow_bits", "solve_pow"]


def pow_digest(challenge: str, bucket: str, blinded: bytes) -> bytes:
    """The 32 bytes a proof of work extends: SHA-256(challenge ‖ bucket ‖ blinded element)."""
    return hashlib.sha256(challenge.encode() + bucket.lower().encode() + blinded).digest()


def pow_bits(digest: bytes, nonce: bytes) -> int:
    """Leading zero bits of SHA-256(digest ‖ nonce)."""
    value = int.from_bytes(hashlib.sha256(digest + nonce).digest(), "big")
    return 256 - value.bit_length()


def solve_pow(digest: bytes, bits: int) -> bytes:
    """The first 8-byte big-endian counter nonce giving ``bits`` leading zero bits."""
    target = 1 << (256 - bits)
    prefix = hashlib.sha256(digest)
    counter = 0
    while True:
        h = prefix.copy()
        h.update(counter.to_bytes(8, "big"))
        if int.from_bytes(h.digest(), "big") < target:
            return counter.to_bytes(8, "big")
        counter += 1
