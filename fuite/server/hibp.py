"""A breach catalogue compatible with Have I Been Pwned API v3.

``GET /api/v3/breaches``, ``GET /api/v3/breach/{name}``, ``GET /api/v3/dataclasses`` describe this
case's breach from the index metadata. ``GET /api/v3/breachedaccount/{account}`` always answers 404:
the breach is *sensitive* (IsSensitive = true), and HIBP never returns a sensitive breach in a public
account search. Knowing someone's email must not be enough to learn they are in a health leak;
people use the private self-check instead.
"""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import Response

from fuite.server.models import HibpBreach

__all__ = ["hibp_breach", "DATA_CLASSES", "hibp_router"]

#: taxonomy category or condition -> HIBP data class name.
DATA_CLASSES: dict[str, str] = {
    "last_name": "Names", "first_name": "Names", "full_name": "Names", "birth_name": "Names",
    "birth_date": "Dates of birth", "beneficiary_quality": "Family structure", "beneficiary_rank": "Family structure",
    "sex": "Genders", "nir": "Government issued IDs", "phone": "Phone numbers", "email": "Email addresses",
    "street_address": "Physical addresses", "postal_code": "Physical addresses", "city": "Physical addresses",
    "full_address": "Physical addresses", "blood_group": "Blood types", "physician_name": "Physicians",
    "physician_id": "Physicians", "insurer_name": "Health insurance information",
    "insurer_id": "Health insurance information", "health_note": "Medical records", "medication": "Medications",
    "lab_name": "Medical records", "sample_date": "Medical records", "credential": "Passwords",
    "hiv": "HIV statuses", "pregnancy": "Medical conditions", "cancer": "Medical conditions",
    "hepatitis": "Medical conditions", "mental_health": "Medical conditions", "addiction": "Medical conditions",
}


def _iso_z(text: str) -> str:
    return text.replace("+00:00", "Z") if "T" in text else f"{text}T00:00:00Z"


def hibp_breach(summary: dict) -> dict:
    """The HIBP v3 ``Breach`` object for the index's breach summary."""
    ids = [c["id"] for c in summary.get("categories", [])] + [c["id"] for c in summary.get("conditions", [])]
    classes = sorted({DATA_CLASSES[i] for i in ids if i in DATA_CLASSES})
    return {
        "Name": summary["name"], "Title": summary["title"], "Domain": summary.get("domain", ""),
        "BreachDate": summary["breach_date"][:10], "AddedDate": _iso_z(summary["added_date"]),
        "ModifiedDate": _iso_z(summary["added_date"]), "PwnCount": int(summary["pwn_count"]),
        "Description": summary["description"]["en"], "LogoPath": "", "DataClasses": classes,
        "IsVerified": True, "IsFabricated": False, "IsSensitive": True, "IsRetired": False, "IsSpamList": False,
        "IsMalware": False, "IsSubscriptionFree": False, "IsStealerLog": False,
    }


def hibp_router(summary: dict) -> APIRouter:
    """The HIBP v3 routes for one breach."""
    breach = hibp_breach(summary)
    router = APIRouter(prefix="/api/v3", tags=["HIBP v3 catalogue"])
    not_found = {404: {"description": "not found (always, for an account: the breach is sensitive)"}}

    @router.get("/breaches", response_model=list[HibpBreach])
    def breaches(domain: str | None = Query(None, max_length=253),
                 IsSpamList: bool | None = Query(None)) -> list[dict]:  # noqa: N803 (HIBP's parameter name)
        """All breaches of this catalogue (HIBP ``GET /breaches``), optionally filtered by domain."""
        if domain is not None and domain.lower() != breach["Domain"].lower():
            return []
        if IsSpamList:
            return []
        return [breach]

    @router.get("/breach/{name}", response_model=HibpBreach, responses=not_found)
    def single_breach(name: str):
        """One breach by name (HIBP ``GET /breach/{name}``), case-insensitive."""
        if name.lower() != breach["Name"].lower():
            return Response(status_code=404)
        return breach

    @router.get("/dataclasses", response_model=list[str])
    def data_classes() -> list[str]:
        """Every data class name this catalogue uses (HIBP ``GET /dataclasses``)."""
        return sorted(set(DATA_CLASSES.values()))

    @router.get("/breachedaccount/{account}", response_class=Response, responses=not_found)
    def breached_account(account: str) -> Response:
        """Always 404: a sensitive breach is never returned by a public account search (as HIBP does)."""
        return Response(status_code=404)

    return router
