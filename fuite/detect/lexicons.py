"""Word lists the detectors match against (all accent-folded, lower-case).

First names come from Faker's person providers of several locales (French,
Belgian, Swiss, Canadian and neighbouring countries' names, since patients of
French labs carry them all); the rest is written out here.
"""

from functools import lru_cache

from fuite.detect.folding import fold

__all__ = [
    "first_names", "first_names_series", "INSURERS", "LAB_WORDS", "STREET_TYPES", "PHYSICIAN_TITLES", "SEX_VALUES",
    "CITY_MARKERS",
]

_NAME_LOCALES = ("fr_FR", "fr_CA", "fr_CH", "fr_BE", "en_US", "en_GB", "de_DE", "it_IT", "es_ES", "pt_PT",
                 "nl_NL", "pl_PL", "ar_AA", "tr_TR")


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Folded first names (and each part of compound ones such as Jean-Pierre)."""
    import importlib

    names: set[str] = set()
    for locale in _NAME_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        except (ImportError, AttributeError):
            continue
        for attr in ("first_names", "first_names_male", "first_names_female"):
            pool = getattr(provider, attr, ())
            for name in (pool.keys() if isinstance(pool, dict) else pool):
                folded = fold(name)
                names.add(folded)
                names.update(part for part in folded.split("-") if len(part) > 2)
    return frozenset(n for n in names if len(n) > 1)


@lru_cache(maxsize=1)
def first_names_series():
    """``first_names()`` as a polars Series, for vectorised ``is_in``."""
    import polars as pl

    return pl.Series("first_names", sorted(first_names()), dtype=pl.String)


#: French complementary health insurers (mutuelles, institutions de prévoyance, assureurs santé).
INSURERS = tuple(fold(n) for n in (
    "MGEN", "Harmonie Mutuelle", "Malakoff Humanis", "Malakoff Médéric", "AG2R La Mondiale", "AG2R", "Humanis",
    "Groupama", "MACIF", "MAAF", "MAIF", "MATMUT", "AXA", "Allianz", "Swiss Life", "Generali", "April", "Alan",
    "MNT", "MGEFI", "MNH", "Mutuelle Générale", "La Mutuelle Générale", "Intériale", "Apivia", "Ociane",
    "Mutualia", "PRO BTP", "Klesia", "Audiens", "Cegema", "Solimut", "Eovi MCD", "Aésio", "Adrea", "Uneo",
    "Mutuelle de Poitiers", "Mutuelle Bleue", "Mutuelle Familiale", "MMA", "Crédit Agricole Assurances",
    "Pacifica", "Covéa", "Smatis", "Smeno", "LMDE", "SMERRA", "Vivinter", "Viasanté", "Radiance", "Mercer",
    "Henner", "Gan Assurances", "Gan", "Macsf", "MIP", "Mutuelle des Motards", "Miel Mutuelle", "MCEN",
    "Mutuelle Nationale Territoriale", "Mutuelle Nationale des Hospitaliers", "Prévoyance", "Mutuelle",
    "Harmonie", "Mutex", "CNP", "Ag2r", "Unéo", "MFP", "Prim'Act", "Mutuelle Entrenous", "MBA Mutuelle",
    "Mutuelle Saint-Christophe", "MGC", "Ipeca", "Mutuelle SMI", "Mutami", "Apréva", "Ociane Matmut",
    "Mutuelle Ociane", "Groupe Pasteur Mutualité", "GPM", "CMU-C", "CSS", "Complémentaire santé solidaire",
    "Malakoff", "Humanis Prévoyance", "Génération", "Mutuelle du Rempart", "Mutuelle Just", "Mutuelle MGEN",
    "Mut.", "Mut", "Mutualité", "Mutualite Francaise", "Prévifrance", "Assurances", "Mutuelle Santé", "MNFCT",
    "Myriade", "Mutuelle Bleue", "Médicis", "Umanens", "Entis", "Mutuale", "Sphéria", "Identités Mutuelle",
))

#: Words naming a medical laboratory or care site.
LAB_WORDS = tuple(fold(w) for w in (
    "laboratoire", "labo", "lbm", "biologie medicale", "biologie", "analyses medicales", "biopath", "biogroup",
    "cerballiance", "eurofins", "synlab", "unilabs", "inovie", "bioclinic", "biomnis", "cerba", "laborizon",
    "oriabio", "biolam", "centre de prelevement", "site de prelevement", "clinique", "hopital", "chu", "ch ",
    "centre hospitalier", "polyclinique", "labm", "selas", "selarl", "bio ", "lab ",
))

#: French street types and their abbreviations.
STREET_TYPES = (
    "rue", "r", "avenue", "av", "ave", "boulevard", "bd", "bld", "bvd", "chemin", "ch", "che", "allee", "all",
    "impasse", "imp", "place", "pl", "route", "rte", "quai", "cours", "square", "sq", "lotissement", "lot",
    "residence", "res", "lieu dit", "lieu-dit", "ld", "hameau", "ham", "faubourg", "fg", "passage", "pass",
    "voie", "sentier", "promenade", "rond-point", "cite", "domaine", "parc", "venelle", "ruelle", "esplanade",
    "mail", "montee", "villa", "clos", "traverse", "street", "st", "road", "rd", "lane", "drive",
)

#: Title words before a physician's name.
PHYSICIAN_TITLES = ("dr", "dr.", "docteur", "pr", "pr.", "professeur", "doct", "dre", "drs")

#: Folded cell values of a sex / civility column and the sex they mean.
SEX_VALUES = {
    "m": "M", "h": "M", "homme": "M", "masculin": "M", "masc": "M", "male": "M", "mr": "M", "m.": "M",
    "monsieur": "M", "1": "M", "garcon": "M",
    "f": "F", "femme": "F", "feminin": "F", "fem": "F", "female": "F", "mme": "F", "mme.": "F", "mlle": "F",
    "madame": "F", "mademoiselle": "F", "2": "F", "fille": "F", "w": "F",
}

#: Words frequent in French commune names and rare in surnames.
CITY_MARKERS = ("saint", "sainte", "sur", "les", "lès", "en", "sous", "la", "le", "de", "du", "cedex", "ville")
