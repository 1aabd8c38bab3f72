"""RFC 9497 OPRF, mode 0x00 (OPRF), suite ristretto255-SHA512, over libsodium.

Group operations come from libsodium through pysodium (``crypto_core_ristretto255_*``,
``crypto_scalarmult_ristretto255``); hash-to-group is ``expand_message_xmd`` with SHA-512
(RFC 9380, section 5.3.1) followed by the ristretto255 one-way map
(``crypto_core_ristretto255_from_hash``, RFC 9496 section 4.3.4).

Reference: https://www.rfc-editor.org/rfc/rfc9497 (sections 3.2, 3.3.1, 4.1).

>>> sk, pk = derive_key_pair(bytes(32), b"doc")
>>> blind, blinded = blind_input(b"email:a@b.fr|1970-01-01")
>>> finalize(b"email:a@b.fr|1970-01-01", blind, blind_evaluate(sk, blinded)) == evaluate(sk, b"email:a@b.fr|1970-01-01")
True
"""

from __future__ import annotations

import ctypes
import hashlib
from collections.abc import Iterable

import pysodium

from fuite.errors import ValidationError

__all__ = [
    "SUITE", "MODE", "CONTEXT_STRING", "ELEMENT_BYTES", "SCALAR_BYTES", "OUTPUT_BYTES",
    "InvalidInputError", "DeriveKeyPairError", "expand_message_xmd", "hash_to_group", "hash_to_scalar",
    "derive_key_pair", "random_scalar", "blind_input", "blind_evaluate", "finalize", "evaluate",
    "deserialize_element", "Evaluator",
]

SUITE = "ristretto255-SHA512"
MODE = 0x00
CONTEXT_STRING = b"OPRFV1-" + bytes([MODE]) + b"-" + SUITE.encode()
ELEMENT_BYTES = 32
SCALAR_BYTES = 32
OUTPUT_BYTES = 64
_IDENTITY = bytes(ELEMENT_BYTES)
_sodium = pysodium.sodium


class InvalidInputError(ValidationError):
    """The input hashes to the identity element, or an element is not a valid ristretto255 point."""

    message = "invalid OPRF element"


class DeriveKeyPairError(ValidationError):
    message = "key derivation failed"


def _i2osp(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


def expand_message_xmd(msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
    """RFC 9380 section 5.3.1 with SHA-512 (b_in_bytes 64, s_in_bytes 128)."""
    if len(dst) > 255:
        dst = hashlib.sha512(b"H2C-OVERSIZE-DST-" + dst).digest()
    ell = -(-len_in_bytes // 64)
    if ell > 255 or len_in_bytes > 65535:
        raise ValueError("expand_message_xmd: requested length too large")
    dst_prime = dst + _i2osp(len(dst), 1)
    b0 = hashlib.sha512(bytes(128) + msg + _i2osp(len_in_bytes, 2) + b"\x00" + dst_prime).digest()
    blocks = [hashlib.sha512(b0 + b"\x01" + dst_prime).digest()]
    for i in range(2, ell + 1):
        mixed = bytes(x ^ y for x, y in zip(b0, blocks[-1]))
        blocks.append(hashlib.sha512(mixed + _i2osp(i, 1) + dst_prime).digest())
    return b"".join(blocks)[:len_in_bytes]


_H2G_DST = b"HashToGroup-" + CONTEXT_STRING
_H2S_DST = b"HashToScalar-" + CONTEXT_STRING
_H2G_DST_PRIME = _H2G_DST + _i2osp(len(_H2G_DST), 1)
#: expand_message_xmd's first block (Z_pad, 128 zero bytes) hashed once; each input continues from a copy.
_ZPAD_STATE = hashlib.sha512(bytes(128))
_H2G_TAIL = _i2osp(64, 2) + b"\x00" + _H2G_DST_PRIME
_H2G_B1 = b"\x01" + _H2G_DST_PRIME


def _expand_h2g(msg: bytes) -> bytes:
    """``expand_message_xmd(msg, HashToGroup DST, 64)``: one output block, from the hashed Z_pad."""
    state = _ZPAD_STATE.copy()
    state.update(msg)
    state.update(_H2G_TAIL)
    return hashlib.sha512(state.digest() + _H2G_B1).digest()


def hash_to_group(msg: bytes) -> bytes:
    """HashToGroup: expand_message_xmd to 64 bytes then the ristretto255 one-way map."""
    return pysodium.crypto_core_ristretto255_from_hash(_expand_h2g(msg))


def hash_to_scalar(msg: bytes, dst: bytes = _H2S_DST) -> bytes:
    """HashToScalar: expand_message_xmd to 64 bytes, reduced modulo the group order (little endian)."""
    return pysodium.crypto_core_ristretto255_scalar_reduce(expand_message_xmd(msg, dst, 64))


def derive_key_pair(seed: bytes, info: bytes) -> tuple[bytes, bytes]:
    """DeriveKeyPair (RFC 9497 section 3.2.1): ``(skS, pkS)`` from a 32-byte seed and public info."""
    if len(seed) != 32:
        raise DeriveKeyPairError("the seed must be 32 bytes")
    derive_input = seed + _i2osp(len(info), 2) + info
    for counter in range(256):
        sk = hash_to_scalar(derive_input + _i2osp(counter, 1), b"DeriveKeyPair" + CONTEXT_STRING)
        if sk != bytes(SCALAR_BYTES):
            return sk, pysodium.crypto_scalarmult_ristretto255_base(sk)
    raise DeriveKeyPairError()


def random_scalar() -> bytes:
    """A uniformly random non-zero scalar."""
    return pysodium.crypto_core_ristretto255_scalar_random()


def deserialize_element(data: bytes) -> bytes:
    """DeserializeElement: reject non-canonical encodings and the identity."""
    if len(data) != ELEMENT_BYTES or data == _IDENTITY or not pysodium.crypto_core_ristretto255_is_valid_point(data):
        raise InvalidInputError()
    return data


def _scalarmult(scalar: bytes, element: bytes) -> bytes:
    out = ctypes.create_string_buffer(ELEMENT_BYTES)
    if _sodium.crypto_scalarmult_ristretto255(out, scalar, element) != 0:
        raise InvalidInputError()
    return out.raw


def blind_input(data: bytes, blind: bytes | None = None) -> tuple[bytes, bytes]:
    """Blind (section 3.3.1): ``(blind, blindedElement)``; ``blind`` is random unless given (tests)."""
    blind = blind if blind is not None else random_scalar()
    element = hash_to_group(data)
    if element == _IDENTITY:
        raise InvalidInputError()
    return blind, _scalarmult(blind, element)


def blind_evaluate(sk: bytes, blinded_element: bytes) -> bytes:
    """BlindEvaluate: ``skS * blindedElement`` after validating the element."""
    return _scalarmult(sk, deserialize_element(blinded_element))


def _finalize_hash(data: bytes, unblinded: bytes) -> bytes:
    return hashlib.sha512(
        _i2osp(len(data), 2) + data + _i2osp(len(unblinded), 2) + unblinded + b"Finalize"
    ).digest()


def finalize(data: bytes, blind: bytes, evaluated_element: bytes) -> bytes:
    """Finalize: unblind with ``blind^-1`` and hash (64-byte Output)."""
    inverse = pysodium.crypto_core_ristretto255_scalar_invert(blind)
    return _finalize_hash(data, _scalarmult(inverse, deserialize_element(evaluated_element)))


def evaluate(sk: bytes, data: bytes) -> bytes:
    """Evaluate (server side, no blinding): the same Output a client gets from Finalize."""
    element = hash_to_group(data)
    if element == _IDENTITY:
        raise InvalidInputError()
    return _finalize_hash(data, _scalarmult(sk, element))


class Evaluator:
    """Bulk server-side Evaluate with reused buffers (the index build's hot loop, in each worker process).

    One hash-to-group and one libsodium scalar multiplication per input, called through ctypes on preallocated
    buffers (pysodium's wrapper allocates a buffer and checks lengths on every call).
    """

    def __init__(self, sk: bytes):
        self._sk = ctypes.create_string_buffer(sk, SCALAR_BYTES)
        self._point = ctypes.create_string_buffer(ELEMENT_BYTES)
        self._out = ctypes.create_string_buffer(ELEMENT_BYTES)
        self._from_hash = _sodium.crypto_core_ristretto255_from_hash
        self._mult = _sodium.crypto_scalarmult_ristretto255

    def output(self, data: bytes) -> bytes:
        """The 64-byte RFC 9497 Output for ``data``."""
        return self.outputs([data])[0]

    def outputs(self, inputs: Iterable[bytes]) -> list[bytes]:
        """The 64-byte RFC 9497 Outputs of ``inputs``, in order (the steps of ``_expand_h2g``, ``hash_to_group``
        and ``_finalize_hash`` inlined: no Python call between the two libsodium calls of an input)."""
        zpad, tail, b1, sha512 = _ZPAD_STATE.copy, _H2G_TAIL, _H2G_B1, hashlib.sha512
        from_hash, mult, sk, point, out = self._from_hash, self._mult, self._sk, self._point, self._out
        element_length = _i2osp(ELEMENT_BYTES, 2)
        done = []
        for data in inputs:
            state = zpad()
            state.update(data)
            state.update(tail)
            from_hash(point, sha512(state.digest() + b1).digest())
            if mult(out, sk, point) != 0:
                raise InvalidInputError()
            done.append(sha512(len(data).to_bytes(2, "big") + data + element_length + out.raw + b"Finalize").digest())
        return done
