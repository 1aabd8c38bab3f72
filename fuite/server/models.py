"""Request and response bodies of the self-check API (they make the OpenAPI schema)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, create_model

__all__ = ["LookupConfig", "LookupRequest", "LookupResponse", "ErrorBody", "HibpBreach", "ERROR_RESPONSES",
           "BAD_REQUEST", "lookup_request_model"]

HEX64 = "^[0-9a-fA-F]{64}$"


class LookupConfig(BaseModel):
    suite: str = Field(examples=["ristretto255-SHA512"])
    mode: int = Field(examples=[0])
    bucket_bits: int = Field(ge=4, le=32, multiple_of=4)
    entry_bytes: int = Field(examples=[16])
    kinds: list[str]
    key_id: str


class LookupRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bucket: str = Field(pattern="^[0-9a-fA-F]{1,8}$", description="first bucket_bits/4 hex digits of SHA-256(input)")
    blinded_element: str = Field(pattern=HEX64, description="RFC 9497 BlindedElement, 32 bytes in hex")


def lookup_request_model(bucket_bits: int) -> type[LookupRequest]:
    """``LookupRequest`` whose schema gives the exact bucket length of this index."""
    digits = bucket_bits // 4
    return create_model(
        "LookupRequest", __base__=LookupRequest,
        bucket=(str, Field(pattern=f"^[0-9a-fA-F]{{{digits}}}$",
                           description=f"first {digits} hex digits (bucket_bits/4) of SHA-256(input)")),
    )


class LookupResponse(BaseModel):
    evaluated_element: str = Field(pattern=HEX64, description="RFC 9497 EvaluatedElement, 32 bytes in hex")
    entries: list[str] = Field(description="first 16 bytes of the Output of every indexed input of the bucket, "
                                           "padded with random entries to a fixed count")
    key_id: str


class ErrorBody(BaseModel):
    error: str


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
    429: {"model": ErrorBody, "description": "too many requests from this client (see Retry-After)"},
}
