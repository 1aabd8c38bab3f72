"""Request and response bodies of the self-check API (they make the OpenAPI schema)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, create_model

__all__ = ["LookupConfig", "LookupRequest", "LookupResponse", "ProofOfWork", "PowChallenge", "ErrorBody",
           "HibpBreach", "ERROR_RESPONSES", "BAD_REQUEST", "lookup_request_model"]

HEX64 = "^[0-9a-fA-F]{64}$"
CHALLENGE = "^[0-9]{1,12}\\.[0-9a-f]{32}$"


class PowChallenge(BaseModel):
    challenge: str = Field(pattern=CHALLENGE, description="current challenge, valid a few minutes")
    difficulty: int = Field(ge=0, le=64, description="leading zero bits needed now (0: none)")


class ExposureCode(BaseModel):
    id: str
    fr: str
    en: str
    condition: bool


class Exposure(BaseModel):
    salt: str = Field(pattern="^[0-9a-f]{32}$", description="HKDF salt of the sealed answers")
    codes: list[ExposureCode] = Field(description="bit i of an answer's bitmap is codes[i]")
    conditions: bool = Field(description="whether the controller chose to tell each person their conditions")


class LookupConfig(BaseModel):
    protocol: int = Field(examples=[2])
    suite: str = Field(examples=["ristretto255-SHA512"])
    mode: int = Field(examples=[0])
    bucket_bits: int = Field(ge=4, le=32, multiple_of=4)
    entry_bytes: int = Field(examples=[48])
    tag_bytes: int = Field(examples=[16])
    entries_per_bucket: int
    kinds: list[str]
    key_id: str
    exposure: Exposure
    guidance: dict = Field(description="the breach-wide summary: categories, conditions, advice, contacts (FR/EN)")
    pow: PowChallenge


class ProofOfWork(BaseModel):
    model_config = ConfigDict(extra="forbid")

    challenge: str = Field(pattern=CHALLENGE)
    nonce: str = Field(pattern="^[0-9a-fA-F]{16}$", description="8 bytes in hex")


class LookupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bucket: str = Field(pattern="^[0-9a-fA-F]{1,8}$",
                        description="first bucket_bits/4 hex digits of SHA-256 of the identifier")
    blinded_element: str = Field(pattern=HEX64, description="RFC 9497 BlindedElement, 32 bytes in hex")
    pow: ProofOfWork | None = Field(None, description="only when the server asked for one")


def lookup_request_model(bucket_bits: int) -> type[LookupRequest]:
    """``LookupRequest`` whose schema gives the exact bucket length of this index."""
    digits = bucket_bits // 4
    return create_model(
        "LookupRequest", __base__=LookupRequest,
        bucket=(str, Field(pattern=f"^[0-9a-fA-F]{{{digits}}}$",
                           description=f"first {digits} hex digits (bucket_bits/4) of SHA-256 of the identifier")),
    )


class LookupResponse(BaseModel):
    evaluated_element: str = Field(pattern=HEX64, description="RFC 9497 EvaluatedElement, 32 bytes in hex")
    entries: str = Field(description="base64 of the bucket's entries_per_bucket entries of entry_bytes each "
                                     "(16-byte tag + sealed answer), padded with random entries, sorted")
    key_id: str


class ErrorBody(BaseModel):
    error: str
    pow: PowChallenge | None = None


class HibpBreach(BaseModel):
    """A breach as Have I Been Pwned API v3 describes it."""

    Name: str
    Title: str
    Domain: str
    BreachDate: str
    AddedDate: str
    ModifiedDate: str
    PwnCount: int
    Description: str
    LogoPath: str
    DataClasses: list[str]
    IsVerified: bool
    IsFabricated: bool
    IsSensitive: bool
    IsRetired: bool
    IsSpamList: bool
    IsMalware: bool
    IsSubscriptionFree: bool
    IsStealerLog: bool


BAD_REQUEST = {400: {"model": ErrorBody, "description": "malformed request"}}
ERROR_RESPONSES = {
    400: {"model": ErrorBody, "description": "malformed request or invalid point"},
    413: {"model": ErrorBody, "description": "body larger than 4 kB"},
    429: {"model": ErrorBody, "description": "a budget is exhausted: solve `pow` and retry, or wait Retry-After"},
}
