"""Each index entry's sealed answer: that person's own exposure, readable only from the OPRF Output.

An entry is ``tag ‖ sealed`` (48 bytes): ``tag`` is the first 16 bytes of the RFC 9497 Output, and
``sealed`` is XChaCha20-Poly1305 (IETF) of a 16-byte plaintext under a key and nonce derived from the
whole 64-byte Output with HKDF-SHA512 (RFC 5869) and the index's public random salt::

    okm       = HKDF-SHA512(salt = exposure_salt, ikm = Output, info = "fuite lookup exposure v1", L = 56)
    key, nonce = okm[0:32], okm[32:56]
    sealed    = XChaCha20-Poly1305(key, nonce, plaintext, ad = tag)          # 16 + 16 bytes
    plaintext = version (1) ‖ flags ‖ 14-byte bitmap over the index's exposure codes (bit i: byte i//8, 1 << i%8)

Only someone who can compute the Output (who knows the identifier and the birth date, and asked the server)
can open it. Padding entries are 48 random bytes, indistinguishable from real ones.

>>> codes = ["email", "nir", "hiv"]
>>> salt, output = bytes(16), bytes(range(64))
>>> entry = seal_entry(output, salt, encode_exposure(codes, {"email", "hiv"}, FLAG_CONDITIONS))
>>> len(entry), entry[:16] == output[:16]
(48, True)
>>> decode_exposure(codes, open_entry(output, salt, entry[16:]))
({'email', 'hiv'}, 2)
"""

from __future__ import annotations

import ctypes
import hashlib
import hmac

import pysodium

from fuite.errors import LookupError_

__all__ = ["VERSION", "TAG_BYTES", "SEALED_BYTES", "ENTRY_BYTES", "PLAINTEXT_BYTES", "MAX_CODES", "INFO",
           "FLAG_SHARED", "FLAG_CONDITIONS", "hkdf_sha512", "entry_key", "encode_exposure", "decode_exposure",
           "seal_entry", "open_entry", "Sealer"]

VERSION = 1
TAG_BYTES = 16
PLAINTEXT_BYTES = 16
SEALED_BYTES = PLAINTEXT_BYTES + pysodium.crypto_aead_xchacha20poly1305_ietf_ABYTES
ENTRY_BYTES = TAG_BYTES + SEALED_BYTES
MAX_CODES = (PLAINTEXT_BYTES - 2) * 8
INFO = b"fuite lookup exposure v1"
#: The input belongs to several persons of the case: categories are their union, conditions only those
#: common to all of them (say less when ambiguous).
FLAG_SHARED = 1
#: The controller chose to disclose conditions (``lookup build --with-conditions``); without it, no
#: condition bit is ever set and the page says so.
FLAG_CONDITIONS = 2


def hkdf_sha512(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 HKDF with HMAC-SHA512 (libsodium 1.0.18 has no HKDF)."""
    prk = hmac.digest(salt or bytes(64), ikm, "sha512")
    out, block = b"", b""
    for counter in range(1, -(-length // 64) + 1):
        block = hmac.digest(prk, block + info + bytes([counter]), "sha512")
        out += block
    return out[:length]


def entry_key(output: bytes, salt: bytes) -> tuple[bytes, bytes]:
    """The (32-byte key, 24-byte nonce) of the entry of an OPRF Output."""
    okm = hkdf_sha512(salt, output, INFO, 56)
    return okm[:32], okm[32:]


def encode_exposure(codes: list[str], exposed: set[str], flags: int = 0) -> bytes:
    """The 16-byte plaintext: version, flags, bitmap of ``exposed`` over ``codes`` (unknown ids ignored)."""
    bits = 0
    for i, code in enumerate(codes[:MAX_CODES]):
        if code in exposed:
            bits |= 1 << i
    return bytes([VERSION, flags]) + bits.to_bytes(PLAINTEXT_BYTES - 2, "little")


def decode_exposure(codes: list[str], plaintext: bytes) -> tuple[set[str], int]:
    """``(exposed ids, flags)`` from a plaintext."""
    if len(plaintext) != PLAINTEXT_BYTES or plaintext[0] != VERSION:
        raise LookupError_("the entry's answer has an unknown version")
    bits = int.from_bytes(plaintext[2:], "little")
    return {code for i, code in enumerate(codes[:MAX_CODES]) if bits >> i & 1}, plaintext[1]


def seal_entry(output: bytes, salt: bytes, plaintext: bytes) -> bytes:
    """``tag ‖ sealed`` for an Output (64 bytes) and a plaintext (16 bytes)."""
    key, nonce = entry_key(output, salt)
    tag = output[:TAG_BYTES]
    return tag + pysodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, tag, nonce, key)


class Sealer:
    """``seal_entry`` for many Outputs under one salt (the index build's hot loop): the HKDF extract keyed once,
    the AEAD called directly. Gives the same bytes as ``seal_entry``."""

    def __init__(self, salt: bytes):
        self._extract = hmac.new(salt or bytes(64), digestmod="sha512")
        self._info = INFO + b"\x01"          # one HKDF-Expand block covers the 56 bytes
        self._sealed = ctypes.create_string_buffer(SEALED_BYTES)
        self._encrypt = pysodium.sodium.crypto_aead_xchacha20poly1305_ietf_encrypt

    def seal(self, output: bytes, plaintext: bytes) -> bytes:
        """``tag ‖ sealed`` for an Output (64 bytes) and a 16-byte plaintext."""
        if len(plaintext) != PLAINTEXT_BYTES:
            raise ValueError("an entry's plaintext is 16 bytes")
        return self.seal_all([output], plaintext)

    def seal_all(self, outputs: list[bytes], plaintexts: bytes) -> bytes:
        """The entries ``tag ‖ sealed`` of ``outputs``, concatenated in order; ``plaintexts``: theirs, 16 bytes each,
        concatenated."""
        if len(plaintexts) != len(outputs) * PLAINTEXT_BYTES:
            raise ValueError("one 16-byte plaintext per output")
        extract, info, digest = self._extract.copy, self._info, hmac.digest
        encrypt, sealed = self._encrypt, self._sealed
        plain_length, tag_length = ctypes.c_ulonglong(PLAINTEXT_BYTES), ctypes.c_ulonglong(TAG_BYTES)
        entries = bytearray(len(outputs) * ENTRY_BYTES)
        at = 0
        for i, output in enumerate(outputs):
            plaintext = plaintexts[i * PLAINTEXT_BYTES:(i + 1) * PLAINTEXT_BYTES]
            prk = extract()
            prk.update(output)
            okm = digest(prk.digest(), info, "sha512")
            tag = output[:TAG_BYTES]
            if encrypt(sealed, None, plaintext, plain_length, tag, tag_length, None, okm[32:56], okm[:32]) != 0:
                raise LookupError_("sealing an entry failed")
            entries[at:at + TAG_BYTES] = tag
            entries[at + TAG_BYTES:at + ENTRY_BYTES] = sealed.raw
            at += ENTRY_BYTES
        return bytes(entries)


def open_entry(output: bytes, salt: bytes, sealed: bytes) -> bytes:
    """The plaintext of the entry whose tag is ``output[:16]``; LookupError_ if it does not authenticate."""
    key, nonce = entry_key(output, salt)
    try:
        return pysodium.crypto_aead_xchacha20poly1305_ietf_decrypt(sealed, output[:TAG_BYTES], nonce, key)
    except ValueError:
        raise LookupError_("the server's entry does not authenticate") from None
