"""One owner per concept: no identifier rule, value masking or text fold outside ``fuite/ids`` and ``fuite/text``.

Scans the source tree for the shapes such a rule takes (the NIR layout and key, phone prefixes and trunk
zero, e-mail syntax, accent folding, star masking). ``fuite/synth`` is left out: it writes values the way
leaks do and never reads one back. The page's ``normalise.js`` mirrors ``fuite/ids`` and is tested equal to it.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "fuite"
OWNERS = ("ids", "text", "synth")

#: (concept, regex over the source text)
RULES = [
    ("NIR layout", r"2\[AB\]|2A\|2B|\(\?:\[0-9\]\{2\}\|2"),
    ("NIR key", r"%\s*97\b"),
    ("NIR separators", r"\[\\s\.\\-|\[\\s\.\]|\[ \.\]"),
    ("phone prefix", r"\\\+\??33|[\"']\+33[\"']|0033|\\\(0\\\)|\"\(0\)\"|\[1-79\]"),   # not example values
    ("phone library", r"\bphonenumbers\b"),
    ("e-mail syntax", r"\\S\+@|@\\S|\[A-Za-z0-9\._%\+|\[A-Za-z0-9\.!#|partition\(\"@\"\)"),
    ("accent fold", r"NFKD|unicodedata|\\p\{Mn\}|\bstr\.normalize\(|\"œ\": \"oe\"|àâä"),
    ("value masking", r"\"\*\"\s*\*|\*\s*\"\*\""),
]


def _sources():
    for path in sorted(ROOT.rglob("*.py")):
        if path.relative_to(ROOT).parts[0] not in OWNERS:
            yield path


@pytest.mark.parametrize(("concept", "pattern"), RULES, ids=[r[0] for r in RULES])
def test_no_second_owner(concept, pattern):
    found = [f"{path.relative_to(ROOT.parent)}:{n}: {line.strip()}"
             for path in _sources()
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(pattern, line)]
    assert not found, f"{concept} defined outside fuite/ids and fuite/text:\n" + "\n".join(found)


def test_the_scan_sees_the_owners():
    """The patterns do match the rules where they live (the test would pass vacuously otherwise)."""
    owners = {p: (ROOT / p).read_text(encoding="utf-8") for p in ("ids/nir.py", "ids/phone.py", "ids/email_address.py",
                                                                  "text/fold.py", "ids/masking.py")}
    text = "\n".join(owners.values())
    for concept, pattern in RULES:
        if concept not in ("NIR separators", "value masking", "phone library"):
            assert re.search(pattern, text), concept
