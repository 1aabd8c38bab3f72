"""One source of figures: on a scanned drill, the CNIL draft and the DPO report give the same counts."""

from __future__ import annotations

import re

from fuite.assess.figures import exposure_figures
from fuite.notify.cnil import write_cnil_draft
from fuite.notify.stage import cnil_draft_for_case
from fuite.report import case_figures
from fuite.store import open_case
from conftest import access


def test_cnil_draft_and_report_agree_on_the_drill(scanned_case, tmp_path):
    with open_case(scanned_case, access()) as case:
        report = case_figures(case)
        draft = cnil_draft_for_case(case, draft=True)
        figures = exposure_figures(case.get_table("persons"))
    sensitive = draft["donnees"]["donnees_sensibles"]
    assert draft["donnees"]["nombre_personnes"] == report["persons"] == figures["persons"]
    assert sensitive["vih"] == report["persons_hiv"] == figures["hiv"] > 0
    assert sensitive["sante"] == report["persons_health"] == figures["health"]
    assert sensitive["nir"] == report["persons_per_category"]["nir"] == figures["nir"]
    rows = draft["donnees"]["categories_donnees"]
    assert rows and all(row["personnes"] == report["persons_per_category"][row["id"]] for row in rows)
    assert report["persons_per_condition"]["hiv"] == figures["hiv"]

    (html,) = write_cnil_draft(draft, tmp_path, ("html",))
    text = html.read_text(encoding="utf-8")
    assert not re.search(r"\b(dpc|ei|cb)\.[a-z_]+", text)                    # no internal rule id
    assert text.count("en lien avec le VIH") == 1                            # one HIV line
    assert not re.search(r">\d+\.\d+<|\d+\.\d+ h\b", text)                   # no decimal point in French
    total = draft["donnees"]["nombre_personnes"]
    assert f"{total:,}".replace(",", "\u202f") in text
