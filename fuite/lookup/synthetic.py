"""Synthetic ``persons`` tables (``PERSON_SCHEMA``) for the self-check tests and benchmark.

Values are made up and shaped like the normalised output of resolve: emails lowercased, phones in
E.164, NIRs of 15 characters with a correct key, ISO birth dates. ``known(i)`` tells a test what person
``i`` has, without a table lookup.
"""

from __future__ import annotations

import datetime as dt
import random

import pyarrow as pa

from fuite.ids import nir as ids_nir
from fuite.ids import phone as ids_phone
from fuite.schema import PERSON_SCHEMA

__all__ = ["synthetic_persons", "person_values", "nir_with_key"]


def nir_with_key(body: str) -> str:
    """A NIR: 13-character body plus its key (97 - body mod 97; 2A -> 19, 2B -> 18)."""
    return body + ids_nir.calc_check_digits(body)


def person_values(i: int, seed: int = 0) -> dict:
    """The identifiers of synthetic person ``i``: birth_date, emails (1-2), phone, nir (None for 1 in 10)."""
    rng = random.Random(seed * 1_000_003 + i)
    birth = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(80 * 365))
    sex = rng.choice("12")
    dept = rng.choice(["75", "13", "69", "2A", "2B", "33", "59", "97"])
    body = f"{sex}{birth.year % 100:02d}{birth.month:02d}{dept}{rng.randrange(1000):03d}{rng.randrange(1000):03d}"
    emails = [f"p{i}.s{seed}@exemple.fr"] + ([f"alt{i}.s{seed}@courriel.test"] if rng.random() < 0.5 else [])
    return {
        "birth_date": birth.isoformat(),
        "emails": emails,
        "phone": ids_phone.validate(f"0{rng.choice('67')}{rng.randrange(10**8):08d}"),
        "nir": nir_with_key(body) if rng.random() < 0.9 else None,
    }


def synthetic_persons(n: int, seed: int = 0,
                      categories: str = "last_name;first_name;birth_date;nir;phone;email;health_note;medication",
                      conditions: str = "hiv") -> pa.Table:
    """A persons table of ``n`` synthetic persons (about 3 self-check inputs each)."""
    rows = [person_values(i, seed) for i in range(n)]
    columns = {
        "person_id": list(range(n)),
        "records": [1] * n,
        "birth_date": [r["birth_date"] for r in rows],
        "nir": [r["nir"] for r in rows],
        "email": [r["emails"][0] for r in rows],
        "phone": [r["phone"] for r in rows],
        "emails": [";".join(r["emails"]) for r in rows],
        "phones": [r["phone"] for r in rows],
        "categories": [categories] * n,
        "conditions": [conditions] * n,
    }
    return pa.table({f.name: pa.array(columns.get(f.name, [None] * n), type=f.type) for f in PERSON_SCHEMA},
                    schema=PERSON_SCHEMA)
