"""The draft notification to CNIL (GDPR art. 33), in French, section by section as CNIL's online form asks.

:func:`build_cnil_draft` is pure: from the persons and records tables, the case
file and the severity, it returns a JSON-ready dict holding **counts only** (no
identifier of any person). :func:`write_cnil_draft` renders it to HTML, PDF and
JSON. Facts the data cannot tell come from ``case.toml``; the missing ones are
listed under ``a_completer`` so the draft says what remains to fill in.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import polars as pl
import pyarrow as pa

from fuite import taxonomy
from fuite.assess.rules import CNIL_GRAVITY, HEALTH_CATEGORIES, LEVEL_FR
from fuite.assess.severity import BreachAssessment
from fuite.store.casefile import PARIS, CaseFile
from fuite.notify.documents import write_documents
from fuite.notify.notice import CONDITION_WORDS
from fuite.notify.wording import duration_en, duration_fr, format_count, format_decimal

__all__ = ["build_cnil_draft", "complement_figures", "write_cnil_draft", "FORMATS", "SECTIONS"]

FORMATS = ("html", "pdf", "json")

#: The sections of CNIL's online notification form, in its order (keys of the draft).
SECTIONS = (
    ("notification", "Type de notification"),
    ("responsable", "Responsable de traitement"),
    ("contact", "Personne à contacter (délégué à la protection des données)"),
    ("nature", "Nature de la violation"),
    ("chronologie", "Dates et délai de notification"),
    ("circonstances", "Circonstances de la violation"),
    ("donnees", "Personnes et données concernées"),
    ("consequences", "Conséquences probables et gravité"),
    ("mesures", "Mesures prises et envisagées"),
    ("information", "Information des personnes concernées"),
    ("transfrontalier", "Traitement transfrontalier"),
)

_ORIGIN = {"internal": "Interne", "external": "Externe", "": "Non déterminée"}
_INFORMED = {"yes": "Oui, les personnes ont été informées", "no": "Non, les personnes ne seront pas informées",
             "planned": "Non, pas encore : l'information des personnes est prévue"}


def _fmt(moment: datetime | None) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M") if moment else ""


def _record_counts(records: pa.Table | None) -> Counter:
    if records is None or "categories" not in records.column_names or records.num_rows == 0:
        return Counter()
    counts = (pl.from_arrow(records.select(["categories"])).get_column("categories").drop_nulls()
              .str.split(";").explode().value_counts())
    return Counter({k: int(v) for k, v in counts.iter_rows() if k})


def _categories(breach: BreachAssessment, records: pa.Table | None) -> list[dict]:
    per_record = _record_counts(records)
    rows = []
    for cat in taxonomy.CATEGORIES:
        persons = breach.categories.get(cat.id, 0)
        if not persons and not per_record.get(cat.id):
            continue
        if cat.group == "none":
            continue
        rows.append({"id": cat.id, "libelle": cat.fr, "personnes": persons, "enregistrements": per_record.get(cat.id, 0),
                     "sensible": cat.special or cat.id in HEALTH_CATEGORIES, "identifiant": cat.identifier})
    return rows


def _consequences(breach: BreachAssessment) -> list[str]:
    cats = set(breach.categories)
    items = ["Perte de confidentialité de données de santé : atteinte à la vie privée des patients"
             if breach.health else "Perte de confidentialité de données personnelles"]
    if cats & {"email", "phone"}:
        items.append("Hameçonnage (courriels et SMS frauduleux usurpant le laboratoire, l'Assurance Maladie, "
                     "la mutuelle ou la banque), y compris des pièces jointes piégées (rançongiciels)")
        items.append("Appels frauduleux et escroqueries (faux conseillers, faux professionnels de santé)")
    items.append("Publicité ciblée et démarchage commercial non sollicité")
    if "nir" in cats:
        items.append("Usurpation d'identité et fraude aux prestations à l'aide du numéro de sécurité sociale")
    if breach.hiv or breach.conditions:
        items.append("Chantage, discrimination ou stigmatisation liés à des pathologies sensibles "
                     "(notamment VIH)")
    return items


def complement_figures(delta: pa.Table | None) -> dict:
    """What a complementary notification adds: persons newly concerned, persons more exposed, and per new
    category or condition how many persons (counts only)."""
    if delta is None or delta.num_rows == 0:
        return {"nouvelles_personnes": 0, "personnes_exposition_accrue": 0, "categories_nouvelles": [],
                "pathologies_nouvelles": {}, "sante_nouvelle": 0}
    d = pl.from_arrow(delta)
    grown = d.filter(pl.col("status") == "grown")

    def per_item(column: str) -> Counter:
        items = grown.get_column(column).drop_nulls().str.split(";").explode()
        return Counter(v for v in items.to_list() if v)

    cats = per_item("new_categories")
    conditions = per_item("new_conditions")
    return {
        "nouvelles_personnes": int((d["status"] == "new").sum()),
        "personnes_exposition_accrue": grown.height,
        "categories_nouvelles": [{"id": c.id, "libelle": c.fr, "personnes": cats[c.id]}
                                 for c in taxonomy.CATEGORIES if cats.get(c.id)],
        "pathologies_nouvelles": {CONDITION_WORDS.get(k, (k,))[0]: v for k, v in sorted(conditions.items())},
        "sante_nouvelle": int(grown["new_health"].fill_null(False).sum()),
    }


def _missing(cf: CaseFile) -> list[str]:
    b = cf.breach
    wanted = {
        "breach.discovered_at": b.discovered_at, "breach.started_at": b.started_at,
        "breach.how_discovered": b.how_discovered, "breach.origin": b.origin, "breach.cause": b.cause,
        "breach.medium": b.medium, "breach.measures_taken": b.measures_taken,
        "breach.measures_planned": b.measures_planned, "controller.name": cf.controller.name,
        "controller.address": cf.controller.address, "controller.siren": cf.controller.siren,
        "dpo.name": cf.dpo.name, "dpo.email": cf.dpo.email,
    }
    if b.malicious is None:
        wanted["breach.malicious"] = None
    if not b.ongoing:
        wanted["breach.ended_at"] = b.ended_at
    if cf.notification.kind == "complementary":
        wanted["notification.previous_reference"] = cf.notification.previous_reference
    return [key for key, value in wanted.items() if not value]


def build_cnil_draft(breach: BreachAssessment, case_file: CaseFile, *, records: pa.Table | None = None,
                     sources: pa.Table | None = None, channels: dict[str, int] | None = None,
                     ledger_counts: dict | None = None, now: datetime | None = None,
                     delta: pa.Table | None = None) -> dict:
    """The draft as a dict: one key per section of :data:`SECTIONS`, counts only.

    For a complementary notification (``notification.kind``), ``delta`` (the persons new or more exposed
    since the initial one, :mod:`fuite.notify.delta`) gives ``notification.complement``."""
    cf, b = case_file, case_file.breach
    now = now or datetime.now(PARIS)
    deadline = b.deadline
    late = bool(deadline and now > deadline)
    s = breach.score
    files = sorted(set(sources.column("file").to_pylist())) if sources is not None and "file" in sources.column_names else []
    nature = [label for flag, label in (
        (b.confidentiality != "none", "Perte de confidentialité"),
        (b.integrity != "none", "Perte d'intégrité"),
        (b.availability != "none", "Perte de disponibilité")) if flag]
    draft = {
        "notification": {
            "type": "Notification initiale" if cf.notification.kind == "initial" else "Notification complémentaire",
            "kind": cf.notification.kind,
            "reference_initiale": cf.notification.previous_reference,
            "statut": "Violation avérée" if b.established else "Violation suspectée",
            "complement": complement_figures(delta) if cf.notification.kind == "complementary" else None,
        },
        "responsable": {"nom": cf.controller.name, "siren": cf.controller.siren, "adresse": cf.controller.address,
                        "secteur": "Santé (laboratoire de biologie médicale)" if cf.controller.sector == "health"
                        else "Autre"},
        "contact": {"nom": cf.dpo.name, "courriel": cf.dpo.email, "telephone": cf.dpo.phone},
        "nature": {"types": nature or ["Perte de confidentialité"], "avere": b.established},
        "chronologie": {
            "debut": _fmt(b.started_at), "fin": _fmt(b.ended_at), "en_cours": b.ongoing,
            "decouverte": _fmt(b.discovered_at), "echeance_72h": _fmt(deadline),
            "delai_depasse": late, "maintenant": _fmt(now),
            "heures_restantes": round((deadline - now).total_seconds() / 3600) if deadline and not late else None,
            "heures_de_retard": round((now - deadline).total_seconds() / 3600) if late else None,
            "restant": duration_fr((deadline - now).total_seconds() / 3600) if deadline and not late else "",
            "retard": duration_fr((now - deadline).total_seconds() / 3600) if late else "",
            "restant_en": duration_en((deadline - now).total_seconds() / 3600) if deadline and not late else "",
            "retard_en": duration_en((now - deadline).total_seconds() / 3600) if late else "",
            "motif_retard": b.late_reason,
        },
        "circonstances": {
            "decouverte": b.how_discovered, "origine": _ORIGIN.get(b.origin, b.origin),
            "intention": {True: "Acte malveillant", False: "Accidentelle", None: "Non déterminée"}[b.malicious],
            "cause": b.cause,
            "support": b.medium,
            "sous_traitants": list(dict.fromkeys([*b.processors, *([cf.processor.name] if cf.processor
                                                                   and cf.processor.name else [])])),
        },
        "donnees": {
            "categories_personnes": list(b.person_categories),
            "nombre_personnes": breach.persons,
            "nombre_enregistrements": int(records.num_rows) if records is not None else None,
            "fichiers_sources": len(files),
            "categories_donnees": _categories(breach, records),
            "donnees_sensibles": {
                "sante": breach.health, "vih": breach.hiv, "nir": breach.nir,
                # HIV has its own line above: listed once
                "pathologies": {CONDITION_WORDS.get(k, (k,))[0]: v for k, v in breach.conditions.items() if k != "hiv"},
            },
        },
        "consequences": {
            "probables": _consequences(breach),
            "gravite": CNIL_GRAVITY[s.level],
            "enisa": {"dpc": float(s.dpc.value), "ei": float(s.ei.value), "cb": s.cb_value, "score": s.value,
                      "niveau": LEVEL_FR[s.level],
                      "motifs": [{"valeur": float(r.value), "motif": r.fr}
                                 for r in (s.dpc, s.ei, *s.cb, *([s.floor] if s.floor else []))]},
            "repartition": {LEVEL_FR[k]: v for k, v in breach.distribution.items()},
        },
        "mesures": {"prises": list(b.measures_taken), "envisagees": list(b.measures_planned)},
        "information": {
            "statut": _INFORMED[b.persons_informed], "date": _fmt(b.persons_informed_at),
            "par_courriel": (channels or {}).get("email", 0), "par_courrier": (channels or {}).get("letter", 0),
            "sans_coordonnees": (channels or {}).get("none", 0),
            "envois": ledger_counts or {},
        },
        "transfrontalier": {"concerne": b.cross_border},
        "a_completer": _missing(cf),
    }
    return draft


def write_cnil_draft(draft: dict, output: Path, formats: tuple[str, ...] = FORMATS,
                     override_dirs: list[Path] | None = None) -> list[Path]:
    """Write ``cnil-notification.<fmt>`` files under ``output``; return their paths."""
    return write_documents(draft, output, "cnil-notification", "cnil.html.j2", formats, override_dirs,
                           {"n": format_count, "dec": format_decimal}, sections=SECTIONS)
