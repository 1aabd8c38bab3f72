"""What a notice says, once, for every format (email text, email HTML, PDF letter): French then English.

:func:`notice_sections` turns a notice context (:func:`fuite.notify.notice.notice_context`) into
``{"fr": Body, "en": Body}``: a greeting, sections of paragraphs and lists, a closing and a
signature. The templates only lay these out, so the email and the letter can never say different
things. Every body carries what GDPR art. 34(2) requires (with art. 33(3)(b)–(d)):

- the nature of the breach (``breach.description_*``, else a sentence built from the facts);
- the name and contact details of the DPO or another contact point;
- the likely consequences;
- the measures taken and proposed by the controller;
- what the person can do, with the self-check link when ``contact.url`` is set.

Sensitive conditions are named only when the context says so (``conditions_*``: the person's own
affirmed findings, never to a shared mailbox); otherwise the notice says that health data
concerning them was exposed and how to learn more privately.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Body", "Section", "notice_sections", "date_fr", "date_en", "duration_fr", "duration_en", "format_count",
           "format_decimal"]

_MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")


def date_fr(value) -> str:
    """``23 février 2021`` (a date or date-time; "" for none)."""
    return f"{'1er' if value.day == 1 else value.day} {_MONTHS_FR[value.month - 1]} {value.year}" if value else ""


def date_en(value) -> str:
    """``23 February 2021``."""
    return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}" if value else ""


def _join(words: list[str], last: str) -> str:
    if not words:
        return ""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {last} " + words[-1]


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[tuple[str, object], ...]   # ("p", text) | ("ul", [items]) | ("note", text)


@dataclass(frozen=True)
class Body:
    lang: str
    greeting: str
    intro: tuple[str, ...]
    sections: tuple[Section, ...]
    closing: str
    signature: str


_T = {
    "fr": {
        "dear": "Bonjour {name},", "anon": "Madame, Monsieur,",
        "minor": "Ce message concerne {name}, personne mineure : il est adressé à ses représentants légaux. Dans la "
                 "suite, « vous » et « vos » désignent cette personne.",
        "happened": "Ce qui s'est passé",
        "nature_default": "{who} a subi une fuite de données : des informations sur des patients ont été copiées par "
                          "des personnes non autorisées{spread}.",
        "spread": ", puis diffusées sur Internet", "we": "Notre laboratoire",
        "discovered": "Nous l'avons découvert le {date}.",
        "law": "Des informations vous concernant en font partie. La loi (article 34 du RGPD) nous oblige à vous "
               "prévenir, et nous tenons à le faire directement.",
        "exposed": "Les informations vous concernant qui ont été exposées",
        "named": "Ces informations peuvent laisser supposer {conditions}. Ce n'est pas un diagnostic. Nous vous le "
                 "signalons parce que ces informations sont particulièrement sensibles et que vous avez le droit de "
                 "savoir ce qui a été exposé.",
        "discreet": "Parmi elles figurent des informations de santé particulièrement sensibles vous concernant. Ce "
                    "message pouvant être lu par d'autres personnes, nous ne les détaillons pas ici : {how}.",
        "how_url": "vous pouvez en connaître le détail en toute confidentialité sur {url}, ou en nous contactant "
                   "(coordonnées ci-dessous)",
        "how_contact": "pour en connaître le détail, contactez-nous (coordonnées ci-dessous)",
        "health": "Certaines de ces informations concernent votre santé.",
        "could": "Ce qui pourrait arriver",
        "phishing": "Des courriels ou SMS frauduleux se faisant passer pour votre laboratoire, l'Assurance Maladie, "
                    "votre mutuelle ou votre banque, pour obtenir vos coordonnées bancaires ou vos mots de passe "
                    "(hameçonnage).",
        "malware": "Des pièces jointes ou des liens piégés qui installent un logiciel malveillant, par exemple un "
                   "rançongiciel, sur votre ordinateur ou votre téléphone.",
        "calls": "Des appels téléphoniques frauduleux (faux conseiller, faux médecin, faux laboratoire).",
        "ads": "De la publicité ciblée ou des sollicitations commerciales non désirées.",
        "identity": "Des tentatives d'usurpation d'identité ou de fraude avec votre numéro de sécurité sociale.",
        "blackmail": "Des tentatives de chantage menaçant de révéler des informations sur votre santé : ne payez "
                     "pas, portez plainte.",
        "done": "Ce que nous avons fait", "planned": "Ce que nous allons faire",
        "can": "Ce que vous pouvez faire",
        "wary": "Méfiez-vous de tout message qui parle de vos analyses, de votre laboratoire ou de votre santé, même "
                "s'il semble authentique. Nous ne vous demanderons jamais vos coordonnées bancaires ni un mot de "
                "passe.",
        "links": "N'ouvrez pas les pièces jointes et ne cliquez pas sur les liens d'un message inattendu. En cas de "
                 "doute, rappelez l'organisme au numéro que vous connaissez déjà.",
        "report": "Signalez les SMS frauduleux au 33700 et les courriels frauduleux sur www.signal-spam.fr. Vous "
                  "trouverez de l'aide sur www.cybermalveillance.gouv.fr.",
        "ameli": "Consultez régulièrement votre compte ameli et vos remboursements ; signalez à votre caisse "
                 "d'assurance maladie tout remboursement que vous ne reconnaissez pas.",
        "passwords": "Changez vos mots de passe, en commençant par celui de votre messagerie.",
        "police": "Si vous êtes victime d'une escroquerie, portez plainte au commissariat ou à la gendarmerie.",
        "cnil": "Vous pouvez adresser une réclamation à la CNIL (www.cnil.fr).",
        "selfcheck": "Vous pouvez vérifier en toute confidentialité si d'autres informations vous concernent : {url}",
        "contact": "Nous contacter",
        "phone": "Téléphone : {v}", "email": "Courriel : {v}",
        "dpo": "Délégué à la protection des données : {v}",
        "closing": "Nous vous présentons nos excuses pour cet incident et pour l'inquiétude qu'il peut causer.",
        "held": "Vos informations étaient détenues par {names}, chacun responsable du traitement des données qu'il "
                "détenait. Ce message unique vous est adressé en leur nom à tous ; chacun peut vous répondre "
                "(coordonnées ci-dessous).",
        "behalf": "{signer}, également au nom de {others}",
        "grown": "{when}, nous vous avons informé(e) d'une fuite de données vous concernant. Depuis, d'autres "
                 "fichiers issus de cette fuite ont été retrouvés : ils contiennent des informations vous concernant "
                 "qui ne figuraient pas dans notre premier message. Ce message le complète et ne dit que ce qui est "
                 "nouveau ; tout ce que disait le premier reste valable.",
        "grown_when": "Le {date}",
        "later": "Ces informations figurent dans des fichiers issus de cette fuite retrouvés après nos premiers "
                 "messages.",
        "exposed_new": "Ce qui est nouveau : les informations vous concernant dans les fichiers retrouvés",
    },
    "en": {
        "dear": "Dear {name},", "anon": "Dear Sir or Madam,",
        "minor": "This message is about {name}, a minor: it is addressed to their legal guardians. Below, \"you\" "
                 "and \"your\" mean this person.",
        "happened": "What happened",
        "nature_default": "{who} suffered a data leak: information about patients was copied by unauthorised "
                          "persons{spread}.",
        "spread": " and then published on the Internet", "we": "Our laboratory",
        "discovered": "We discovered it on {date}.",
        "law": "Information about you is part of it. The law (GDPR article 34) requires us to tell you, and we "
               "want to tell you directly.",
        "exposed": "Your information that was exposed",
        "named": "This information may suggest {conditions}. It is not a diagnosis. We tell you because this "
                 "information is particularly sensitive and you have the right to know what was exposed.",
        "discreet": "It includes particularly sensitive health information about you. As others may read this "
                    "message, we do not detail it here: {how}.",
        "how_url": "you can learn the details privately on {url}, or by contacting us (see below)",
        "how_contact": "contact us for the details (see below)",
        "health": "Some of this information is about your health.",
        "could": "What could happen",
        "phishing": "Fraudulent emails or text messages pretending to come from your laboratory, the health "
                    "insurance (Assurance Maladie), your insurer or your bank, to get your bank details or "
                    "passwords (phishing).",
        "malware": "Booby-trapped attachments or links that install malicious software, such as ransomware, on "
                   "your computer or phone.",
        "calls": "Scam phone calls (fake adviser, fake doctor, fake laboratory).",
        "ads": "Targeted advertising or unwanted sales calls.",
        "identity": "Attempts at identity theft or fraud using your social security number.",
        "blackmail": "Blackmail threatening to reveal information about your health: do not pay, report it to the "
                     "police.",
        "done": "What we have done", "planned": "What we will do",
        "can": "What you can do",
        "wary": "Be wary of any message that mentions your tests, your laboratory or your health, even if it looks "
                "genuine. We will never ask for your bank details or a password.",
        "links": "Do not open attachments or click links in an unexpected message. If in doubt, call the "
                 "organisation back on a number you already know.",
        "report": "Report scam text messages to 33700 and scam emails on www.signal-spam.fr. Help is available on "
                  "www.cybermalveillance.gouv.fr.",
        "ameli": "Check your ameli account and your reimbursements regularly; report any reimbursement you do not "
                 "recognise to your health insurance fund.",
        "passwords": "Change your passwords, starting with your email account.",
        "police": "If you are the victim of a scam, report it to the police or gendarmerie.",
        "cnil": "You can lodge a complaint with the CNIL, the French data protection authority (www.cnil.fr).",
        "selfcheck": "You can check privately whether other information about you was exposed: {url}",
        "contact": "Contact us",
        "phone": "Phone: {v}", "email": "Email: {v}",
        "dpo": "Data protection officer: {v}",
        "closing": "We apologise for this incident and for the worry it may cause.",
        "held": "Your information was held by {names}, each the controller of the data it held. This single "
                "message is sent on behalf of all of them; each of them can answer you (see below).",
        "behalf": "{signer}, also on behalf of {others}",
        "grown": "{when}, we informed you of a data leak concerning you. Since then, further files from this leak "
                 "have been found: they hold information about you that was not in our first message. This message "
                 "complements it and says only what is new; everything the first one said still applies.",
        "grown_when": "On {date}",
        "later": "This information is in files from this leak that were found after our first messages.",
        "exposed_new": "What is new: the information about you in the files found since",
    },
}


def _measures(b, lang: str) -> tuple[list[str], list[str]]:
    """Measures taken and planned in ``lang`` (the English lists when given item for item, else the French)."""
    if lang == "en":
        taken = list(b.measures_taken_en) if len(b.measures_taken_en) == len(b.measures_taken) else []
        planned = list(b.measures_planned_en) if len(b.measures_planned_en) == len(b.measures_planned) else []
        return taken or list(b.measures_taken), planned or list(b.measures_planned)
    return list(b.measures_taken), list(b.measures_planned)


def _contact_lines(ctx: dict, t: dict) -> list[str]:
    """The signer's contact lines, then those of every other controller of the person."""
    lines = _party_lines(ctx["controller"], ctx["contact"], ctx["dpo"], t)
    for view in ctx.get("controllers") or []:
        if view.controller != ctx["controller"]:
            lines += _party_lines(view.controller, view.contact, view.dpo, t)
    return lines


def _party_lines(controller, contact, dpo, t: dict) -> list[str]:
    lines = [", ".join(p for p in (controller.name, controller.address) if p)]
    lines += [t["phone"].format(v=contact.phone)] if contact.phone else []
    lines += [t["email"].format(v=contact.email)] if contact.email else []
    who = ", ".join(p for p in (dpo.name, dpo.email, dpo.phone) if p)
    lines += [t["dpo"].format(v=who)] if who else []
    return [line for line in lines if line]


def _body(ctx: dict, lang: str) -> Body:
    t, person, b = _T[lang], ctx["person"], ctx["case"].breach
    controller = ctx["controller"]
    greeting = t["dear"].format(name=person["greeting_name"]) if person["greeting_name"] else t["anon"]
    intro = (t["minor"].format(name=person["display_name"]),) if person["minor"] else ()
    intro += _complement_intro(ctx.get("complement"), t, lang)
    description = b.description_fr if lang == "fr" else b.description_en
    nature = description or t["nature_default"].format(
        who=controller.name or t["we"], spread=t["spread"] if b.confidentiality == "unknown_recipients" else "")
    happened = [" ".join(p for p in (nature, t["discovered"].format(date=(date_fr if lang == "fr" else date_en)(
        b.discovered_at)) if b.discovered_at else "", t["law"]) if p)]
    names = [view.controller.name for view in ctx.get("controllers") or []]
    if len(names) > 1:
        happened.append(t["held"].format(names=_join(names, "et" if lang == "fr" else "and")))
    exposed: list[tuple[str, object]] = [("ul", ctx[f"exposed_{lang}"])]
    conditions = ctx[f"conditions_{lang}"]
    url = ctx["contact"].url
    if conditions:
        exposed.append(("note", t["named"].format(conditions=_join(conditions, "et" if lang == "fr" else "and"))))
    elif ctx["sensitive_unnamed"]:
        how = t["how_url"].format(url=url) if url else t["how_contact"]
        exposed.append(("note", t["discreet"].format(how=how)))
    elif ctx["health"]:
        exposed.append(("p", t["health"]))
    could = [t["phishing"], t["malware"]] + ([t["calls"]] if ctx["contact_exposed"] else []) + [t["ads"]] \
        + ([t["identity"]] if ctx["nir"] else []) \
        + ([t["blackmail"]] if conditions or ctx["sensitive_unnamed"] else [])
    taken, planned = _measures(b, lang)
    done: list[tuple[str, object]] = [("ul", taken)] if taken else []
    can = [t["wary"], t["links"], t["report"]] + ([t["ameli"]] if ctx["nir"] else []) \
        + ([t["passwords"]] if ctx["credentials"] else []) + [t["police"], t["cnil"]] \
        + ([t["selfcheck"].format(url=url)] if url else [])
    sections = [Section(t["happened"], tuple(("p", p) for p in happened)),
                Section(t["exposed_new" if (ctx.get("complement") or {}).get("kind") == "grown" else "exposed"],
                        tuple(exposed)),
                Section(t["could"], (("ul", could),))]
    if done:
        sections.append(Section(t["done"], tuple(done)))
    if planned:
        sections.append(Section(t["planned"], (("ul", planned),)))
    sections += [Section(t["can"], (("ul", can),)),
                 Section(t["contact"], tuple(("p", line) for line in _contact_lines(ctx, t)))]
    others = [n for n in names if n != controller.name]
    signature = t["behalf"].format(signer=controller.name, others=_join(others, "et" if lang == "fr" else "and")) \
        if others else controller.name
    return Body(lang, greeting, intro, tuple(sections), t["closing"], signature)


def _complement_intro(complement: dict | None, t: dict, lang: str) -> tuple[str, ...]:
    """The paragraph that says a notice complements an earlier one (or comes from files found later)."""
    if not complement:
        return ()
    if complement["kind"] != "grown":
        return (t["later"],)
    told = complement.get("first_notice")
    when = t["grown_when"].format(date=(date_fr if lang == "fr" else date_en)(told)) if told else ""
    text = t["grown"].format(when=when) if when else t["grown"].format(when="").lstrip(", ")
    return ((text[0].upper() + text[1:]) if text else text,)


def notice_sections(ctx: dict) -> dict[str, Body]:
    """``{"fr": Body, "en": Body}`` of one notice context."""
    return {"fr": _body(ctx, "fr"), "en": _body(ctx, "en")}


_UNITS = {"fr": ("jour", "jours", "heure", "heures", "et"), "en": ("day", "days", "hour", "hours", "and")}


def _duration(hours: float, lang: str) -> str:
    day, days, hour, hours_, conj = _UNITS[lang]
    total = max(0, round(hours))

    def count(n: int, one: str, many: str) -> str:
        return f"{format_count(n, lang)} {one if n == 1 else many}"

    if total <= 48:
        return count(total, hour, hours_)
    d, rest = divmod(total, 24)
    return count(d, day, days) + (f" {conj} {count(rest, hour, hours_)}" if rest else "")


def format_count(n: int, lang: str = "fr") -> str:
    """``57 221`` in French (narrow no-break space), ``57,221`` in English."""
    text = f"{int(n):,}"
    return text.replace(",", "\u202f") if lang == "fr" else text


def format_decimal(x: float, lang: str = "fr") -> str:
    """``0,5`` in French, ``0.5`` in English; whole numbers without decimals (``4``)."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "fr" else text


def duration_fr(hours: float) -> str:
    """``40 heures``; over 48 hours in days: ``2 104 jours et 11 heures``."""
    return _duration(hours, "fr")


def duration_en(hours: float) -> str:
    """``40 hours``; over 48 hours in days: ``2,104 days and 11 hours``."""
    return _duration(hours, "en")
