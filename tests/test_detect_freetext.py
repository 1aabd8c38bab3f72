"""Free text: health, HIV (with negation and test contexts) and special conditions, one table of cases."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuite.detect.freetext import analyse_column, analyse_text
from fuite.detect.terminology import condition_of_atc, drug_terms

# (text, health, hiv, conditions)
CASES = [
    # HIV infection, antiretrovirals, PrEP
    ("Patient VIH+ sous Biktarvy", True, True, {"hiv"}),
    ("VIH positif connu depuis 2010", True, True, {"hiv"}),
    ("sérologie VIH positive, confirmée par western blot", True, True, {"hiv"}),
    ("HIV-1 infection, on Genvoya", True, True, {"hiv"}),
    ("ttt ARV : Triumeq 1cp/j", True, True, {"hiv"}),
    ("TRUVADA 1 cp/j (PrEP)", True, True, {"hiv"}),
    ("Bilan PrEP M3 : RAS", True, True, {"hiv"}),
    ("prophylaxie pré-exposition en cours", True, True, {"hiv"}),
    ("charge virale VIH indétectable", True, True, {"hiv"}),
    ("numération lymphocytes CD4 : 612/mm3", True, True, {"hiv"}),
    ("Séropositif, trithérapie bien tolérée", True, True, {"hiv"}),
    ("Diagnostic CIM-10 B20", True, True, {"hiv"}),
    ("sida stade C", True, True, {"hiv"}),
    ("Dolutégravir + lamivudine (Dovato)", True, True, {"hiv"}),
    ("PVVIH sous TDF/FTC + DTG", True, True, {"hiv"}),
    ("3TC + AZT", True, True, {"hiv"}),
    ("on PrEP since 2019", True, True, {"hiv"}),
    ("Pas de traitement ARV", True, False, set()),
    ("HIV test negative", True, False, set()),
    ("séronégatif", False, False, set()),
    # HIV words that reveal no HIV
    ("Sérologie VIH négative", True, False, set()),
    ("sérologie VIH demandée", True, False, set()),
    ("Dépistage VIH et VHC négatifs", True, False, set()),
    ("TROD VIH : négatif", True, False, set()),
    ("pas de VIH connu", True, False, set()),
    ("HIV négatif", True, False, set()),
    ("VIH -", True, False, set()),
    ("absence de VIH", True, False, set()),
    ("pas de PrEP", True, False, set()),
    # dual-use antiretrovirals given for hepatitis B
    ("Viread (VHB)", True, False, {"hepatitis"}),
    ("TDF (VHB)", True, False, {"hepatitis"}),
    ("Hépatite B chronique sous Viread", True, False, {"hepatitis"}),
    ("Zeffix 100 mg", True, False, {"hepatitis"}),
    # other special conditions
    ("Grossesse 24 SA, contrôle glycémie", True, False, {"pregnancy"}),
    ("Patiente enceinte de 3 mois", True, False, {"pregnancy"}),
    ("test de grossesse négatif", True, False, set()),
    ("ATCD cancer du sein, chimio terminée", True, False, {"cancer"}),
    ("Tamoxifène 20mg", True, False, {"cancer"}),
    ("Hépatite C traitée par Epclusa", True, False, {"hepatitis"}),
    ("Ag HBs négatif", True, False, set()),
    ("Dépression sous Deroxat", True, False, {"mental_health"}),
    ("suivi psychiatrique, Risperdal", True, False, {"mental_health"}),
    ("Substitution aux opiacés : méthadone 60mg", True, False, {"addiction"}),
    ("Sous Subutex", True, False, {"addiction"}),
    ("Code CIM10: C50.9", True, False, {"cancer"}),
    # health without special condition
    ("INR 2,4 sous AVK (Previscan)", True, False, set()),
    ("ATCD HTA, ttt Amlor 5mg", True, False, set()),
    ("Diabète de type 2, HbA1c 7,2 %", True, False, set()),
    ("allergie pénicilline", True, False, set()),
    # no health information
    ("RAS", False, False, set()),
    ("Patient pressé, rappeler demain", False, False, set()),
    ("Résultats envoyés par courrier", False, False, set()),
    ("Adresse à vérifier", False, False, set()),
    ("Tube hémolysé, à reprélever", False, False, set()),
    ("", False, False, set()),
]


@pytest.mark.parametrize(("text", "health", "hiv", "conditions"), CASES, ids=[c[0][:40] or "empty" for c in CASES])
def test_text_cases(text, health, hiv, conditions):
    found = analyse_text(text)
    assert (found.health, found.hiv, set(found.conditions)) == (health, hiv, conditions)


def test_accents_and_case_do_not_matter():
    assert analyse_text("SEROLOGIE VIH NEGATIVE").hiv is False
    assert analyse_text("patient vih+ sous biktarvy").hiv is True
    assert analyse_text("Sérologie VIH négative") == analyse_text("serologie vih negative")


def test_words_must_stand_alone():
    # "prep" inside "preparation", "vih" inside a longer word: no hit
    assert analyse_text("préparation du tube").health is False
    assert analyse_text("Vihiers (49)").hiv is False


def test_column_analysis_matches_cell_analysis():
    texts = [c[0] for c in CASES] + [None, "RAS", "VIH positif"]
    import polars as pl

    frame = analyse_column(pl.Series(texts, dtype=pl.String))
    assert frame["hiv"].to_list() == [analyse_text(t).hiv if t is not None else None for t in texts]
    assert frame.height == len(texts)


def test_hiv_atc_codes_from_edsnlp():
    hiv_drugs = {t.text for t in drug_terms() if t.condition == "hiv"}
    assert {"biktarvy", "truvada", "triumeq", "efavirenz", "raltegravir", "dolutegravir"} <= hiv_drugs
    assert condition_of_atc("J05AR03") == "hiv"
    assert condition_of_atc("J05AB01") is None          # aciclovir: an antiviral, not an antiretroviral
    assert condition_of_atc("J05AE11") == "hepatitis"   # telaprevir
    assert condition_of_atc("L01XC03") == "cancer"
    assert condition_of_atc("N07BC02") == "addiction"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_handled(text):
    found = analyse_text(text)
    assert isinstance(found.health, bool) and isinstance(found.hiv, bool)
    assert found.hiv <= found.health


THIRD_PARTY = [
    ("Suivi PrEP — accompagné par M. Mercier", True),
    ("résultats transmis au Dr Guyot", True),
    ("Mme Le Goff a appelé", True),
    ("RAS", False),
    ("Dr", False),
    ("contrôle INR mardi", False),
]


def test_titled_names_in_free_text():
    import polars as pl

    from fuite.detect.thirdparty import titled_names

    assert titled_names(pl.Series([t for t, _ in THIRD_PARTY])).to_list() == [e for _, e in THIRD_PARTY]


@pytest.mark.slow
def test_spacy_pass_finds_persons():
    import polars as pl

    from fuite.detect.thirdparty import spacy_names

    found = spacy_names(pl.Series(["Patient accompagné de sa fille Julie Martin", None, "RAS"])).to_list()
    assert found == [True, False, False]
