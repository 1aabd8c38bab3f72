"""The severity rules, in one place: ENISA 2013, ``SE = DPC × EI + CB``.

Reference: ENISA, *Recommendations for a methodology of the assessment of severity
of personal data breaches* (December 2013), and EDPB Guidelines 9/2022 on personal
data breach notification (health data: a high risk is likely, art. 34 applies).

- **DPC** (data processing context, 1–4): how much harm the exposed data can do.
  ENISA basic scores: simple data 1, behavioural 2, financial 3, sensitive 4, raised
  when the controller's context reveals more (a laboratory's patient list reveals
  that tests were done: +2). The person's DPC is the highest rule that applies.
- **EI** (ease of identification, 0.25–1): negligible 0.25, limited 0.5,
  significant 0.75, maximum 1. The highest rule that applies.
- **CB** (circumstances of the breach, added): loss of confidentiality (known
  recipients +0.25, unknown recipients +0.5), of integrity and of availability
  (+0.25 recoverable / +0.5 not), malicious intent +0.5.
- **Levels**: low < 2 ≤ medium < 3 ≤ high < 4 ≤ very high.
- **Floor**: data concerning health (GDPR art. 9) makes the level at least high.

Every rule has a stable id; results carry the ids that fired (``reasons``) and
:func:`explain` gives the sentence, in English and French. ``docs/assess.md`` is
the same table for humans (a test keeps them in step).
"""

from __future__ import annotations

from dataclasses import dataclass

from fuite import taxonomy

__all__ = [
    "Rule", "RULES", "DPC_RULES", "EI_RULES", "LEVELS", "LEVEL_FR", "CNIL_GRAVITY",
    "Circumstances", "PersonFacts", "dpc_rules", "ei_rules", "cb_rules", "level_of", "explain",
    "HEALTH_CATEGORIES", "FLOOR_HEALTH",
]


@dataclass(frozen=True)
class Rule:
    """One scoring rule: a stable id, its value, why (English and French)."""

    id: str
    value: float
    en: str
    fr: str


# --- DPC: data processing context -------------------------------------------------------------
DPC_RULES: tuple[Rule, ...] = (
    Rule("dpc.simple", 1, "simple data only (identity, contact details)",
         "données simples uniquement (identité, coordonnées)"),
    Rule("dpc.insurer", 2, "health insurer (mutuelle) exposed: allows assumptions on social status",
         "organisme complémentaire exposé : permet des hypothèses sur la situation sociale"),
    Rule("dpc.nir", 3, "social security number (NIR) exposed: regulated identifier usable for fraud",
         "numéro de sécurité sociale (NIR) exposé : identifiant réglementé, utilisable pour des fraudes"),
    Rule("dpc.credentials", 3, "login credentials exposed: accounts can be taken over",
         "identifiants de connexion exposés : les comptes peuvent être détournés"),
    Rule("dpc.health_context", 3,
         "simple data held by a health-care controller: it reveals that the person was a patient (+2)",
         "données simples détenues par un acteur de santé : elles révèlent que la personne a été patiente (+2)"),
    Rule("dpc.health", 4, "data concerning health exposed (GDPR art. 9)",
         "données de santé exposées (article 9 du RGPD)"),
    Rule("dpc.special_condition", 4,
         "a particularly stigmatising condition can be inferred (HIV, pregnancy, cancer, hepatitis, "
         "mental health, addiction)",
         "une pathologie particulièrement stigmatisante peut être déduite (VIH, grossesse, cancer, hépatite, "
         "santé mentale, addiction)"),
)

# --- EI: ease of identification ---------------------------------------------------------------
EI_RULES: tuple[Rule, ...] = (
    Rule("ei.none", 0.25, "no identifying data: identification extremely difficult",
         "aucune donnée identifiante : identification extrêmement difficile"),
    Rule("ei.partial_name", 0.5, "only part of the name, with other details",
         "nom partiel seulement, avec d'autres éléments"),
    Rule("ei.name", 0.5, "full name alone: homonyms are common", "nom complet seul : les homonymes sont fréquents"),
    Rule("ei.contact", 0.75, "email address or phone number: reaches the person directly",
         "adresse e-mail ou téléphone : permet de joindre directement la personne"),
    Rule("ei.name_contact", 0.75, "full name with an email address or phone number",
         "nom complet avec une adresse e-mail ou un téléphone"),
    Rule("ei.name_birth_date", 1, "full name with date of birth: identifies the person",
         "nom complet et date de naissance : identifient la personne"),
    Rule("ei.name_address", 1, "full name with postal address: identifies the person",
         "nom complet et adresse postale : identifient la personne"),
    Rule("ei.nir", 1, "social security number: identifies the person uniquely",
         "numéro de sécurité sociale : identifie la personne de façon unique"),
)

# --- CB: circumstances of the breach ----------------------------------------------------------
CB_RULES: tuple[Rule, ...] = (
    Rule("cb.confidentiality_known", 0.25, "loss of confidentiality to known recipients",
         "perte de confidentialité au profit de destinataires connus"),
    Rule("cb.confidentiality_unknown", 0.5, "loss of confidentiality to unknown recipients (data published)",
         "perte de confidentialité au profit de destinataires inconnus (données diffusées)"),
    Rule("cb.integrity_recoverable", 0.25, "data altered, can be restored", "données altérées, restaurables"),
    Rule("cb.integrity_lost", 0.5, "data altered, cannot be restored", "données altérées, non restaurables"),
    Rule("cb.availability_temporary", 0.25, "data temporarily unavailable", "données temporairement indisponibles"),
    Rule("cb.availability_lost", 0.5, "data lost for good", "données définitivement perdues"),
    Rule("cb.malicious", 0.5, "malicious intent", "intention malveillante"),
)

FLOOR_HEALTH = Rule(
    "floor.health", 3,
    "data concerning health: the level is at least high (EDPB), persons must be informed (art. 34)",
    "données de santé : le niveau est au moins élevé (CEPD), les personnes doivent être informées (art. 34)",
)

RULES: dict[str, Rule] = {r.id: r for r in (*DPC_RULES, *EI_RULES, *CB_RULES, FLOOR_HEALTH)}

#: Levels, lowest first, with the score at which each starts.
LEVELS: tuple[tuple[str, float], ...] = (("low", 0.0), ("medium", 2.0), ("high", 3.0), ("very_high", 4.0))
LEVEL_FR = {"low": "faible", "medium": "moyen", "high": "élevé", "very_high": "très élevé"}
#: The four words of CNIL's form for the likely severity.
CNIL_GRAVITY = {"low": "négligeable", "medium": "limitée", "high": "importante", "very_high": "maximale"}

#: Taxonomy categories whose presence is data concerning health.
HEALTH_CATEGORIES = taxonomy.HEALTH_CATEGORIES

_NAME = {"last_name", "first_name", "full_name"}
_ADDRESS = {"street_address", "full_address"}


@dataclass(frozen=True)
class Circumstances:
    """What the data cannot tell: how the breach happened (from ``case.toml`` [breach])."""

    confidentiality: str = "unknown_recipients"  # none / known_recipients / unknown_recipients
    integrity: str = "none"                      # none / recoverable / lost
    availability: str = "none"                   # none / temporary / lost
    malicious: bool = False
    health_context: bool = True                  # the controller is a health-care actor (a laboratory)

    @classmethod
    def of(cls, case_file) -> "Circumstances":
        """The circumstances stated in a typed case file (``fuite.store.casefile.CaseFile``)."""
        b = case_file.breach
        malicious = True if b.malicious is None else b.malicious   # not stated yet: assume the worse
        return cls(b.confidentiality, b.integrity, b.availability, malicious,
                   case_file.controller.sector == "health")


@dataclass(frozen=True)
class PersonFacts:
    """What one person's exposed data contains (derived from a persons row)."""

    categories: frozenset[str]
    health: bool = False
    hiv: bool = False
    conditions: frozenset[str] = frozenset()


def dpc_rules(facts: PersonFacts, circ: Circumstances) -> list[Rule]:
    """The DPC rules that apply to this person (the score is the highest value)."""
    cats = facts.categories
    fired = [RULES["dpc.simple"]]
    if cats & {"insurer_name", "insurer_id"}:
        fired.append(RULES["dpc.insurer"])
    if "nir" in cats:
        fired.append(RULES["dpc.nir"])
    if "credential" in cats:
        fired.append(RULES["dpc.credentials"])
    if circ.health_context:
        fired.append(RULES["dpc.health_context"])
    if facts.health or cats & HEALTH_CATEGORIES:
        fired.append(RULES["dpc.health"])
    if facts.hiv or facts.conditions:
        fired.append(RULES["dpc.special_condition"])
    return fired


def ei_rules(facts: PersonFacts) -> list[Rule]:
    """The EI rules that apply to this person (the score is the highest value)."""
    cats = facts.categories
    full_name = "full_name" in cats or {"last_name", "first_name"} <= cats
    contact = bool(cats & {"email", "phone"})
    fired = [RULES["ei.none"]]
    if cats & _NAME and not full_name:
        fired.append(RULES["ei.partial_name"])
    if full_name:
        fired.append(RULES["ei.name"])
    if contact:
        fired.append(RULES["ei.contact"])
    if full_name and contact:
        fired.append(RULES["ei.name_contact"])
    if full_name and "birth_date" in cats:
        fired.append(RULES["ei.name_birth_date"])
    if full_name and cats & _ADDRESS:
        fired.append(RULES["ei.name_address"])
    if "nir" in cats:
        fired.append(RULES["ei.nir"])
    return fired


def cb_rules(circ: Circumstances) -> list[Rule]:
    """The CB rules that apply to the breach (the score is their sum)."""
    wanted = {
        "known_recipients": "cb.confidentiality_known", "unknown_recipients": "cb.confidentiality_unknown",
    }.get(circ.confidentiality), {
        "recoverable": "cb.integrity_recoverable", "lost": "cb.integrity_lost",
    }.get(circ.integrity), {
        "temporary": "cb.availability_temporary", "lost": "cb.availability_lost",
    }.get(circ.availability), "cb.malicious" if circ.malicious else None
    return [RULES[w] for w in wanted if w]


def level_of(score: float) -> str:
    """Map a score to its level: low < 2 ≤ medium < 3 ≤ high < 4 ≤ very_high."""
    level = LEVELS[0][0]
    for name, start in LEVELS:
        if score >= start:
            level = name
    return level


def explain(rule_id: str, lang: str = "en") -> str:
    """The sentence behind a rule id, in English or French."""
    rule = RULES[rule_id]
    return rule.fr if lang == "fr" else rule.en
