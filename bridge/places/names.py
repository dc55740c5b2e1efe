"""How names of places and of councils are compared (pure functions, no I/O).

- `fold`: case, accents and punctuation ignored ("L'Hospitalet" = "l hospitalet").
- `place_keys`: the keys under which a gazetteer name is found: its article moved to the front
  ("Hospitalet de Llobregat, l'" = "L'Hospitalet de Llobregat"), each part of a bilingual name
  ("Donostia/San Sebastián"); `without_article` gives the fallback key ("Masnou": "El Masnou").
- `council_town`: the town a council's name names ("Ajuntament d'Olot", "City of Utrecht",
  "Barcelona City Council", "Comune di Bologna", "Helsingin kaupunki" is left alone), or None when
  the name says the body is something else (a provincial or county council, a regional
  government, a company…), which must never be placed as the council of the town it sits in.
"""

from __future__ import annotations

import re
import unicodedata

# Articles that registries write after the name ("Masnou, el"), in the languages of the data.
_ARTICLES = frozenset(
    ["l'", "el", "la", "els", "les", "lo", "los", "las", "es", "sa", "ses", "o", "a", "os", "as",
     "il", "gli", "i", "le", "de", "den", "der", "die", "das", "het", "'t", "s'"]
)  # fmt: skip
_LEADING_ARTICLE_RE = re.compile(r"^(l|el|la|els|les|lo|los|las|es|sa|ses|o|a|os|as|il|le) ")
_PUNCT_RE = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Lower case, no accents, any run of punctuation or spaces as one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _PUNCT_RE.sub(" ", plain.replace("·", "")).strip()


def article_first(name: str) -> str:
    """ "Hospitalet de Llobregat, l'" -> "l'Hospitalet de Llobregat"; other names unchanged."""
    head, comma, tail = name.rpartition(",")
    if comma and tail.strip().casefold() in _ARTICLES:
        article = tail.strip()
        return f"{article}{'' if article.endswith(chr(39)) else ' '}{head.strip()}"
    return name


def without_article(key: str) -> str:
    return _LEADING_ARTICLE_RE.sub("", key)


def place_keys(name: str) -> set[str]:
    """Every folded form under which a registry's name is found."""
    keys: set[str] = set()
    for part in {name, *name.split("/")}:
        key = fold(article_first(part.strip()))
        if key:
            keys.add(key)
    return keys


# --------------------------------------------------------------------------- councils' names

# Words that say a body is not a municipal council (folded, matched as whole words). A record's
# `kind` is checked against the same list.
# fmt: off
_NOT_COUNCIL_WORDS = [
    # provincial, county, regional, national and metropolitan government
    "diputacio", "diputacion", "diputazione", "consell", "consejo", "comarca", "comarcal",
    "mancomunitat", "mancomunidad", "generalitat", "gobierno", "govern", "government", "regional",
    "region", "regione", "regio", "province", "provincia", "provincie", "provinz", "provincial",
    "departement", "department", "departament", "ministry", "ministerio", "ministero", "state",
    "bundesland", "metropolitan", "metropolitana", "metropolita", "area metropolitana", "county",
    "landkreis", "prefecture",
    # other public bodies
    "agency", "agencia", "agenzia", "agentschap", "authority", "autoritat", "consorci",
    "consorcio", "consortium", "police", "policia", "polizia", "politie", "court", "tribunal",
    "tribunale", "rechtbank", "hospital", "ospedale", "university", "universitat", "universidad",
    "universita", "universiteit", "school", "escola", "institute", "institut", "instituto",
    "istituto", "library", "biblioteca", "museum", "metro", "transport", "office", "service",
    "services", "division", "board",
    # companies, foundations, associations
    "company", "companyia", "empresa", "societat", "sociedad", "societa", "spa", "s a", "s l",
    "bv", "b v", "gmbh", "ltd", "plc", "inc", "oy", "foundation", "fundacio", "fundacion",
    "fondazione", "stichting", "association", "associacio", "asociacion", "associazione",
    "federacio", "federacion", "cooperative", "cooperativa", "coop", "centre", "center", "centro",
    "lab", "org", "organisation", "organization", "private sector",
]
# fmt: on
_NOT_COUNCIL_RE = re.compile(
    r"\b(" + "|".join(sorted(set(_NOT_COUNCIL_WORDS), key=len, reverse=True)) + r")\b"
)

_LOCAL_GOVERNMENT_RE = re.compile(r"\blocal (government|authority|administration)\b")

# "<prefix> TOWN" and "TOWN <suffix>", folded; longest first so "city council of" beats "city of".
_PREFIXES = sorted(
    (
        # ca, es, gl, eu
        "ajuntament de", "ajuntament d", "ajuntament", "ayuntamiento de", "ayuntamiento",
        "concello de", "concello", "udala",
        # en
        "city council of", "city of", "town council of", "town of", "municipality of",
        "the municipality of", "the city of", "borough of", "council of", "municipal council of",
        # issue 20: a council's government, administration or hall names its town too
        "city government of", "the city government of", "city administration of",
        "municipal government of", "city hall of", "town hall of", "mayor of",
        "gobierno municipal de", "administracion municipal de", "amministrazione comunale di",
        "hotel de ville de", "prefeitura de", "prefeitura municipal de", "gemeentebestuur",
        "stadsbestuur", "rathaus", "magistrat der stadt", "magistrat",
        # it, fr, pt
        "comune di", "comune", "citta di", "municipio di", "ville de", "ville d", "ville du",
        "commune de", "commune d", "mairie de", "mairie d", "camara municipal de",
        "camara municipal", "municipio de",
        # de, nl, pl, cs, ro
        "stadt", "gemeinde", "landeshauptstadt", "hansestadt", "stadtverwaltung", "gemeente",
        "stad", "gmina", "miasto", "urzad miasta", "mesto", "obec", "primaria", "municipiul",
        "comuna",
    ),
    key=len,
    reverse=True,
)  # fmt: skip
_SUFFIXES = sorted(
    (
        "city council", "town council", "municipal council", "council", "city hall", "city",
        "city government", "city administration", "municipal government", "town hall",
        "municipal administration", "city municipality", "urban municipality",
        "linnavolikogu", "kaupunginhallitus", "gemeentebestuur",
        "municipality", "municipalities", "comune", "kaupunki", "kunta", "linn", "vald",
        "linnavalitsus", "vallavalitsus", "kommune", "kommun", "stad", "udala", "ko udala",
        "gemeente", "stadt",
    ),
    key=len,
    reverse=True,
)  # fmt: skip
# Contractions after a prefix: "Ajuntament del Masnou" names "el Masnou".
_CONTRACTIONS = {"del ": "el ", "dels ": "els ", "do ": "o ", "da ": "a ", "du ": "le "}
_PARENTHESES_RE = re.compile(r"\([^)]*\)")


def is_not_council(name: str, kind: str | None = None) -> bool:
    """True when the name (or the record's kind) says the body is not a municipal council."""
    text = fold(_PARENTHESES_RE.sub(" ", name))
    town = _strip_council_words(text)
    if _NOT_COUNCIL_RE.search(town):
        return True
    # A name in a council's own form ("Municipality of Bari") says more than a category typed
    # beside it (the JRC files "Municipality of Bari" as Central-Government, "Municipality of
    # Dordrecht" as Private sector): the kind decides only for a bare name ("Barcelona").
    if town != text.removeprefix("the ").strip():
        return False
    # "Local Government" (the JRC's category for councils) is a council whatever "government" says.
    return bool(kind and _NOT_COUNCIL_RE.search(_LOCAL_GOVERNMENT_RE.sub(" ", fold(kind))))


def _strip_council_words(text: str) -> str:
    """The name without its council prefix or suffix (so "City Council" is not "council")."""
    for prefix in _PREFIXES:
        if text.startswith(prefix + " "):
            text = text[len(prefix) + 1 :]
            for short, full in _CONTRACTIONS.items():
                if text.startswith(short):
                    text = full + text[len(short) :]
            break
    for suffix in _SUFFIXES:
        if text.endswith(" " + suffix):
            text = text[: -len(suffix) - 1]
            break
    return text.removeprefix("the ").strip()


def council_town(name: str, kind: str | None = None) -> str | None:
    """The folded name of the town that a council's name names, or None for another body."""
    if is_not_council(name, kind):
        return None
    town = _strip_council_words(fold(article_first(_PARENTHESES_RE.sub(" ", name).strip())))
    # "Kortrijk, Kuurne, and Lendelde", "Nice and Marseille": several bodies, no one place.
    if re.search(r"\b(and|i|y|e|et|und|en)\b", town) and "," in name:
        return None
    return town or None
