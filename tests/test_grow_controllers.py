"""A complementary notification in a case of several controllers: each controller's draft counts only the new
and more exposed persons it holds, with the initial reference, and no controller is told of another's."""

from __future__ import annotations

import json

import polars as pl
import pytest
from test_notify_support import FILLED_CASE

from conftest import access, run_fuite
from fuite.assess.attribution import controllers_of_persons
from fuite.assess.stage import attribution_for_case
from fuite.store import open_case


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    """A drill of several labs scanned, then its later files added; the case file declares the labs."""
    from fuite.synth import generate

    root = tmp_path_factory.mktemp("grown_controllers")
    generate(root / "drill", persons=300, seed=23, later=0.25)
    case = root / "case"
    run_fuite("scan", str(root / "drill" / "leak"), "--case", str(case), check=True)
    controllers = (root / "drill" / "answer_key" / "controllers.toml").read_text(encoding="utf-8")
    initial = FILLED_CASE + controllers
    (case / "case.toml").write_text(initial, encoding="utf-8")
    run_fuite("notify", "cnil", "--case", str(case), "--output", str(root / "initial"), "--format", "json",
              check=True)
    run_fuite("scan", str(root / "drill" / "later"), "--case", str(case), check=True)
    (case / "case.toml").write_text(initial.replace('kind = "initial"', 'kind = "complementary"').replace(
        'previous_reference = ""', 'previous_reference = "ABC-2026-0042"'), encoding="utf-8")
    run_fuite("notify", "cnil", "--case", str(case), "--output", str(root / "cnil"), "--format", "json",
              check=True)
    with open_case(case, access()) as c:
        held = controllers_of_persons(attribution_for_case(c), c.settings)
        delta = pl.from_arrow(c.get_table("delta"))
        ids = [k.id for k in c.settings.controllers]
    drafts = {i: json.loads((root / "cnil" / i / "cnil-notification.json").read_text(encoding="utf-8"))
              for i in ids}
    initial_drafts = {i: json.loads((root / "initial" / i / "cnil-notification.json").read_text(encoding="utf-8"))
                      for i in ids}
    return {"held": held, "delta": delta, "drafts": drafts, "initial": initial_drafts}


def _own(grown, controller: str, status: str) -> int:
    mine = grown["held"].filter(pl.col("controllers").str.split(";").list.contains(controller))["person_id"]
    return grown["delta"].filter((pl.col("status") == status) & pl.col("person_id").is_in(mine.implode())).height


def test_each_controller_is_told_only_of_its_own_new_and_grown_persons(grown):
    news = []
    for controller, doc in grown["drafts"].items():
        note = doc["notification"]
        assert note["type"] == "Notification complémentaire" and note["reference_initiale"] == "ABC-2026-0042"
        assert note["complement"]["nouvelles_personnes"] == _own(grown, controller, "new")
        assert note["complement"]["personnes_exposition_accrue"] == _own(grown, controller, "grown")
        news.append(note["complement"]["nouvelles_personnes"])
    new = grown["delta"].filter(pl.col("status") == "new")["person_id"]
    held_new = grown["held"].filter(pl.col("person_id").is_in(new.implode())).height   # the others: no lab holds them
    assert held_new > 0 and max(news) < held_new <= sum(news)   # split between labs, some persons in two


def test_a_controllers_totals_grow_by_its_own_share_only(grown):
    for controller, doc in grown["drafts"].items():
        before = grown["initial"][controller]["donnees"]["nombre_personnes"]
        mine = grown["held"].filter(pl.col("controllers").str.split(";").list.contains(controller)).height
        assert doc["donnees"]["nombre_personnes"] == mine >= before
